"""Cohort figures: how far a group of families has travelled, with suppression.

The maths lives here once; the CLI, the dashboard and the report card all
call ``cohort_figures`` (or ``summarise`` on frames they already hold).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.engine import Connection

from tracker.instrument import Instrument
from tracker.models import Assessment, Family, KeyWorker, Score
from tracker.scoring import domain_changes, family_overall, select_baseline_and_latest
from tracker.vocabulary import DEFAULT_RATERS

RELIABLE_CHANGE_Z = 1.96


@dataclass(frozen=True)
class CohortFilter:
    """Which families and ratings a cohort figure covers."""

    instrument: str
    area: str | None = None
    tier_of_need: str | None = None
    key_worker: str | None = None
    raters: tuple[str, ...] = DEFAULT_RATERS
    baseline_from: date | None = None
    baseline_to: date | None = None

    def describe(self) -> dict:
        return {
            "area": self.area,
            "tier_of_need": self.tier_of_need,
            "key_worker": self.key_worker,
            "raters": list(self.raters),
            "baseline_from": self.baseline_from.isoformat() if self.baseline_from else None,
            "baseline_to": self.baseline_to.isoformat() if self.baseline_to else None,
        }


def _family_conditions(cohort_filter: CohortFilter) -> list:
    conditions = [
        Assessment.instrument == cohort_filter.instrument,
        Assessment.rater.in_(cohort_filter.raters),
    ]
    if cohort_filter.area is not None:
        conditions.append(Family.area == cohort_filter.area)
    if cohort_filter.tier_of_need is not None:
        conditions.append(Family.tier_of_need == cohort_filter.tier_of_need)
    if cohort_filter.key_worker is not None:
        conditions.append(KeyWorker.name == cohort_filter.key_worker)
    return conditions


def load_frames(
    connection: Connection, cohort_filter: CohortFilter
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The assessments and scores a cohort is computed from, filtered in SQL."""
    conditions = _family_conditions(cohort_filter)
    assessment_query = (
        sa.select(
            Assessment.id.label("assessment_id"),
            Assessment.family_id,
            Assessment.occasion,
            Assessment.assessed_on,
            Assessment.rater,
        )
        .join(Family, Family.id == Assessment.family_id)
        .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
        .where(*conditions)
    )
    score_query = (
        sa.select(Score.assessment_id, Score.domain, Score.value)
        .join(Assessment, Assessment.id == Score.assessment_id)
        .join(Family, Family.id == Assessment.family_id)
        .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
        .where(*conditions)
    )
    assessments = pd.DataFrame(
        connection.execute(assessment_query).all(),
        columns=["assessment_id", "family_id", "occasion", "assessed_on", "rater"],
    )
    scores = pd.DataFrame(
        connection.execute(score_query).all(), columns=["assessment_id", "domain", "value"]
    )
    return assessments, scores


def _number(value) -> float | None:
    """A JSON-safe float: NaN and infinities become null."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def wilcoxon_p(changes: pd.Series) -> float | None:
    """scipy's Wilcoxon signed-rank p on paired changes, or null when every change is 0."""
    values = changes.to_numpy(dtype=float)
    if values.size == 0 or not np.any(values != 0):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _number(stats.wilcoxon(values).pvalue)


def _direction_counts(changes: pd.Series) -> dict:
    improved = int((changes > 0).sum())
    same = int((changes == 0).sum())
    worse = int((changes < 0).sum())
    n = improved + same + worse
    return {
        "improved": improved,
        "same": same,
        "worse": worse,
        "pct_improved": _number(100 * improved / n) if n else None,
    }


def domain_figures(changes: pd.DataFrame, instrument: Instrument) -> list[dict]:
    """Per domain, in the instrument's order, over the families scored at both ends."""
    figures = []
    grouped = dict(tuple(changes.groupby("domain", sort=False))) if not changes.empty else {}
    for key in instrument.domain_keys:
        group = grouped.get(key)
        if group is None or group.empty:
            figures.append(
                {
                    "domain": key,
                    "n": 0,
                    "mean_baseline": None,
                    "mean_latest": None,
                    "mean_change": None,
                    "median_change": None,
                    "improved": 0,
                    "same": 0,
                    "worse": 0,
                    "pct_improved": None,
                    "wilcoxon_p": None,
                }
            )
            continue
        figures.append(
            {
                "domain": key,
                "n": len(group),
                "mean_baseline": _number(group["baseline"].mean()),
                "mean_latest": _number(group["latest"].mean()),
                "mean_change": _number(group["change"].mean()),
                "median_change": _number(group["change"].median()),
                **_direction_counts(group["change"]),
                "wilcoxon_p": wilcoxon_p(group["change"]),
            }
        )
    return figures


def reliable_change(overall: pd.DataFrame, reliability: float) -> pd.Series:
    """Jacobson-Truax reliable change index per family (NaN when it cannot be computed).

    S_diff = SD(baseline overall, ddof=1) * sqrt(2 * (1 - r)); RCI = change / S_diff.
    """
    if len(overall) < 2:
        return pd.Series(np.nan, index=overall.index)
    s_diff = overall["baseline"].std(ddof=1) * math.sqrt(2 * (1 - reliability))
    if not s_diff or math.isnan(s_diff):
        return pd.Series(np.nan, index=overall.index)
    return overall["change"] / s_diff


def overall_figures(overall: pd.DataFrame, instrument: Instrument) -> dict:
    """The cohort's figures over families' overall scores."""
    n = len(overall)
    change = overall["change"].astype(float)
    sd_change = change.std(ddof=1) if n >= 2 else math.nan
    rci = reliable_change(overall, instrument.reliability)
    rci_known = n >= 2 and not rci.isna().all()
    return {
        "n": n,
        "mean_baseline": _number(overall["baseline"].mean()) if n else None,
        "mean_latest": _number(overall["latest"].mean()) if n else None,
        "mean_change": _number(change.mean()) if n else None,
        "median_change": _number(change.median()) if n else None,
        **_direction_counts(change),
        "wilcoxon_p": wilcoxon_p(change),
        "effect_size_dz": _number(change.mean() / sd_change) if sd_change else None,
        "reliable_improvement": int((rci > RELIABLE_CHANGE_Z).sum()) if rci_known else None,
        "reliable_deterioration": int((rci < -RELIABLE_CHANGE_Z).sum()) if rci_known else None,
        "no_reliable_change": (
            int(((rci >= -RELIABLE_CHANGE_Z) & (rci <= RELIABLE_CHANGE_Z)).sum())
            if rci_known
            else None
        ),
    }


def _suppress(figures: dict, n: int, min_group: int, keep: tuple[str, ...]) -> dict:
    if n >= min_group:
        return figures
    return {key: (value if key in keep else None) for key, value in figures.items()}


def _suppress_count(count: int, min_group: int) -> int | None:
    """A count of 1 to min_group-1 families could identify them; zero cannot."""
    return None if 0 < count < min_group else count


def summarise(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    baseline_from: date | None = None,
    baseline_to: date | None = None,
    min_group: int = 5,
) -> dict:
    """Every cohort figure from already-filtered frames. See docs/metrics.md."""
    pairs = select_baseline_and_latest(assessments)
    if baseline_from is not None:
        pairs = pairs[pairs["baseline_on"] >= pd.Timestamp(baseline_from)]
    if baseline_to is not None:
        pairs = pairs[pairs["baseline_on"] <= pd.Timestamp(baseline_to)]
    changes = domain_changes(pairs, scores, instrument)
    overall = family_overall(changes)

    families = len(pairs)
    with_review = int(pairs["latest_id"].notna().sum())
    overall_block = _suppress(
        overall_figures(overall, instrument), len(overall), min_group, keep=()
    )
    domains = [
        _suppress(figure, figure["n"], min_group, keep=("domain",))
        for figure in domain_figures(changes, instrument)
    ]
    return {
        "instrument": instrument.key,
        "families": _suppress_count(families, min_group),
        "with_review": _suppress_count(with_review, min_group),
        "awaiting_review": _suppress_count(families - with_review, min_group),
        "min_group": min_group,
        "overall": overall_block,
        "domains": domains,
    }


def cohort_figures(
    connection: Connection, cohort_filter: CohortFilter, instrument: Instrument, *, min_group: int
) -> dict:
    """Load the filtered cohort from the database and summarise it."""
    assessments, scores = load_frames(connection, cohort_filter)
    figures = summarise(
        assessments,
        scores,
        instrument,
        baseline_from=cohort_filter.baseline_from,
        baseline_to=cohort_filter.baseline_to,
        min_group=min_group,
    )
    figures["filters"] = cohort_filter.describe()
    return figures
