"""Distance travelled for each family: which assessments count, and the change.

These functions are the contract set out in ``docs/metrics.md``. They work on
plain DataFrames so the same code serves the CLI, the pages and the tests.

Frames used here:

* ``assessments``: ``assessment_id, family_id, occasion, assessed_on, rater``,
  already restricted to one instrument and the chosen raters.
* ``scores``: ``assessment_id, domain, value``; a missing value means not scored.
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.store.vocabulary import RATER_PRECEDENCE

PAIR_COLUMNS = ["family_id", "baseline_id", "baseline_on", "latest_id", "latest_on"]
FIRST_BASELINE = "first"
WORSE_OF_FIRST_TWO = "worse_of_first_two"
BASELINE_RULES = {
    FIRST_BASELINE: "the first baseline",
    WORSE_OF_FIRST_TWO: "the worse of the first two assessments",
}
CHANGE_COLUMNS = ["family_id", "domain", "baseline", "latest", "change"]
OVERALL_COLUMNS = ["family_id", "domains", "baseline", "latest", "change"]


def _after(frame: pd.DataFrame, baselines: pd.DataFrame, newest_first: bool) -> pd.DataFrame:
    """Per family, the newest (or oldest) assessment dated after its baseline."""
    later = frame.merge(baselines[["family_id", "baseline_on"]], on="family_id")
    return (
        later[later["assessed_on"] > later["baseline_on"]]
        .sort_values(
            ["family_id", "assessed_on", "precedence"], ascending=[True, not newest_first, True]
        )
        .drop_duplicates("family_id", keep="first")
    )


def _worse_of_first_two(
    frame: pd.DataFrame, baselines: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument
) -> pd.DataFrame:
    """Move the baseline to the next assessment where that one scored worse overall.

    Need is often disclosed only once trust is built, so the first scores can
    flatter the family. Each assessment's overall is the mean of its scored
    domains; "worse" follows the instrument's direction.
    """
    second = _after(frame, baselines, newest_first=False)
    means = scores.dropna(subset=["value"]).groupby("assessment_id")["value"].mean()
    both = baselines.merge(
        second[["family_id", "assessment_id", "assessed_on"]], on="family_id", how="left"
    )
    first_mean = both["baseline_id"].map(means)
    second_mean = both["assessment_id"].map(means)
    worse = (second_mean - first_mean) * instrument.direction < 0
    both.loc[worse, "baseline_id"] = both.loc[worse, "assessment_id"]
    both.loc[worse, "baseline_on"] = both.loc[worse, "assessed_on"]
    return both[["family_id", "baseline_id", "baseline_on"]].astype({"baseline_id": "int64"})


def select_baseline_and_latest(
    assessments: pd.DataFrame,
    *,
    rule: str = FIRST_BASELINE,
    scores: pd.DataFrame | None = None,
    instrument: Instrument | None = None,
) -> pd.DataFrame:
    """One row per family that has a baseline: its baseline and its latest assessment.

    The baseline is the earliest assessment whose occasion is ``baseline``
    (with ``rule="worse_of_first_two"``, the worse of it and the next
    assessment, which needs ``scores`` and ``instrument``). The latest is the
    most recent assessment of any occasion dated after the baseline; a family
    without one is awaiting review and has a null ``latest_id``. When two
    chosen raters scored on the same day, the joint rating is taken.
    """
    if rule not in BASELINE_RULES:
        raise ValueError(f"unknown baseline rule {rule!r}")
    if assessments.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    frame = assessments.assign(
        # Calendar days decide order and ties, whatever time a caller attached.
        assessed_on=pd.to_datetime(assessments["assessed_on"]).dt.normalize(),
        precedence=assessments["rater"].map(RATER_PRECEDENCE),
    )
    baselines = (
        frame[frame["occasion"] == "baseline"]
        .sort_values(["family_id", "assessed_on", "precedence"])
        .drop_duplicates("family_id", keep="first")
        .loc[:, ["family_id", "assessment_id", "assessed_on"]]
        .rename(columns={"assessment_id": "baseline_id", "assessed_on": "baseline_on"})
    )
    if rule == WORSE_OF_FIRST_TWO:
        if scores is None or instrument is None:
            raise ValueError("the worse-of-first-two rule needs the scores and the instrument")
        baselines = _worse_of_first_two(frame, baselines, scores, instrument)
    latest = (
        _after(frame, baselines, newest_first=True)
        .loc[:, ["family_id", "assessment_id", "assessed_on"]]
        .rename(columns={"assessment_id": "latest_id", "assessed_on": "latest_on"})
    )
    pairs = baselines.merge(latest, on="family_id", how="left")
    return pairs.loc[:, PAIR_COLUMNS].reset_index(drop=True)


def domain_changes(
    pairs: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument
) -> pd.DataFrame:
    """Per family and domain scored at both ends: the scores and the oriented change.

    Change is ``latest - baseline`` when higher is better and ``baseline -
    latest`` on a need scale, so a positive change always means better.
    """
    reviewed = pairs.dropna(subset=["latest_id"])
    if reviewed.empty or scores.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    scored = scores.dropna(subset=["value"])
    scored = scored[scored["domain"].isin(instrument.domain_keys)]
    baseline = reviewed[["family_id", "baseline_id"]].merge(
        scored, left_on="baseline_id", right_on="assessment_id"
    )
    latest = (
        reviewed[["family_id", "latest_id"]]
        .astype({"latest_id": "int64"})
        .merge(scored, left_on="latest_id", right_on="assessment_id")
    )
    paired = baseline[["family_id", "domain", "value"]].merge(
        latest[["family_id", "domain", "value"]],
        on=["family_id", "domain"],
        suffixes=("_baseline", "_latest"),
    )
    paired = paired.rename(columns={"value_baseline": "baseline", "value_latest": "latest"})
    paired["baseline"] = paired["baseline"].astype("float64")
    paired["latest"] = paired["latest"].astype("float64")
    paired["change"] = (paired["latest"] - paired["baseline"]) * instrument.direction
    return paired.loc[:, CHANGE_COLUMNS].reset_index(drop=True)


def family_overall(changes: pd.DataFrame) -> pd.DataFrame:
    """Each family's overall score at both ends and its overall change.

    The overall score is the mean over the family's paired domains, so the
    baseline and latest figures always cover the same domains.
    """
    if changes.empty:
        return pd.DataFrame(columns=OVERALL_COLUMNS)
    overall = changes.groupby("family_id", sort=True).agg(
        domains=("domain", "size"),
        baseline=("baseline", "mean"),
        latest=("latest", "mean"),
        change=("change", "mean"),
    )
    return overall.reset_index().loc[:, OVERALL_COLUMNS]
