"""One family's journey on one instrument: the data behind its star and change table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.scoring import journeys
from tracker.store.models import Assessment, Score
from tracker.store.vocabulary import DEFAULT_RATERS, OCCASION_LABELS, RATER_PRECEDENCE


def family_scores(connection: Connection, family_id: int, instrument: str) -> pd.DataFrame:
    """Every score of the family on the instrument, one row per assessment and domain, with
    whether the family sent it themselves (``self_completed``)."""
    rows = connection.execute(
        sa.select(
            Assessment.id,
            Assessment.occasion,
            Assessment.assessed_on,
            Assessment.rater,
            Assessment.self_completed,
            Score.domain,
            Score.value,
            Score.note,
        )
        .join(Score, Score.assessment_id == Assessment.id)
        .where(Assessment.family_id == family_id, Assessment.instrument == instrument)
        .order_by(Assessment.assessed_on, Assessment.rater)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "assessment_id",
            "occasion",
            "assessed_on",
            "rater",
            "self_completed",
            "domain",
            "value",
            "note",
        ],
    )


def timeline(scores: pd.DataFrame, raters: tuple[str, ...] = DEFAULT_RATERS) -> pd.DataFrame:
    """The assessments of the chosen raters, one per day (joint wins), labelled in order."""
    assessments = scores.drop_duplicates("assessment_id")
    assessments = assessments[assessments["rater"].isin(raters)]
    assessments = (
        assessments.assign(precedence=assessments["rater"].map(RATER_PRECEDENCE))
        .sort_values(["assessed_on", "precedence"])
        .drop_duplicates("assessed_on")
    )
    labels, reviews = [], 0
    for occasion in assessments["occasion"]:
        if occasion == "review":
            reviews += 1
            labels.append(f"Review {reviews}")
        else:
            labels.append(OCCASION_LABELS[occasion])
    return assessments.assign(label=labels)[
        ["assessment_id", "occasion", "assessed_on", "rater", "label"]
    ].reset_index(drop=True)


def values_by_assessment(scores: pd.DataFrame) -> dict[int, dict[str, float | None]]:
    result: dict[int, dict[str, float | None]] = {}
    for row in scores.itertuples(index=False):
        value = None if pd.isna(row.value) else float(row.value)
        result.setdefault(int(row.assessment_id), {})[row.domain] = value
    return result


def _direction(change: float | None) -> str:
    if change is None or pd.isna(change):
        return ""
    if change > 0:
        return "▲ better"
    if change < 0:
        return "▼ worse"
    return "● same"


@dataclass(frozen=True)
class Journey:
    """A family's assessments in order and the per-domain change table.

    ``columns`` names each assessment's column in the table; ``values`` holds each
    assessment's scores by domain (None for an area not scored).
    """

    timeline: pd.DataFrame
    table: pd.DataFrame
    baseline_id: int | None
    latest_id: int | None
    columns: dict[int, str]
    values: dict[int, dict[str, float | None]]

    @property
    def now_id(self) -> int | None:
        """The assessment that says where the family is now: the latest, else the baseline."""
        return self.baseline_id if self.latest_id is None else self.latest_id


def build_journey(
    scores: pd.DataFrame, instrument: Instrument, raters: tuple[str, ...] = DEFAULT_RATERS
) -> Journey:
    """The change table: each domain's scores at every assessment and its distance travelled.

    Change compares the baseline with the latest assessment of the family's current
    journey (a re-referral's new baseline starts a new one, as in the cohort figures),
    and is oriented so that positive means better.
    """
    steps = timeline(scores, raters)
    found = journeys(
        steps.assign(family_id=0)[
            ["assessment_id", "family_id", "occasion", "assessed_on", "rater"]
        ]
    )
    pairs = found.tail(1)
    baseline_id = int(pairs["baseline_id"].iloc[0]) if not pairs.empty else None
    latest = pairs["latest_id"].iloc[0] if not pairs.empty else None
    latest_id = None if latest is None or pd.isna(latest) else int(latest)
    values = values_by_assessment(scores)
    table = pd.DataFrame(
        {"Area": [d.label for d in instrument.domains]}, index=list(instrument.domain_keys)
    )
    columns = {
        int(step.assessment_id): f"{step.label} ({step.assessed_on:%d %b %Y})"
        for step in steps.itertuples(index=False)
    }
    for assessment_id, column in columns.items():
        table[column] = [values.get(assessment_id, {}).get(k) for k in table.index]
    if baseline_id is not None and latest_id is not None:
        start, end = values.get(baseline_id, {}), values.get(latest_id, {})
        change = [
            (end[k] - start[k]) * instrument.direction
            if start.get(k) is not None and end.get(k) is not None
            else None
            for k in table.index
        ]
    else:
        change = [None] * len(table)
    table["Change"] = change
    table["Direction"] = [_direction(c) for c in change]
    if instrument.higher_is_better and latest_id is not None:
        end = values.get(latest_id, {})
        table["Stage now"] = [
            instrument.band_for(end[k]).label if end.get(k) is not None else "" for k in table.index
        ]
    return Journey(
        timeline=steps,
        table=table,
        baseline_id=baseline_id,
        latest_id=latest_id,
        columns=columns,
        values=values,
    )


def overall_over_time(scores: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """The mean of the scored domains at each assessment in the timeline."""
    scored = scores[scores["assessment_id"].isin(steps["assessment_id"])].dropna(subset=["value"])
    means = scored.groupby("assessment_id")["value"].agg(["mean", "size"])
    frame = steps.merge(means, left_on="assessment_id", right_index=True)
    return frame.rename(columns={"mean": "overall", "size": "domains_scored"})


# How far apart the family's own view and the worker's may be dated and still count as two
# opinions of the same moment. A family who rates by link usually does so within days of
# the worker's visit; further apart, things may really have changed in between.
SAME_MOMENT_DAYS = 14


def compared_days(scores: pd.DataFrame) -> tuple[date, date] | None:
    """The family's latest own view and the worker's (or joint) assessment closest to it,
    at most ``SAME_MOMENT_DAYS`` apart, as their two dates; None if there is no such pair.

    On equal distance the earlier worker assessment wins: the family answered after it.
    """
    own_days = scores.loc[scores["rater"] == "family", "assessed_on"]
    other_days = set(scores.loc[scores["rater"].isin(DEFAULT_RATERS), "assessed_on"])
    if own_days.empty or not other_days:
        return None
    own_day = max(own_days)
    closest = min(other_days, key=lambda day: (abs((day - own_day).days), day))
    if abs((closest - own_day).days) > SAME_MOMENT_DAYS:
        return None
    return own_day, closest


def views_differ(scores: pd.DataFrame, threshold: float = 2) -> dict[str, tuple[float, float]]:
    """Domains where the family's own latest view and the worker's differ by ``threshold``+,
    as {domain: (worker's, family's)}; the two views are the pair ``compared_days`` finds."""
    days = compared_days(scores)
    if days is None:
        return {}
    own_day, other_day = days
    own = scores[(scores["rater"] == "family") & (scores["assessed_on"] == own_day)]
    other = scores[scores["rater"].isin(DEFAULT_RATERS) & (scores["assessed_on"] == other_day)]
    own_view = own.set_index("domain")["value"]
    other_view = (
        other.assign(precedence=lambda f: f["rater"].map(RATER_PRECEDENCE))
        .sort_values("precedence")
        .drop_duplicates("domain")
        .set_index("domain")["value"]
    )
    both = pd.concat([own_view.rename("family"), other_view.rename("worker")], axis=1).dropna()
    far = both[(both["family"] - both["worker"]).abs() >= threshold]
    return {domain: (row.worker, row.family) for domain, row in far.iterrows()}


@dataclass(frozen=True)
class Progress:
    """Plain-language lists for the family summary."""

    better: list[str]
    harder: list[str]
    still_working_on: list[str]


def progress(journey: Journey, instrument: Instrument) -> Progress:
    """What got better, what got harder, and what still needs work, by area label.

    Each area is listed once at most, so a family never reads that the same thing both
    got better and is still being worked on: an area that moved goes under "better" or
    "harder"; one that did not move (or has only one score so far) goes under "still
    working on" when its latest score sits in the lower half of what is good on the scale.
    """
    table = journey.table
    changes = table["Change"].fillna(0)
    better = table.loc[changes > 0, "Area"].tolist()
    harder = table.loc[changes < 0, "Area"].tolist()
    now = journey.values.get(journey.now_id, {}) if journey.now_id is not None else {}
    midpoint = instrument.scale_min + instrument.scale_span / 2
    working = []
    for key, label, change in zip(table.index, table["Area"], changes, strict=True):
        value = now.get(key)
        if change != 0 or value is None:
            continue
        if value >= midpoint if not instrument.higher_is_better else value < midpoint:
            working.append(label)
    return Progress(better=better, harder=harder, still_working_on=working)
