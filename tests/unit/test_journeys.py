"""Journeys: a re-referral's new baseline starts a new journey, and cohort figures use the
first; early worsening. Every expected figure is worked out by hand next to it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.unit.helpers import frames
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import build_cohort, figures
from tracker.measures.scoring import journeys, select_baseline_and_latest

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better
H = "housing"
I = "income_employment_finance"  # noqa: E741


def ids(found: pd.DataFrame, family: int, journey: int) -> tuple:
    row = found[(found["family_id"] == family) & (found["journey"] == journey)].iloc[0]
    return tuple(
        None if pd.isna(row[column]) else int(row[column])
        for column in ("baseline_id", "first_review_id", "latest_id")
    )


# The family: housing need 4 at baseline, 2 at review, then re-referred with a
# new baseline of 5. Old rule: latest = the new baseline, change 4 - 5 = -1 (worse).
# Journey rule: the first journey ends at the review, change 4 - 2 = +2 (better).
RE_REFERRED = [
    (10, 1, "baseline", "2024-01-10", "worker", {H: 4}),
    (11, 1, "review", "2024-04-10", "worker", {H: 2}),
    (12, 1, "baseline", "2024-09-01", "worker", {H: 5}),
    (13, 1, "review", "2024-12-01", "worker", {H: 3}),
]


def test_a_new_baseline_is_not_the_latest_of_the_first_journey():
    assessments, scores = frames(RE_REFERRED)
    cohort = build_cohort(assessments, scores, TAF)
    assert cohort.overall["change"].tolist() == [2.0]
    result = figures(cohort, min_group=1)
    assert result["later_journeys"] == 1
    assert (result["families"], result["with_review"]) == (1, 1)


def test_each_baseline_day_starts_a_journey_ending_before_the_next():
    # Family 1: journey 1 is 10 (baseline) .. 11 (review); journey 2 is 12 .. 13.
    # Family 2: worker and joint baselines on one day are one journey (joint wins the day);
    #   a review 1 Mar and a closure 1 Jun: first review 22, latest 23.
    # Family 3: a closure on the day of its re-referral's baseline is in neither journey
    #   (a journey ends *before* the next baseline), so journey 1 awaits review.
    rows = [
        *RE_REFERRED,
        (20, 2, "baseline", "2024-01-10", "worker", {}),
        (21, 2, "baseline", "2024-01-10", "joint", {}),
        (22, 2, "review", "2024-03-01", "worker", {}),
        (23, 2, "closure", "2024-06-01", "worker", {}),
        (30, 3, "baseline", "2024-01-10", "worker", {}),
        (31, 3, "closure", "2024-05-01", "worker", {}),
        (32, 3, "baseline", "2024-05-01", "worker", {}),
    ]
    found = journeys(frames(rows)[0])
    assert sorted(zip(found["family_id"], found["journey"], strict=True)) == [
        (1, 1),
        (1, 2),
        (2, 1),
        (3, 1),
        (3, 2),
    ]
    assert ids(found, 1, 1) == (10, 11, 11)
    assert ids(found, 1, 2) == (12, 13, 13)
    assert ids(found, 2, 1) == (21, 22, 23)
    assert ids(found, 3, 1) == (30, None, None)
    assert ids(found, 3, 2) == (32, None, None)
    first = select_baseline_and_latest(frames(rows)[0]).set_index("family_id")
    assert first.loc[1, "latest_id"] == 11 and pd.isna(first.loc[3, "latest_id"])


def test_later_journeys_count_journeys_of_the_families_in_the_cohort_only():
    # Family 1 re-referred twice (2 later journeys); family 2 once but its first baseline
    # (1 Mar) is outside a window ending 31 Jan, so its later journey is not counted.
    rows = [
        (10, 1, "baseline", "2024-01-10", "worker", {H: 4}),
        (11, 1, "baseline", "2024-05-10", "worker", {H: 4}),
        (12, 1, "baseline", "2024-09-10", "worker", {H: 4}),
        (20, 2, "baseline", "2024-03-01", "worker", {H: 4}),
        (21, 2, "baseline", "2024-08-01", "worker", {H: 4}),
    ]
    assessments, scores = frames(rows)
    assert build_cohort(assessments, scores, TAF).later_journeys == 3
    windowed = build_cohort(assessments, scores, TAF, baseline_to=date(2024, 1, 31))
    assert windowed.later_journeys == 2
    assert figures(windowed, min_group=5)["later_journeys"] is None  # 2 < 5: suppressed


# Early worsening, on the need scale (change = baseline - first review, over the domains
# paired with the baseline):
#  fam  baseline    first review         its change          latest     in early_worsening
#   1   H3 I3       1 Mar  H4 I4         (-1 + -1)/2 = -1.0  H2 I2      yes (latest better)
#   2   H4 I4       1 Mar  H3 I5         (+1 + -1)/2 =  0.0  H3 I4      no (same is not worse)
#   3   H5          1 Mar  H4 I5         +1 (I unpaired)     -          no
#   4   H3 I3       1 Mar  H3 I4         (0 + -1)/2 = -0.5   -          yes (it is the latest)
#   5   H4          (none)                                              not reviewed
# with_review = 4; early_worsening = 2; 100 x 2/4 = 50%.
EARLY = [
    (10, 1, "baseline", "2024-01-10", "worker", {H: 3, I: 3}),
    (11, 1, "review", "2024-03-01", "worker", {H: 4, I: 4}),
    (12, 1, "review", "2024-06-01", "worker", {H: 2, I: 2}),
    (20, 2, "baseline", "2024-01-10", "worker", {H: 4, I: 4}),
    (21, 2, "review", "2024-03-01", "worker", {H: 3, I: 5}),
    (22, 2, "closure", "2024-06-01", "worker", {H: 3, I: 4}),
    (30, 3, "baseline", "2024-01-10", "worker", {H: 5}),
    (31, 3, "review", "2024-03-01", "worker", {H: 4, I: 5}),
    (40, 4, "baseline", "2024-01-10", "worker", {H: 3, I: 3}),
    (41, 4, "review", "2024-03-01", "joint", {H: 3, I: 4}),
    (50, 5, "baseline", "2024-01-10", "worker", {H: 4}),
]


def test_early_worsening_counts_a_worse_first_review_of_those_with_a_review():
    result = figures(build_cohort(*frames(EARLY), TAF), min_group=1)
    assert result["with_review"] == 4
    assert result["early_worsening"] == 2
    assert result["pct_early_worsening"] == pytest.approx(50.0)


def test_early_worsening_follows_the_joint_rating_on_a_same_day_tie():
    # Family 4's worker also scored on 1 Mar, better than baseline (H2 I2): the joint
    # rating (H3 I4, worse) wins the day, so family 4 stays in early worsening.
    rows = [*EARLY, (42, 4, "review", "2024-03-01", "worker", {H: 2, I: 2})]
    assert figures(build_cohort(*frames(rows), TAF), min_group=1)["early_worsening"] == 2


def test_early_worsening_is_suppressed_with_its_small_count_or_its_small_base():
    cohort = build_cohort(*frames(EARLY), TAF)
    hidden = figures(cohort, min_group=3)  # count 2 < 3
    assert (hidden["early_worsening"], hidden["pct_early_worsening"]) == (None, None)
    # Families 2, 3 and 5: nobody worse at the first review, 2 with a review. Zero is
    # shown; but with min_group 5 the 2 with a review are hidden, and so is the
    # percentage that rests on them.
    better = [row for row in EARLY if row[1] in (2, 3, 5)]
    result = figures(build_cohort(*frames(better), TAF), min_group=2)
    assert (result["early_worsening"], result["pct_early_worsening"]) == (0, 0.0)
    result = figures(build_cohort(*frames(better), TAF), min_group=5)
    assert (result["early_worsening"], result["pct_early_worsening"]) == (None, None)
