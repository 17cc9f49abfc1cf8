"""Assembling the report card: every measure now, before, against target and over time.

The card adds to each measure's value the previous period and how it moved (``change``),
the target, a quarterly history with a "turn the curve" forecast (``forecast``), and
small-number suppression, the same as the cohort page; ``card_as_dict`` is the plain data
every export is written from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.periods import Period, financial_quarter, previous, quarters_up_to
from tracker.measures.reportcard.change import Change, compare
from tracker.measures.reportcard.data import ReportData, Scope, load_report_data
from tracker.measures.reportcard.forecast import (
    FORECAST_INTERVAL,
    FORECAST_QUARTERS,
    MIN_FORECAST_POINTS,
    Projection,
    forecast,
)
from tracker.measures.reportcard.registry import MEASURES, QUADRANTS, MeasureSpec
from tracker.measures.reportcard.value import Value, suppress
from tracker.measures.yardstick import Yardstick
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


@dataclass(frozen=True)
class MeasureResult:
    spec: MeasureSpec
    current: Value
    previous: Value
    target: float | None
    history: list[tuple[str, float | None]]
    forecast: Projection | None
    # The quarters of the history hidden for small numbers; the other gaps had no value.
    suppressed: tuple[str, ...] = ()

    @property
    def change(self) -> Change:
        return compare(self.current, self.previous, self.spec.unit, self.spec.higher_is_better)

    @property
    def trend(self) -> str:
        return self.change.trend

    @property
    def missing(self) -> tuple[str, ...]:
        """The quarters of the history with no value that were not suppressed."""
        return tuple(
            label for label, value in self.history if value is None and label not in self.suppressed
        )

    @property
    def known(self) -> int:
        return sum(value is not None for _, value in self.history)


@dataclass(frozen=True)
class ReportCard:
    period: Period
    previous_period: Period
    scope: Scope
    instrument: Instrument
    measures: list[MeasureResult]
    story: dict[str, str]
    min_group: int
    yardstick: Yardstick
    # The quarters the forecasts run over, after the last quarter of the history.
    forecast_quarters: tuple[str, ...]

    def quadrant(self, key: str) -> list[MeasureResult]:
        return [result for result in self.measures if result.spec.quadrant == key]


def quarters_after(day: date, count: int = FORECAST_QUARTERS) -> tuple[str, ...]:
    """The labels of the ``count`` financial quarters after the one ``day`` is in."""
    labels, quarter = [], financial_quarter(day)
    for _ in range(count):
        quarter = financial_quarter(quarter.end + timedelta(days=1))
        labels.append(quarter.label)
    return tuple(labels)


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
            (quarter.label, suppress(spec.compute(data, quarter), min_group))
            for quarter in quarters
        ]
        values = [value.value for _, value in history]
        results.append(
            MeasureResult(
                spec=spec,
                current=suppress(spec.compute(data, period), min_group),
                previous=suppress(spec.compute(data, earlier), min_group),
                target=targets.get(spec.key),
                history=[(label, value.value) for label, value in history],
                forecast=forecast(values, bounds=spec.bounds),
                suppressed=tuple(label for label, value in history if value.hidden),
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
        yardstick=data.yardstick,
        forecast_quarters=quarters_after(period.end),
    )


def _forecast_as_dict(result: MeasureResult, quarters: tuple[str, ...]) -> dict:
    projection = result.forecast
    return {
        "drawn": projection is not None,
        "quarters": list(quarters) if projection else [],
        "value": projection.values if projection else None,
        "pi_low": projection.low if projection else None,
        "pi_high": projection.high if projection else None,
        "interval": FORECAST_INTERVAL,
        "known_quarters": result.known,
        "min_known_quarters": MIN_FORECAST_POINTS,
        "suppressed_quarters": list(result.suppressed),
        "missing_quarters": list(result.missing),
    }


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
            "base": result.current.base,
            "families": result.current.families,
            "parts": result.current.parts,
            "note": result.current.note,
            "previous": result.previous.value,
            "change": result.change.as_dict(result.spec.unit),
            "trend": result.trend,
            "target": result.target,
            "history": [{"quarter": label, "value": value} for label, value in result.history],
            "forecast": _forecast_as_dict(result, card.forecast_quarters),
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
        "yardstick": {**card.yardstick.as_dict(), "caption": card.yardstick.caption()},
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
