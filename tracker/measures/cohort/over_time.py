"""The over-time view: how far families have come, month by month, within each family.

A chart of mean scores by month mixes different families at each point: when the
families still open at twelve months are not those seen at one, a change in who was
assessed looks like progress. So each point here is a mean of changes, each family
against its own baseline, and the scores beside it (at the baseline and at that month)
are of the same families, paired domain by domain (docs/metrics.md, "Over time").
"""

from __future__ import annotations

import pandas as pd

from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.loading import in_order
from tracker.measures.cohort.views import family_attribute
from tracker.store.vocabulary import RATER_PRECEDENCE

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
ALL_FAMILIES = "All families"
POINT_COLUMNS = [
    "group",
    "month",
    "n",
    "mean_change",
    "mean_baseline",
    "mean_at_month",
    "suppressed",
]
FIGURE_COLUMNS = ["n", "mean_change", "mean_baseline", "mean_at_month"]


def _first_journey(cohort: Cohort) -> pd.DataFrame:
    """Each family's assessments from its first baseline up to its next baseline (a
    re-referral starts a new journey), placed at whole months since the baseline, one
    per family and month: the later one, the joint rating on a tie."""
    pairs = cohort.pairs[["family_id", "baseline_id", "baseline_on"]]
    assessments = cohort.assessments.merge(pairs, on="family_id")
    assessments = assessments.assign(
        assessed_on=pd.to_datetime(assessments["assessed_on"]).dt.normalize(),
        baseline_on=pd.to_datetime(assessments["baseline_on"]).dt.normalize(),
        precedence=assessments["rater"].map(RATER_PRECEDENCE),
    )
    later_baselines = assessments[
        (assessments["occasion"] == "baseline")
        & (assessments["assessed_on"] > assessments["baseline_on"])
    ]
    journey_end = later_baselines.groupby("family_id")["assessed_on"].min().rename("end")
    assessments = assessments.merge(journey_end, on="family_id", how="left")
    assessments = assessments[
        (assessments["assessed_on"] >= assessments["baseline_on"])
        & (assessments["end"].isna() | (assessments["assessed_on"] < assessments["end"]))
    ]
    days = (assessments["assessed_on"] - assessments["baseline_on"]).dt.days
    return (
        assessments.assign(month=(days / DAYS_PER_MONTH).round().astype(int))
        .sort_values(["assessed_on", "precedence"], ascending=[True, False])
        .drop_duplicates(["family_id", "month"], keep="last")
    )


def _family_changes(cohort: Cohort, placed: pd.DataFrame) -> pd.DataFrame:
    """Per family and month: the mean over the domains scored both then and at the
    baseline, of the baseline score, the score then, and the change (+ is better)."""
    instrument = cohort.instrument
    scored = cohort.scores.dropna(subset=["value"])
    scored = scored[scored["domain"].isin(instrument.domain_keys)].astype({"value": float})
    at_month = placed[["family_id", "month", "assessment_id", "baseline_id"]].merge(
        scored, on="assessment_id"
    )
    at_baseline = scored.rename(columns={"assessment_id": "baseline_id", "value": "baseline"})
    paired = at_month.merge(at_baseline, on=["baseline_id", "domain"])
    paired["change"] = (paired["value"] - paired["baseline"]) * instrument.direction
    return (
        paired.groupby(["family_id", "month"])
        .agg(baseline=("baseline", "mean"), at_month=("value", "mean"), change=("change", "mean"))
        .reset_index()
    )


def change_by_month(
    cohort: Cohort, *, min_group: int, dimension: str | None = None
) -> pd.DataFrame:
    """Per group (in reading order) and whole month since baseline: the mean change from
    baseline of the families assessed then, with n, and the same families' mean scores at
    the baseline and at that month. A point resting on fewer than min_group families is
    suppressed.
    """
    if not cohort.every_score:
        raise ValueError("the over-time view needs every score: load the cohort with them")
    if cohort.pairs.empty or cohort.assessments.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    changes = _family_changes(cohort, _first_journey(cohort))
    changes["group"] = (
        changes["family_id"].map(family_attribute(cohort, dimension)) if dimension else ALL_FAMILIES
    )
    points = (
        changes.groupby(["group", "month"])
        .agg(
            n=("family_id", "size"),
            mean_change=("change", "mean"),
            mean_baseline=("baseline", "mean"),
            mean_at_month=("at_month", "mean"),
        )
        .reset_index()
    )
    rank = {group: index for index, group in enumerate(in_order(dimension, points["group"]))}
    points = points.sort_values(
        ["group", "month"], key=lambda by: by.map(rank) if by.name == "group" else by
    ).reset_index(drop=True)
    hidden = points["n"] < min_group
    points = points.astype({column: object for column in FIGURE_COLUMNS})
    points.loc[hidden, FIGURE_COLUMNS] = None
    points["suppressed"] = hidden
    return points.loc[:, POINT_COLUMNS]
