"""Assembling the report card: every measure now, before, against target and over time.

The card adds to each measure's value the previous period, the target, a quarterly
history with a "turn the curve" forecast, and small-number suppression, the same as
the cohort page; ``card_as_dict`` is the plain data every export is written from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.periods import Period, previous, quarters_up_to
from tracker.measures.reportcard.data import ReportData, Scope, load_report_data
from tracker.measures.reportcard.registry import MEASURES, QUADRANTS, MeasureSpec
from tracker.measures.reportcard.value import Value, suppress
from tracker.store.models import MeasureTarget, ReportStory

STORY_FIELDS = {
    "working": "What is working",
    "difficulties": "Difficulties and what is being done",
    "feedback": "Feedback and how it was used",
    "good_news": "Good news stories",
    "complaints": "Complaints and resolutions",
    "improvements": "Planned improvements",
    "training": "Staff training",
    "benchmarking": "Benchmarking",
}


HISTORY_QUARTERS = 8
FORECAST_QUARTERS = 4
MIN_FORECAST_POINTS = 3


def forecast(history: list[float | None], ahead: int = FORECAST_QUARTERS) -> list[float] | None:
    """A least-squares straight line over the known points, projected ``ahead`` quarters.

    Returns the projected values for the quarters after the last one, or None
    when fewer than three points are known (too few to say what "no change"
    would look like).
    """
    known = [(index, value) for index, value in enumerate(history) if value is not None]
    if len(known) < MIN_FORECAST_POINTS:
        return None
    x = np.array([index for index, _ in known], dtype=float)
    y = np.array([value for _, value in known], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    return [float(intercept + slope * index) for index in range(len(history), len(history) + ahead)]


def trend(current: float | None, earlier: float | None, higher_is_better: bool | None) -> str:
    """'better', 'worse', 'same' or '' (no polarity or no comparison)."""
    if current is None or earlier is None:
        return ""
    if math.isclose(current, earlier, rel_tol=1e-9, abs_tol=1e-9):
        return "same"
    if higher_is_better is None:
        return "up" if current > earlier else "down"
    return "better" if (current > earlier) == higher_is_better else "worse"


@dataclass(frozen=True)
class MeasureResult:
    spec: MeasureSpec
    current: Value
    previous: Value
    target: float | None
    history: list[tuple[str, float | None]]
    forecast: list[float] | None

    @property
    def trend(self) -> str:
        return trend(self.current.value, self.previous.value, self.spec.higher_is_better)


@dataclass(frozen=True)
class ReportCard:
    period: Period
    previous_period: Period
    scope: Scope
    instrument: Instrument
    measures: list[MeasureResult]
    story: dict[str, str]
    min_group: int

    def quadrant(self, key: str) -> list[MeasureResult]:
        return [result for result in self.measures if result.spec.quadrant == key]


def load_targets(connection: Connection, scope: Scope) -> dict[str, float]:
    rows = connection.execute(
        sa.select(MeasureTarget.measure, MeasureTarget.target).where(
            MeasureTarget.scope_kind == scope.kind, MeasureTarget.scope_value == scope.value
        )
    ).all()
    return dict(rows)


def load_story(connection: Connection, period: Period, scope: Scope) -> dict[str, str]:
    rows = connection.execute(
        sa.select(ReportStory.field, ReportStory.text).where(
            ReportStory.period_start == period.start,
            ReportStory.period_end == period.end,
            ReportStory.scope_kind == scope.kind,
            ReportStory.scope_value == scope.value,
        )
    ).all()
    story = dict.fromkeys(STORY_FIELDS, "")
    story.update({field_key: text for field_key, text in rows if field_key in STORY_FIELDS})
    return story


def build_card(
    data: ReportData,
    period: Period,
    scope: Scope,
    *,
    min_group: int,
    targets: dict[str, float] | None = None,
    story: dict[str, str] | None = None,
) -> ReportCard:
    """Every measure for the period, with its previous value, target, history and forecast."""
    targets = targets or {}
    earlier = previous(period)
    quarters = quarters_up_to(period.end, HISTORY_QUARTERS)
    results = []
    for spec in MEASURES:
        history = [
            (quarter.label, suppress(spec.compute(data, quarter), min_group).value)
            for quarter in quarters
        ]
        results.append(
            MeasureResult(
                spec=spec,
                current=suppress(spec.compute(data, period), min_group),
                previous=suppress(spec.compute(data, earlier), min_group),
                target=targets.get(spec.key),
                history=history,
                forecast=forecast([value for _, value in history]),
            )
        )
    return ReportCard(
        period=period,
        previous_period=earlier,
        scope=scope,
        instrument=data.instrument,
        measures=results,
        story=story or dict.fromkeys(STORY_FIELDS, ""),
        min_group=min_group,
    )


def card_as_dict(card: ReportCard) -> dict:
    """The card as plain data: the JSON export and the Excel export both come from this."""

    def measure(result: MeasureResult) -> dict:
        return {
            "key": result.spec.key,
            "label": result.spec.label,
            "definition": result.spec.definition,
            "unit": result.spec.unit,
            "higher_is_better": result.spec.higher_is_better,
            "value": result.current.value,
            "number": result.current.number,
            "families": result.current.families,
            "parts": result.current.parts,
            "note": result.current.note,
            "previous": result.previous.value,
            "trend": result.trend,
            "target": result.target,
            "history": [{"quarter": label, "value": value} for label, value in result.history],
            "forecast": result.forecast,
        }

    return {
        "period": {
            "label": card.period.label,
            "start": card.period.start.isoformat(),
            "end": card.period.end.isoformat(),
            "previous": card.previous_period.label,
        },
        "scope": {
            "kind": card.scope.kind,
            "value": card.scope.value or None,
            "label": card.scope.label,
            "instrument": card.instrument.key,
            "min_group": card.min_group,
        },
        **{quadrant: [measure(r) for r in card.quadrant(quadrant)] for quadrant in QUADRANTS},
        "story": {STORY_FIELDS[key]: text for key, text in card.story.items()},
    }


def report_card(
    connection: Connection,
    period: Period,
    scope: Scope,
    instrument: Instrument,
    *,
    min_group: int,
    today: date,
) -> ReportCard:
    """The card for a period and scope, from the database.

    ``today`` is the day the card is drawn up: open cases' reviews are scheduled up to a
    year past it.
    """
    data = load_report_data(connection, scope, instrument, today=today)
    return build_card(
        data,
        period,
        scope,
        min_group=min_group,
        targets=load_targets(connection, scope),
        story=load_story(connection, period, scope),
    )
