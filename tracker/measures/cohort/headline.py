"""The cohort's headline figures, suppressed, and the caveats that go with them.

These are the figures of docs/metrics.md: counts, per-domain and overall change,
reliable change. The CLI, the dashboard and the report card read them from here,
and every one that rests on fewer than ``min_group`` families comes back null.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.building import Cohort, load_cohort
from tracker.measures.cohort.loading import CohortFilter
from tracker.measures.cohort.statistics import (
    direction_counts,
    json_number,
    mean_interval,
    percent,
    wilcoxon_p,
)
from tracker.measures.cohort.suppression import suppress_count, suppress_figures
from tracker.measures.reliable_change import class_counts
from tracker.measures.scoring import FIRST_BASELINE


def domain_figures(changes: pd.DataFrame, instrument: Instrument) -> list[dict]:
    """Per domain, in the instrument's order, over the families scored at both ends."""
    figures = []
    grouped = dict(tuple(changes.groupby("domain", sort=False))) if not changes.empty else {}
    for key in instrument.domain_keys:
        group = grouped.get(key)
        if group is None or group.empty:
            group = pd.DataFrame({"baseline": [], "latest": [], "change": []}, dtype=float)
        figures.append(
            {
                "domain": key,
                "n": len(group),
                "mean_baseline": json_number(group["baseline"].mean()),
                "mean_latest": json_number(group["latest"].mean()),
                "mean_change": json_number(group["change"].mean()),
                "median_change": json_number(group["change"].median()),
                **direction_counts(group["change"]),
                "wilcoxon_p": wilcoxon_p(group["change"]),
            }
        )
    return figures


def overall_figures(cohort: Cohort) -> dict:
    """The cohort's figures over families' overall scores."""
    overall = cohort.overall
    n = len(overall)
    change = overall["change"].astype(float)
    sd_change = change.std(ddof=1) if n >= 2 else math.nan
    rci_known = cohort.s_diff is not None
    reliable = class_counts(overall["rci"])
    low, high = mean_interval(change)
    return {
        "n": n,
        "mean_baseline": json_number(overall["baseline"].mean()) if n else None,
        "mean_latest": json_number(overall["latest"].mean()) if n else None,
        "mean_change": json_number(change.mean()) if n else None,
        "mean_change_ci_low": low,
        "mean_change_ci_high": high,
        "median_change": json_number(change.median()) if n else None,
        **direction_counts(change),
        "wilcoxon_p": wilcoxon_p(change),
        "effect_size_dz": json_number(change.mean() / sd_change) if sd_change else None,
        **{key: value if rci_known else None for key, value in reliable.items()},
        **{
            f"pct_{key}": percent(value, n) if rci_known else None
            for key, value in reliable.items()
        },
        "reliable_change_sd": cohort.s_diff,
    }


def figures(cohort: Cohort, *, min_group: int) -> dict:
    """Every headline figure of a cohort, suppressed. See docs/metrics.md."""
    families = len(cohort.pairs)
    with_review = cohort.with_review
    return {
        "instrument": cohort.instrument.key,
        "families": suppress_count(families, min_group),
        "with_review": suppress_count(with_review, min_group),
        "awaiting_review": suppress_count(families - with_review, min_group),
        "min_group": min_group,
        "baseline_rule": cohort.baseline_rule,
        "overall": suppress_figures(overall_figures(cohort), len(cohort.overall), min_group),
        "domains": [
            suppress_figures(figure, figure["n"], min_group, keep=("domain",))
            for figure in domain_figures(cohort.changes, cohort.instrument)
        ],
    }


def cohort_figures(
    connection: Connection,
    cohort_filter: CohortFilter,
    instrument: Instrument,
    *,
    min_group: int,
    baseline_rule: str = FIRST_BASELINE,
) -> dict:
    """Load the filtered cohort from the database and summarise it."""
    cohort = load_cohort(
        connection, cohort_filter, instrument, baseline_rule=baseline_rule, every_score=False
    )
    result = figures(cohort, min_group=min_group)
    result["filters"] = cohort_filter.describe()
    return result


def caveats(cohort: Cohort, result: dict, *, tier_filter: str | None = None) -> list[str]:
    """Plain-words warnings that belong next to the figures."""
    notes = []
    families = len(cohort.pairs)
    reviewed = cohort.with_review
    awaiting = families - reviewed
    if 0 < reviewed < 20:
        notes.append(
            "Fewer than 20 families have had a review, so these figures can swing a lot "
            "with each new review. Treat them as early signs."
        )
    if families and awaiting / families > 0.3:
        notes.append(
            f"{round(100 * awaiting / families)}% of families with a baseline are still "
            "awaiting their first review. They are not in the change figures."
        )
    overall = result["overall"]
    instrument = cohort.instrument
    if overall.get("mean_baseline") is not None:
        share = (overall["mean_baseline"] - instrument.scale_min) / instrument.scale_span
        goodness = share if instrument.higher_is_better else 1 - share
        if goodness < 0.5 or tier_filter == "tier 3":
            notes.append(
                "Families come to the service when things are hard, and scores taken at a "
                "low point tend to improve anyway (regression to the mean). Without a "
                "comparison group, not all of the change can be credited to the service."
            )
    return notes
