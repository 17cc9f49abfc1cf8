"""A cohort: each family's baseline paired with its latest assessment, and the change.

The pairing, the domain changes, the families' overall changes and their reliable
change index are worked out once, when the cohort is built; every figure, table and
chart then reads them from the ``Cohort`` rather than working them out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.loading import (
    CohortFilter,
    conditions_of,
    load_assessments,
    load_families,
    load_frames,
    load_scores_of,
)
from tracker.measures.reliable_change import with_rci
from tracker.measures.scoring import (
    FIRST_BASELINE,
    domain_changes,
    family_overall,
    select_baseline_and_latest,
)


@dataclass(frozen=True)
class Cohort:
    """A filtered cohort, with each family's change already worked out."""

    instrument: Instrument
    pairs: pd.DataFrame  # one row per family with a baseline
    changes: pd.DataFrame  # one row per family and paired domain
    overall: pd.DataFrame  # one row per family with a paired domain, with its RCI
    families: pd.DataFrame  # family attributes for breakdowns
    assessments: pd.DataFrame
    scores: pd.DataFrame  # every score of the assessments, unless every_score is false
    baseline_rule: str
    s_diff: float | None
    # False when only the baselines' and latests' scores were loaded: enough for every
    # figure but the over-time view, and a fraction of the rows at county scale.
    every_score: bool = True

    @property
    def with_review(self) -> int:
        return int(self.pairs["latest_id"].notna().sum())


def build_cohort(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    families: pd.DataFrame | None = None,
    baseline_from: date | None = None,
    baseline_to: date | None = None,
    baseline_rule: str = FIRST_BASELINE,
    pairs: pd.DataFrame | None = None,
    every_score: bool = True,
) -> Cohort:
    """Pair each family's baseline with its latest assessment and work out the change.

    ``pairs`` are the baselines and latests when the caller has already selected them.
    """
    if pairs is None:
        pairs = select_baseline_and_latest(
            assessments, rule=baseline_rule, scores=scores, instrument=instrument
        )
    if baseline_from is not None:
        pairs = pairs[pairs["baseline_on"] >= pd.Timestamp(baseline_from)]
    if baseline_to is not None:
        pairs = pairs[pairs["baseline_on"] <= pd.Timestamp(baseline_to)]
    changes = domain_changes(pairs, scores, instrument)
    overall, s_diff = with_rci(family_overall(changes), instrument.reliability)
    if families is None:
        families = pd.DataFrame({"family_id": pairs["family_id"]})
    return Cohort(
        instrument=instrument,
        pairs=pairs.reset_index(drop=True),
        changes=changes,
        overall=overall,
        families=families,
        assessments=assessments,
        scores=scores,
        baseline_rule=baseline_rule,
        s_diff=s_diff,
        every_score=every_score,
    )


def load_cohort(
    connection: Connection,
    cohort_filter: CohortFilter,
    instrument: Instrument,
    *,
    baseline_rule: str = FIRST_BASELINE,
    every_score: bool = True,
) -> Cohort:
    """The filtered cohort from the database.

    With ``every_score=False`` and the first-baseline rule, only the scores of each
    family's baseline and latest assessment are read: every figure but the over-time
    view comes from those, and reading all the rest was most of the time at scale.
    """
    if every_score or baseline_rule != FIRST_BASELINE:
        assessments, scores, families = load_frames(connection, cohort_filter)
        pairs = None
        every_score = True
    else:
        conditions = conditions_of(cohort_filter)
        assessments = load_assessments(connection, conditions)
        families = load_families(connection, conditions)
        pairs = select_baseline_and_latest(assessments)
        chosen = pd.concat([pairs["baseline_id"], pairs["latest_id"].dropna()])
        scores = load_scores_of(connection, chosen)
    return build_cohort(
        assessments,
        scores,
        instrument,
        families=families,
        baseline_from=cohort_filter.baseline_from,
        baseline_to=cohort_filter.baseline_to,
        baseline_rule=baseline_rule,
        pairs=pairs,
        every_score=every_score,
    )
