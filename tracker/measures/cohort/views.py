"""The dashboard's views of a cohort: breakdowns, movement between bands, scatter.

Each view is a table already suppressed below ``min_group`` (docs/metrics.md,
"Dashboard views"), ready for the page to draw and for the downloads to write.
"""

from __future__ import annotations

import pandas as pd

from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.loading import DIMENSIONS, NOT_RECORDED, in_order
from tracker.measures.cohort.statistics import json_number, mean_interval, percent
from tracker.measures.cohort.suppression import suppress_count, suppress_figures
from tracker.measures.reliable_change import NO_RELIABLE_CHANGE, class_counts, classify

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


def family_attribute(cohort: Cohort, dimension: str) -> pd.Series:
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot break down by {dimension!r}")
    attributes = cohort.families.set_index("family_id")[dimension]
    return attributes.fillna(NOT_RECORDED).replace("", NOT_RECORDED)


def group_members(cohort: Cohort, dimension: str):
    """Each group of ``dimension`` in reading order (age groups youngest first), with its
    families' overall rows."""
    overall = cohort.overall.assign(
        group=cohort.overall["family_id"].map(family_attribute(cohort, dimension))
    )
    groups = dict(tuple(overall.groupby("group", sort=False)))
    return [(group, groups[group]) for group in in_order(dimension, groups)]


def group_figures(cohort: Cohort, members: pd.DataFrame) -> dict:
    """One group's exact figures and the counts behind its percentages."""
    n = len(members)
    low, high = mean_interval(members["change"])
    reliable = class_counts(members)["reliable_improvement"] if cohort.s_diff is not None else None
    return {
        "n": n,
        "mean_change": json_number(members["change"].mean()),
        "ci_low": low,
        "ci_high": high,
        "improved": int((members["change"] > 0).sum()),
        "reliable_improvement": reliable,
    }


def breakdown(cohort: Cohort, dimension: str, *, min_group: int) -> pd.DataFrame:
    """Distance travelled and reliable improvement per group, suppressed below min_group.

    Reliable change in every group is judged against the service's one yardstick, never
    one estimated from the group; the percentage is of the group's n, the not
    classifiable included.
    """
    rows = []
    for group, members in group_members(cohort, dimension):
        exact = group_figures(cohort, members)
        n = exact["n"]
        reliable = exact["reliable_improvement"]
        row = {
            "group": group,
            "n": n,
            "mean_change": exact["mean_change"],
            "ci_low": exact["ci_low"],
            "ci_high": exact["ci_high"],
            "pct_improved": percent(exact["improved"], n),
            "pct_reliable_improvement": None if reliable is None else percent(reliable, n),
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


def scatter_points(cohort: Cohort, *, min_group: int) -> pd.DataFrame:
    """Baseline and latest overall per family, anonymous, for the reliable change chart.

    Only classifiable families are drawn (the rest have too few paired domains for their
    overall score to be the instrument's). Empty when fewer than min_group of them:
    single points are families. Without an S_diff no change can be called reliable, so
    every dot is then no reliable change.
    """
    overall = cohort.overall[cohort.overall["classifiable"].astype(bool)]
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
