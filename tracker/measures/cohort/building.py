"""A cohort: each family's first journey, its baseline paired with its latest assessment.

The pairing, the domain changes, the families' overall changes and their reliable
change index are worked out once, when the cohort is built; every figure, table and
chart then reads them from the ``Cohort`` rather than working them out again.
Reliable change is judged against the service's one yardstick, whatever the filter.
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
from tracker.measures.scoring import PAIR_COLUMNS, domain_changes, family_overall, journeys
from tracker.measures.yardstick import Yardstick, estimate_yardstick, service_yardstick
from tracker.store.vocabulary import DEFAULT_RATERS


def by_domain(changes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The paired domains' rows (``scoring.domain_changes``), domain by domain."""
    return dict(tuple(changes.groupby("domain", sort=False))) if not changes.empty else {}


@dataclass(frozen=True)
class Cohort:
    """A filtered cohort, with each family's change already worked out."""

    instrument: Instrument
    pairs: pd.DataFrame  # one row per family with a baseline: its first journey
    changes: pd.DataFrame  # one row per family and paired domain
    overall: pd.DataFrame  # one row per family with a paired domain, with its RCI
    families: pd.DataFrame  # family attributes for breakdowns
    assessments: pd.DataFrame
    scores: pd.DataFrame  # every score of the assessments, unless every_score is false
    yardstick: Yardstick
    later_journeys: int  # re-referrals' journeys of these families, never in the figures
    early_worsening: int  # families whose first review is worse overall than the baseline
    # False when only the scores of each first journey's baseline, first review and latest
    # were loaded: enough for every figure but the over-time view, and a fraction of the
    # rows at county scale.
    every_score: bool = True

    @property
    def family_count(self) -> int:
        return len(self.pairs)

    @property
    def with_review(self) -> int:
        return int(self.pairs["latest_id"].notna().sum())

    def changes_by_domain(self) -> dict[str, pd.DataFrame]:
        return by_domain(self.changes)

    @property
    def s_diff(self) -> float | None:
        return self.yardstick.s_diff


def frame_yardstick(
    assessments: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument
) -> Yardstick:
    """The yardstick from every family's first baseline in these frames (worker or joint
    ratings), for a cohort built from frames rather than read from the service."""
    rated = assessments[assessments["rater"].isin(DEFAULT_RATERS)]
    firsts = journeys(rated).query("journey == 1")[["family_id", "baseline_id"]]
    baselines = firsts.merge(scores, left_on="baseline_id", right_on="assessment_id")
    return estimate_yardstick(baselines[["family_id", "domain", "value"]], instrument)


def _early_worsening(pairs: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument) -> int:
    """Families whose first review is worse overall (over the domains paired with the
    baseline) than their baseline."""
    first = pairs.assign(latest_id=pairs["first_review_id"])
    overall = family_overall(domain_changes(first, scores, instrument))
    return int((overall["change"] < 0).sum())


def in_window(
    found: pd.DataFrame, baseline_from: date | None, baseline_to: date | None
) -> pd.DataFrame:
    """The journeys whose baseline falls in the window (inclusive, either end open)."""
    if baseline_from is not None:
        found = found[found["baseline_on"] >= pd.Timestamp(baseline_from)]
    if baseline_to is not None:
        found = found[found["baseline_on"] <= pd.Timestamp(baseline_to)]
    return found


def later_journeys_of(found: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The journeys after the first (re-referrals) of the cohort's families: never in
    the figures, counted as ``later_journeys``."""
    return found[(found["journey"] > 1) & found["family_id"].isin(pairs["family_id"])]


def build_cohort(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    families: pd.DataFrame | None = None,
    baseline_from: date | None = None,
    baseline_to: date | None = None,
    yardstick: Yardstick | None = None,
    found: pd.DataFrame | None = None,
    every_score: bool = True,
) -> Cohort:
    """Take each family's first journey and work out the change.

    ``found`` are the families' journeys when the caller has already found them. Without
    a ``yardstick`` it is estimated from every first baseline in the frames given, so
    pass the frames unfiltered (``load_cohort`` passes the service's).
    """
    if found is None:
        found = journeys(assessments)
    if yardstick is None:
        yardstick = frame_yardstick(assessments, scores, instrument)
    first = in_window(found[found["journey"] == 1], baseline_from, baseline_to)
    pairs = first.loc[:, PAIR_COLUMNS].reset_index(drop=True)
    later = later_journeys_of(found, pairs)
    changes = domain_changes(pairs, scores, instrument)
    overall = with_rci(family_overall(changes), yardstick.s_diff, instrument)
    if families is None:
        families = pd.DataFrame({"family_id": pairs["family_id"]})
    return Cohort(
        instrument=instrument,
        pairs=pairs,
        changes=changes,
        overall=overall,
        families=families,
        assessments=assessments,
        scores=scores,
        yardstick=yardstick,
        later_journeys=len(later),
        early_worsening=_early_worsening(pairs, scores, instrument),
        every_score=every_score,
    )


def load_cohort(
    connection: Connection,
    cohort_filter: CohortFilter,
    instrument: Instrument,
    *,
    every_score: bool = True,
) -> Cohort:
    """The filtered cohort from the database, judged against the service's yardstick.

    With ``every_score=False`` only the scores of each first journey's baseline, first
    review and latest are read: every figure but the over-time view comes from those,
    and reading all the rest was most of the time at scale.
    """
    yardstick = service_yardstick(connection, instrument)
    if every_score:
        assessments, scores, families = load_frames(connection, cohort_filter)
        found = None
    else:
        conditions = conditions_of(cohort_filter)
        assessments = load_assessments(connection, conditions)
        families = load_families(connection, conditions)
        found = journeys(assessments)
        first = found[found["journey"] == 1]
        chosen = pd.concat(
            [first["baseline_id"], first["first_review_id"].dropna(), first["latest_id"].dropna()]
        )
        scores = load_scores_of(connection, chosen)
    return build_cohort(
        assessments,
        scores,
        instrument,
        families=families,
        baseline_from=cohort_filter.baseline_from,
        baseline_to=cohort_filter.baseline_to,
        yardstick=yardstick,
        found=found,
        every_score=every_score,
    )
