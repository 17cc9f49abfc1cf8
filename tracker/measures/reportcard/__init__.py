"""The Results Based Accountability report card: every measure, defined once.

Each measure is a small function of the scope's data and a period; its docstring is
its definition, shown on the card and in the exports. The package loads a scope's
data (``data``), works out the measures of effort and effect (``effort_measures``,
``effect_measures``), lists them (``registry``) and assembles the card with its
previous period, target, history, forecast and suppression (``card``, ``value``).
``inputs`` saves what managers type in: costs, targets and stories.
"""

from tracker.measures.reportcard.card import (
    FORECAST_QUARTERS,
    MIN_FORECAST_POINTS,
    STORY_FIELDS,
    MeasureResult,
    ReportCard,
    build_card,
    card_as_dict,
    forecast,
    load_story,
    load_targets,
    report_card,
    trend,
)
from tracker.measures.reportcard.data import ReportData, Scope, load_report_data, scope_choices
from tracker.measures.reportcard.registry import MEASURES, MEASURES_BY_KEY, QUADRANTS
from tracker.measures.reportcard.value import Value, suppress
from tracker.store.vocabulary import SCOPE_KINDS

__all__ = [
    "FORECAST_QUARTERS",
    "MEASURES",
    "MEASURES_BY_KEY",
    "MIN_FORECAST_POINTS",
    "QUADRANTS",
    "SCOPE_KINDS",
    "STORY_FIELDS",
    "MeasureResult",
    "ReportCard",
    "ReportData",
    "Scope",
    "Value",
    "build_card",
    "card_as_dict",
    "forecast",
    "load_report_data",
    "load_story",
    "load_targets",
    "report_card",
    "scope_choices",
    "suppress",
    "trend",
]
