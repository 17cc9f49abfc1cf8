"""Distance travelled for each family: which assessments count, and the change.

These functions are the contract set out in ``docs/metrics.md``. They work on
plain DataFrames so the same code serves the CLI, the pages and the tests.
The journey rule itself lives in ``tracker.store.journeys`` (the writes keep the
``journey`` table with it) and is re-exported here.

Frames used here:

* ``assessments``: ``assessment_id, family_id, occasion, assessed_on, rater``,
  already restricted to one instrument and the chosen raters.
* ``scores``: ``assessment_id, domain, value``; a missing value means not scored.
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.store.journeys import JOURNEY_COLUMNS as JOURNEY_COLUMNS
from tracker.store.journeys import PAIR_COLUMNS as PAIR_COLUMNS
from tracker.store.journeys import journeys as journeys

CHANGE_COLUMNS = ["family_id", "domain", "baseline", "latest", "change"]
OVERALL_COLUMNS = ["family_id", "domains", "baseline", "latest", "change"]


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
