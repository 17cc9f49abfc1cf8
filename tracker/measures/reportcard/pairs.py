"""Who was reviewed in each period, and their change: picked for every period at once.

A family is reviewed in a period when its latest assessment up to the period end falls in
the period; its change runs from its first baseline to that latest, by the cohort rules
(worker and joint ratings, the first journey: ``select_baseline_and_latest``). A card asks
this of ten periods or so; rather than re-pick journeys from every assessment for each,
the periods are worked out in one pass of the same rules, each family standing in once
per period under its own key (``_keyed``), over only the rows each period needs. The
loader asks for every period's pairs before it reads a score, so that it reads the scores
of those assessments only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tracker.measures.periods import Period
from tracker.measures.reliable_change import with_rci
from tracker.measures.scoring import domain_changes, family_overall, select_baseline_and_latest
from tracker.store.vocabulary import DEFAULT_RATERS

if TYPE_CHECKING:
    from tracker.measures.reportcard.data import ReportData


def reviewed_pairs(data: ReportData, period: Period) -> pd.DataFrame:
    """Per family reviewed in the period, its baseline and latest (``PAIR_COLUMNS``)."""
    if ("pairs", period) not in data.memo:
        _remember_each(data, "pairs", _pairs(data, _together(data, period)))
    return data.memo[("pairs", period)]


def reviewed_changes(data: ReportData, period: Period) -> pd.DataFrame:
    """Per family reviewed in the period, its overall change and reliable change index
    (``with_rci``)."""
    if ("reviewed", period) not in data.memo:
        periods = _together(data, period)
        pairs = [reviewed_pairs(data, each) for each in periods]
        keyed = pd.concat(
            [_keyed(frame, index, len(periods)) for index, frame in enumerate(pairs)],
            ignore_index=True,
        )
        scores = scores_of(data, paired_ids(keyed))
        overall = family_overall(domain_changes(keyed, scores, data.instrument))
        rated = with_rci(overall, data.yardstick.s_diff, data.instrument)
        _remember_each(data, "reviewed", _split(rated, periods))
    return data.memo[("reviewed", period)]


def paired_ids(pairs: pd.DataFrame) -> np.ndarray:
    """The assessments of these pairs, each once, in order."""
    ids = pd.concat([pairs["baseline_id"], pairs["latest_id"]]).dropna()
    return np.unique(ids.to_numpy(dtype="int64"))


def scores_of(data: ReportData, assessment_ids: np.ndarray) -> pd.DataFrame:
    """The scores of these assessments (sorted ids), found in the scores sorted once."""
    scores = data.remember(
        "scores_by_assessment",
        lambda: data.scores.sort_values("assessment_id", kind="stable").reset_index(drop=True),
    )
    keys = scores["assessment_id"].to_numpy()
    starts = keys.searchsorted(assessment_ids, "left")
    lengths = keys.searchsorted(assessment_ids, "right") - starts
    # Each wanted assessment's run of rows, laid end to end.
    rows = np.arange(lengths.sum()) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return scores.iloc[rows]


def _together(data: ReportData, period: Period) -> list[Period]:
    """The periods worked out with this one: all the card's, when it is one of them."""
    return list(data.periods) if period in data.periods else [period]


def _pairs(data: ReportData, periods: list[Period]) -> dict[Period, pd.DataFrame]:
    """Each period's pairs, picked from the families with a review, closure or follow-up
    in the period, from their baselines up to the period end and their assessments in the
    period: a family's latest assessment up to the period end falls in the period exactly
    when its first journey has one in the period (a baseline starts a journey, so it is
    never a latest), and it is then the newest of those; the baselines start and end
    journeys."""
    rated = _rated(data)
    baseline = rated["occasion"] == "baseline"
    chosen = []
    for index, period in enumerate(periods):
        during = period.contains(rated["assessed_on"])
        reviewed = rated["family_id"].isin(rated.loc[during & ~baseline, "family_id"].unique())
        started = baseline & (rated["assessed_on"] <= pd.Timestamp(period.end))
        chosen.append(_keyed(rated[reviewed & (started | during)], index, len(periods)))
    pairs = _split(select_baseline_and_latest(pd.concat(chosen, ignore_index=True)), periods)
    return {period: found[period.contains(found["latest_on"])] for period, found in pairs.items()}


def _keyed(frame: pd.DataFrame, index: int, count: int) -> pd.DataFrame:
    """The frame with each family standing in for itself in period ``index`` of ``count``."""
    return frame.assign(family_id=frame["family_id"].astype("int64") * count + index)


def _split(frame: pd.DataFrame, periods: list[Period]) -> dict[Period, pd.DataFrame]:
    """A keyed frame back as one frame per period, with the families' own ids."""
    keys = frame["family_id"].to_numpy(dtype="int64")
    return {
        period: frame[keys % len(periods) == index]
        .assign(family_id=keys[keys % len(periods) == index] // len(periods))
        .reset_index(drop=True)
        for index, period in enumerate(periods)
    }


def _remember_each(data: ReportData, name: str, by_period: dict[Period, pd.DataFrame]) -> None:
    for period, frame in by_period.items():
        data.memo.setdefault((name, period), frame)


def _rated(data: ReportData) -> pd.DataFrame:
    """The instrument's worker and joint assessments, the only ones a change is measured on."""

    def compute() -> pd.DataFrame:
        assessments = data.assessments
        return assessments.loc[
            (assessments["instrument"] == data.instrument.key)
            & assessments["rater"].isin(DEFAULT_RATERS),
            ["assessment_id", "family_id", "occasion", "assessed_on", "rater"],
        ]

    return data.remember("rated", compute)
