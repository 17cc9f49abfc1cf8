"""The dashboard's views of a cohort: breakdowns, movement between bands, over time, scatter.

Each view is a table already suppressed below ``min_group`` (docs/metrics.md,
"Dashboard views"), ready for the page to draw and for the downloads to write.
"""

from __future__ import annotations

import pandas as pd

from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.loading import DIMENSIONS
from tracker.measures.cohort.statistics import json_number, mean_interval, percent
from tracker.measures.cohort.suppression import suppress_count, suppress_figures
from tracker.measures.reliable_change import NO_RELIABLE_CHANGE, class_counts, classify

NOT_RECORDED = "Not recorded"
BREAKDOWN_COLUMNS = [
    "group",
    "n",
    "mean_change",
    "ci_low",
    "ci_high",
    "pct_improved",
    "pct_reliable_improvement",
    "suppressed",
]


def _family_attribute(cohort: Cohort, dimension: str) -> pd.Series:
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot break down by {dimension!r}")
    attributes = cohort.families.set_index("family_id")[dimension]
    return attributes.fillna(NOT_RECORDED).replace("", NOT_RECORDED)


def breakdown(cohort: Cohort, dimension: str, *, min_group: int) -> pd.DataFrame:
    """Distance travelled and reliable improvement per group, suppressed below min_group.

    Reliable change in every group uses the whole cohort's S_diff, so groups
    are judged against the same yardstick.
    """
    overall = cohort.overall.assign(
        group=cohort.overall["family_id"].map(_family_attribute(cohort, dimension))
    )
    rows = []
    for group, members in overall.groupby("group", sort=True):
        n = len(members)
        low, high = mean_interval(members["change"])
        reliable = (
            percent(class_counts(members["rci"])["reliable_improvement"], n)
            if cohort.s_diff is not None
            else None
        )
        row = {
            "group": group,
            "n": n,
            "mean_change": json_number(members["change"].mean()),
            "ci_low": low,
            "ci_high": high,
            "pct_improved": percent(int((members["change"] > 0).sum()), n),
            "pct_reliable_improvement": reliable,
        }
        suppressed = n < min_group
        rows.append(
            {**suppress_figures(row, n, min_group, keep=("group",)), "suppressed": suppressed}
        )
    return pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)


def transitions(cohort: Cohort, domain: str, *, min_group: int) -> pd.DataFrame:
    """How many families moved from each band at baseline to each band at the latest.

    One row per (baseline band, latest band) pair in the instrument's band
    order; a cell of 1 to min_group-1 families is suppressed to null, and the
    whole table when fewer than min_group families are paired on the domain.
    """
    instrument = cohort.instrument
    labels = [band.label for band in instrument.bands]
    paired = cohort.changes[cohort.changes["domain"] == domain]

    def band_of(value: float) -> str:
        return instrument.band_for(value).label

    counts = (
        pd.crosstab(paired["baseline"].map(band_of), paired["latest"].map(band_of))
        if not paired.empty
        else pd.DataFrame()
    )
    counts = counts.reindex(index=labels, columns=labels, fill_value=0)
    long = counts.stack().rename("families").reset_index()
    long.columns = ["baseline_band", "latest_band", "families"]
    long["families"] = long["families"].astype(int)
    whole_table_hidden = len(paired) < min_group
    long["families"] = [
        None if whole_table_hidden else suppress_count(count, min_group)
        for count in long["families"]
    ]
    return long


def overall_by_month(
    cohort: Cohort, *, min_group: int, dimension: str | None = None
) -> pd.DataFrame:
    """Mean overall score by whole months since each family's baseline, with n.

    Every assessment of the chosen raters from the baseline on counts; its
    overall score is the mean of its scored domains. A point resting on
    fewer than min_group families is suppressed.
    """
    if not cohort.every_score:
        raise ValueError("the over-time view needs every score: load the cohort with them")
    # As dates even when empty: a cohort nobody is in comes back with untyped columns.
    pairs = cohort.pairs[["family_id", "baseline_on"]].astype({"baseline_on": "datetime64[ns]"})
    assessments = cohort.assessments.assign(
        assessed_on=pd.to_datetime(cohort.assessments["assessed_on"])
    ).merge(pairs, on="family_id")
    assessments = assessments[assessments["assessed_on"] >= assessments["baseline_on"]]
    means = cohort.scores.dropna(subset=["value"]).groupby("assessment_id")["value"].mean()
    assessments = assessments.assign(
        overall=assessments["assessment_id"].map(means),
        month=((assessments["assessed_on"] - assessments["baseline_on"]).dt.days / 30.4375)
        .round()
        .astype(int),
        group=(
            assessments["family_id"].map(_family_attribute(cohort, dimension))
            if dimension
            else "All families"
        ),
    ).dropna(subset=["overall"])
    # One score per family and month: a second assessment in the same month replaces the first.
    assessments = assessments.sort_values("assessed_on").drop_duplicates(
        ["family_id", "month"], keep="last"
    )
    points = (
        assessments.groupby(["group", "month"])
        .agg(n=("family_id", "nunique"), mean_overall=("overall", "mean"))
        .reset_index()
    )
    hidden = points["n"] < min_group
    points["suppressed"] = hidden
    points["mean_overall"] = points["mean_overall"].where(~hidden, None)
    points["n"] = points["n"].where(~hidden, None)
    return points


def scatter_points(cohort: Cohort, *, min_group: int) -> pd.DataFrame:
    """Baseline and latest overall per family, anonymous, for the reliable change chart.

    Empty when the cohort is below min_group: single points are families. Without an
    S_diff no change can be called reliable, so every dot is then no reliable change.
    """
    overall = cohort.overall
    if len(overall) < min_group:
        return pd.DataFrame(columns=["baseline", "latest", "classification"])
    return (
        pd.DataFrame(
            {
                "baseline": overall["baseline"],
                "latest": overall["latest"],
                "classification": classify(overall["rci"], unknown=NO_RELIABLE_CHANGE),
            }
        )
        .sample(frac=1, random_state=0)  # order carries no information about who is who
        .reset_index(drop=True)
    )
