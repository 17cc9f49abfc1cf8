"""The Results Based Accountability report card: every measure, defined once.

Each measure is a small function of the scope's data and a period; its docstring is
its definition, shown on the card and in the exports. The package loads a scope's
data (``data``), works out the measures of effort and effect (``effort_measures``,
``effect_measures``) and of the referral pathway and quality assurance
(``quality_measures``), lists them (``registry``) and assembles the card with its
previous period and how far it moved beyond noise (``change``), target, history,
forecast (``forecast``) and suppression (``card``, ``value``), or, for a card to be
published, the published rounding (``published``).
``inputs`` saves what managers type in: costs, targets and stories.
"""

from tracker.measures.reportcard.card import (
    STORY_FIELDS,
    MeasureResult,
    ReportCard,
    build_card,
    card_as_dict,
    history_as_dicts,
    load_story,
    load_targets,
    report_card,
)
from tracker.measures.reportcard.change import CHANGE_DECIMALS, CHANGE_UNITS, Change, compare
from tracker.measures.reportcard.data import ReportData, Scope, load_report_data, scope_choices
from tracker.measures.reportcard.forecast import (
    FORECAST_INTERVAL,
    FORECAST_QUARTERS,
    MIN_FORECAST_POINTS,
    Projection,
    forecast,
)
from tracker.measures.reportcard.registry import MEASURES, MEASURES_BY_KEY, QUADRANTS
from tracker.measures.reportcard.value import Value, suppress
from tracker.store.vocabulary import SCOPE_KINDS

__all__ = [
    "CHANGE_DECIMALS",
    "CHANGE_UNITS",
    "FORECAST_INTERVAL",
    "FORECAST_QUARTERS",
    "MEASURES",
    "MEASURES_BY_KEY",
    "MIN_FORECAST_POINTS",
    "QUADRANTS",
    "SCOPE_KINDS",
    "STORY_FIELDS",
    "Change",
    "MeasureResult",
    "Projection",
    "ReportCard",
    "ReportData",
    "Scope",
    "Value",
    "build_card",
    "card_as_dict",
    "compare",
    "forecast",
    "history_as_dicts",
    "load_report_data",
    "load_story",
    "load_targets",
    "report_card",
    "scope_choices",
    "suppress",
]
