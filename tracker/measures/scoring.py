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

JOURNEY_COLUMNS = [
    "family_id",
    "journey",
    "baseline_id",
    "baseline_on",
    "first_review_id",
    "first_review_on",
    "latest_id",
    "latest_on",
]
PAIR_COLUMNS = [column for column in JOURNEY_COLUMNS if column != "journey"]
CHANGE_COLUMNS = ["family_id", "domain", "baseline", "latest", "change"]
OVERALL_COLUMNS = ["family_id", "domains", "baseline", "latest", "change"]


def _ordered(assessments: pd.DataFrame) -> pd.DataFrame:
    """Calendar days decide order and ties, whatever time a caller attached; joint first."""
    return assessments.assign(
        assessed_on=pd.to_datetime(assessments["assessed_on"]).dt.normalize(),
        precedence=assessments["rater"].map(RATER_PRECEDENCE),
    )


def _one_per_journey(later: pd.DataFrame, newest: bool, name: str) -> pd.DataFrame:
    """Per family and journey, the newest (or oldest) assessment after its baseline."""
    return (
        later.sort_values(
            ["family_id", "journey", "assessed_on", "precedence"],
            ascending=[True, True, not newest, True],
        )
        .drop_duplicates(["family_id", "journey"], keep="first")
        .loc[:, ["family_id", "journey", "assessment_id", "assessed_on"]]
        .rename(columns={"assessment_id": f"{name}_id", "assessed_on": f"{name}_on"})
    )


def journeys(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per family and journey: its baseline, first review and latest assessment.

    Each day with a ``baseline`` assessment starts a journey (the first is journey 1; a
    later one is a re-referral). A journey runs from its baseline to its latest
    assessment of any occasion dated after the baseline and before the next baseline; a
    journey with none is awaiting review and has null review and latest. When two chosen
    raters scored on the same day, the joint rating is taken.
    """
    if assessments.empty:
        return pd.DataFrame(columns=JOURNEY_COLUMNS)
    frame = _ordered(assessments)
    starts = (
        frame[frame["occasion"] == "baseline"]
        .sort_values(["family_id", "assessed_on", "precedence"])
        .drop_duplicates(["family_id", "assessed_on"], keep="first")
        .loc[:, ["family_id", "assessment_id", "assessed_on"]]
        .rename(columns={"assessment_id": "baseline_id", "assessed_on": "baseline_on"})
    )
    starts["journey"] = starts.groupby("family_id").cumcount() + 1
    starts["next_baseline_on"] = starts.groupby("family_id")["baseline_on"].shift(-1)
    later = frame.merge(starts, on="family_id")
    later = later[
        (later["assessed_on"] > later["baseline_on"])
        & (later["next_baseline_on"].isna() | (later["assessed_on"] < later["next_baseline_on"]))
    ]
    found = starts.merge(
        _one_per_journey(later, newest=False, name="first_review"),
        on=["family_id", "journey"],
        how="left",
    ).merge(
        _one_per_journey(later, newest=True, name="latest"), on=["family_id", "journey"], how="left"
    )
    return found.loc[:, JOURNEY_COLUMNS].reset_index(drop=True)


def select_baseline_and_latest(assessments: pd.DataFrame) -> pd.DataFrame:
    """Each family's first journey (see ``journeys``): one row per family with a baseline.

    Cohort figures use the first journey only; a re-referral's journey is never mixed in.
    """
    found = journeys(assessments)
    first = found[found["journey"] == 1]
    return first.loc[:, PAIR_COLUMNS].reset_index(drop=True)


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
