"""Assembling the report card: every measure now, before, against target and over time.

The card adds to each measure's value the previous period and how it moved (``change``),
the target, a quarterly history with a "turn the curve" forecast (``forecast``), and
small-number suppression, the same as the cohort page, or, for a card to be published,
``PublishedRule`` (``published``); ``card_as_dict`` is the plain data every export is
written from, and ``ReportCard.stamp`` what every download says about itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.audience import BASELINE_RULE, rater_view
from tracker.measures.disclosure import (
    AUDIENCES,
    PUBLISHED,
    SERVICE,
    SUPPRESSED,
    SUPPRESSED_MEANS,
    PublishedRule,
    check_whole_months,
)
from tracker.measures.periods import Period, custom, financial_quarter, previous, quarters_up_to
from tracker.measures.reportcard.change import Change, compare
from tracker.measures.reportcard.data import ReportData, Scope, load_report_data
from tracker.measures.reportcard.forecast import (
    FORECAST_INTERVAL,
    FORECAST_QUARTERS,
    MIN_FORECAST_POINTS,
    Projection,
    forecast,
)
from tracker.measures.reportcard.published import NOT_FOR_PUBLICATION, publish
from tracker.measures.reportcard.registry import MEASURES, MEASURES_BY_KEY, QUADRANTS, MeasureSpec
from tracker.measures.reportcard.value import Value, suppress
from tracker.measures.yardstick import Yardstick
from tracker.store.models import MeasureTarget, ReportStory
from tracker.store.vocabulary import DEFAULT_RATERS

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
# Every measure of scores counts these raters' assessments; the card says so, in the
# cohort page's words, and names the one measure that counts the family's own.
RATINGS_COUNTED = (
    f"{rater_view(DEFAULT_RATERS)} for every score (the family's own ratings count only in "
    f'"{MEASURES_BY_KEY["own_view"].label}")'
)


@dataclass(frozen=True)
class MeasureResult:
    spec: MeasureSpec
    current: Value
    previous: Value
    target: float | None
    history: list[tuple[str, float | None]]
    forecast: Projection | None
    # The quarters of the history hidden for small numbers; the other gaps had no value,
    # and ``blanks`` says why, in words.
    suppressed: tuple[str, ...] = ()
    blanks: tuple[tuple[str, str], ...] = ()

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
    audience: str = SERVICE
    # The day the card was drawn up, which every download states.
    made: date | None = None

    @property
    def published(self) -> bool:
        return self.audience == PUBLISHED

    @property
    def filters(self) -> str:
        return (
            f"{self.scope.label}; {self.period.label}, {self.period.start:%d %b %Y} to "
            f"{self.period.end:%d %b %Y}; distance travelled on {self.instrument.name}"
        )

    @property
    def stamp(self) -> dict[str, str]:
        """What every download says about itself: who it is for, how its figures were
        protected, what it covers and when it was made."""
        about = {"Audience": AUDIENCES[PUBLISHED] if self.published else NOT_FOR_PUBLICATION}
        if self.published:
            about["Method"] = PublishedRule(self.min_group).method
        return {
            **about,
            "Minimum group": str(self.min_group),
            "Filters": self.filters,
            "Whose ratings": RATINGS_COUNTED,
            "Baseline rule": BASELINE_RULE,
            "Made": f"{self.made:%d %b %Y}" if self.made else "",
        }

    @property
    def legend(self) -> str:
        """What ``*`` means, in one sentence."""
        rounded = " Counts are rounded to the nearest 5." if self.published else ""
        return (
            f"{SUPPRESSED} hidden to protect families: fewer than {self.min_group} families, "
            f"or a figure that would give such a group away.{rounded}"
        )

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


def previous_for(period: Period, audience: str) -> Period:
    """The period compared with: for a published card of whole months, the same number of
    whole months just before, so that no published period is a few days off another."""
    earlier = previous(period)
    if audience != PUBLISHED or earlier.start.day == 1:
        return earlier
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    start = (pd.Timestamp(period.start) - pd.DateOffset(months=months + 1)).date()
    return custom(start, period.start - timedelta(days=1))


def periods_shown(period: Period, audience: str) -> list[Period]:
    """Every period a card for ``period`` works its measures out over, besides ``period``
    itself: the one it is compared with, then the quarters of its history, oldest first."""
    return [previous_for(period, audience), *quarters_up_to(period.end, HISTORY_QUARTERS)]


def build_card(
    data: ReportData,
    period: Period,
    scope: Scope,
    *,
    min_group: int,
    targets: dict[str, float] | None = None,
    story: dict[str, str] | None = None,
    audience: str = SERVICE,
) -> ReportCard:
    """Every measure for the period, with its previous value, target, history and forecast,
    each figure shown as ``audience`` may see it (exact but for small groups, or published).

    A published card needs a minimum group of at least 3 and whole months; ``AudienceError``
    says why otherwise.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    rule = None
    if audience == PUBLISHED:
        rule = PublishedRule(min_group)
        check_whole_months(period.start, period.end)

    def shown(spec: MeasureSpec, value: Value) -> Value:
        if rule is None:
            return suppress(value, min_group)
        return publish(value, spec, rule, data.instrument)

    def value_in(spec: MeasureSpec, span: Period) -> Value:
        """The measure over ``span``, worked out once: a quarter's card has this period
        and the previous one in its history too."""
        key = (spec.key, span.start, span.end)
        if key not in worked_out:
            worked_out[key] = shown(spec, spec.compute(data, span))
        return worked_out[key]

    worked_out: dict[tuple, Value] = {}
    targets = targets or {}
    earlier, *quarters = periods_shown(period, audience)
    results = []
    for spec in MEASURES:
        history = [(quarter.label, value_in(spec, quarter)) for quarter in quarters]
        values = [value.value for _, value in history]
        results.append(
            MeasureResult(
                spec=spec,
                current=value_in(spec, period),
                previous=value_in(spec, earlier),
                target=targets.get(spec.key),
                history=[(label, value.value) for label, value in history],
                forecast=forecast(values, bounds=spec.bounds),
                suppressed=tuple(label for label, value in history if value.hidden),
                blanks=tuple(
                    (label, value.missing)
                    for label, value in history
                    if value.value is None and not value.hidden
                ),
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
        audience=audience,
        made=data.today,
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


def shown_value(value: Value) -> float | str | None:
    """A value as the downloads give it: the figure, ``*`` when hidden, else None (its
    ``reason`` says why)."""
    return SUPPRESSED if value.hidden else value.value


def history_as_dicts(result: MeasureResult) -> list[dict]:
    """Each quarter: its value, ``*`` when hidden, or None with the reason in words."""
    blanks = dict(result.blanks)
    points = []
    for label, value in result.history:
        if label in result.suppressed:
            points.append({"quarter": label, "value": SUPPRESSED, "reason": SUPPRESSED_MEANS})
        else:
            points.append({"quarter": label, "value": value, "reason": blanks.get(label)})
    return points


def _yardstick_as_dict(card: ReportCard) -> dict:
    """The yardstick; on a published card its figures as the caption prints them, and the
    number of families it rests on as a published count."""
    figures = card.yardstick.as_dict()
    if card.published:
        figures["n_reference"] = PublishedRule(card.min_group).count(figures["n_reference"])
        for key in ("reference_sd", "reliability", "s_diff"):
            if figures[key] is not None:
                figures[key] = round(figures[key], 2)
    return {**figures, "caption": card.yardstick.caption()}


def card_as_dict(card: ReportCard) -> dict:
    """The card as plain data: the JSON export and the Excel export both come from this.

    A hidden figure is ``*``; a figure that is not there is None, with its ``reason``.
    """

    def measure(result: MeasureResult) -> dict:
        return {
            "key": result.spec.key,
            "label": result.spec.label,
            "definition": result.spec.definition,
            "unit": result.spec.unit,
            "higher_is_better": result.spec.higher_is_better,
            "value": shown_value(result.current),
            "reason": result.current.reason,
            "number": SUPPRESSED if result.current.hidden else result.current.number,
            "base": SUPPRESSED if result.current.hidden else result.current.base,
            "families": result.current.families,
            "parts": result.current.parts,
            "note": result.current.note,
            "previous": shown_value(result.previous),
            "previous_reason": result.previous.reason,
            "change": result.change.as_dict(result.spec.unit),
            "trend": result.trend,
            "target": result.target,
            "history": history_as_dicts(result),
            "forecast": _forecast_as_dict(result, card.forecast_quarters),
        }

    return {
        "audience": card.audience,
        "stamp": card.stamp,
        "legend": card.legend,
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
        "yardstick": _yardstick_as_dict(card),
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
    audience: str = SERVICE,
) -> ReportCard:
    """The card for a period and scope, from the database, for ``audience``.

    ``today`` is the day the card is drawn up: open cases' reviews are scheduled up to a
    year past it.
    """
    periods = [period, *periods_shown(period, audience)]
    data = load_report_data(connection, scope, instrument, today=today, periods=periods)
    return build_card(
        data,
        period,
        scope,
        min_group=min_group,
        targets=load_targets(connection, scope),
        story=load_story(connection, period, scope),
        audience=audience,
    )
