"""Which assessments count for a family, and the oriented change per domain and overall.

Every frame here is built in code from a few rows; every expected number is worked
out by hand in the comments next to it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.helpers import frames
from tracker.instruments.loader import get_instrument
from tracker.measures.scoring import domain_changes, family_overall, select_baseline_and_latest

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better
STAR = get_instrument("family-outcomes-10")  # star 1-10, higher is better


def pair_of(pairs: pd.DataFrame, family_id: int) -> dict:
    """The single row of ``pairs`` for one family, with ids as plain ints (or None)."""
    rows = pairs[pairs["family_id"] == family_id]
    assert len(rows) == 1, f"family {family_id} should have exactly one pair row"
    row = rows.iloc[0]
    return {
        "baseline_id": int(row["baseline_id"]),
        "baseline_on": pd.Timestamp(row["baseline_on"]),
        "latest_id": None if pd.isna(row["latest_id"]) else int(row["latest_id"]),
        "latest_on": None if pd.isna(row["latest_on"]) else pd.Timestamp(row["latest_on"]),
    }


# --------------------------------------------------------------------------------------
# select_baseline_and_latest
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_timestamp", [False, True], ids=["date", "timestamp"])
def test_earliest_baseline_is_chosen_and_a_later_baseline_ends_the_journey(as_timestamp):
    # Family 1 has two assessments with occasion "baseline". The earliest (1 Feb) is
    # the baseline even though it is listed second; the 1 Jun "baseline" is a
    # re-referral that starts a new journey, so it is never the latest: the 1 Apr
    # review is (it used to be scored against the new baseline).
    assessments, _ = frames(
        [
            (11, 1, "baseline", "2024-06-01", "worker", {}),
            (10, 1, "baseline", "2024-02-01", "worker", {}),
            (12, 1, "review", "2024-04-01", "worker", {}),
        ],
        as_timestamp,
    )
    pair = pair_of(select_baseline_and_latest(assessments), 1)
    assert pair["baseline_id"] == 10
    assert pair["baseline_on"] == pd.Timestamp("2024-02-01")
    assert pair["latest_id"] == 12
    assert pair["latest_on"] == pd.Timestamp("2024-04-01")


def test_latest_is_the_most_recent_after_baseline_whatever_the_occasion():
    # Family 1: review, closure, then follow-up -> the follow-up (newest) is latest.
    # Family 2: joint review on 1 Feb, worker closure on 1 May -> the closure is newest.
    # Rows are deliberately shuffled so the answer cannot come from row order.
    assessments, _ = frames(
        [
            (13, 1, "follow-up", "2024-09-01", "worker", {}),
            (10, 1, "baseline", "2024-01-01", "worker", {}),
            (12, 1, "closure", "2024-06-01", "worker", {}),
            (11, 1, "review", "2024-03-01", "worker", {}),
            (21, 2, "review", "2024-02-01", "joint", {}),
            (22, 2, "closure", "2024-05-01", "worker", {}),
            (20, 2, "baseline", "2024-01-15", "worker", {}),
        ]
    )
    pairs = select_baseline_and_latest(assessments)
    assert sorted(pairs["family_id"]) == [1, 2]
    assert pair_of(pairs, 1)["latest_id"] == 13
    assert pair_of(pairs, 1)["latest_on"] == pd.Timestamp("2024-09-01")
    assert pair_of(pairs, 2)["latest_id"] == 22
    assert pair_of(pairs, 2)["baseline_id"] == 20


def test_assessment_dated_before_the_baseline_is_never_the_latest():
    # A review dated before the baseline (e.g. entered with the wrong occasion) is not
    # "after the baseline", so family 1 is awaiting review. Family 2 has no baseline at
    # all, only reviews, so it has no pair row.
    assessments, _ = frames(
        [
            (11, 1, "review", "2024-01-01", "worker", {}),
            (10, 1, "baseline", "2024-02-01", "worker", {}),
            (20, 2, "review", "2024-02-01", "worker", {}),
            (21, 2, "review", "2024-05-01", "worker", {}),
        ]
    )
    pairs = select_baseline_and_latest(assessments)
    assert list(pairs["family_id"]) == [1]
    pair = pair_of(pairs, 1)
    assert pair["baseline_id"] == 10
    assert pair["latest_id"] is None
    assert pair["latest_on"] is None


def test_family_with_only_a_baseline_is_awaiting_review():
    assessments, _ = frames(
        [
            (10, 1, "baseline", "2024-01-01", "worker", {}),
            (20, 2, "baseline", "2024-01-01", "worker", {}),
            (21, 2, "review", "2024-04-01", "worker", {}),
        ]
    )
    pairs = select_baseline_and_latest(assessments)
    assert sorted(pairs["family_id"]) == [1, 2]
    assert pair_of(pairs, 1)["latest_id"] is None
    assert pair_of(pairs, 2)["latest_id"] == 21


def test_assessment_on_the_baseline_date_itself_is_not_later():
    # Family 1: a review on the very day of the baseline -> not later -> awaiting review.
    # Family 2: same-day review plus one a day later -> the day-later one is latest.
    assessments, _ = frames(
        [
            (10, 1, "baseline", "2024-03-01", "worker", {}),
            (11, 1, "review", "2024-03-01", "joint", {}),
            (20, 2, "baseline", "2024-03-01", "worker", {}),
            (21, 2, "review", "2024-03-01", "joint", {}),
            (22, 2, "review", "2024-03-02", "worker", {}),
        ]
    )
    pairs = select_baseline_and_latest(assessments)
    assert pair_of(pairs, 1)["baseline_id"] == 10
    assert pair_of(pairs, 1)["latest_id"] is None
    assert pair_of(pairs, 2)["latest_id"] == 22


@pytest.mark.parametrize("joint_first", [True, False], ids=["joint-row-first", "worker-row-first"])
def test_joint_beats_worker_on_a_same_day_tie_for_baseline_and_latest(joint_first):
    # Worker and joint both scored on the baseline day and on the review day; the
    # joint one wins both times, whichever row comes first in the frame.
    rows = [
        (10, 1, "baseline", "2024-01-10", "worker", {}),
        (11, 1, "baseline", "2024-01-10", "joint", {}),
        (12, 1, "review", "2024-04-10", "worker", {}),
        (13, 1, "review", "2024-04-10", "joint", {}),
    ]
    if joint_first:
        rows = [rows[1], rows[0], rows[3], rows[2]]
    pair = pair_of(select_baseline_and_latest(frames(rows)[0]), 1)
    assert pair["baseline_id"] == 11
    assert pair["latest_id"] == 13


def test_joint_wins_only_ties_not_an_earlier_or_later_date():
    # Baseline: worker on 5 Jan is earlier than joint on 7 Jan -> the worker one.
    # Latest: joint on 8 Apr is earlier than the worker's 9 Apr, so the worker's is the
    # most recent -> the worker's wins the latest. Precedence only breaks same-day ties.
    assessments, _ = frames(
        [
            (10, 1, "baseline", "2024-01-05", "worker", {}),
            (11, 1, "review", "2024-01-07", "joint", {}),
            (12, 1, "review", "2024-04-08", "joint", {}),
            (13, 1, "review", "2024-04-09", "worker", {}),
        ]
    )
    pair = pair_of(select_baseline_and_latest(assessments), 1)
    assert pair["baseline_id"] == 10
    assert pair["latest_id"] == 13


def test_family_view_picks_the_family_ratings_when_only_those_are_passed():
    rows = [
        (10, 1, "baseline", "2024-01-10", "worker", {}),
        (11, 1, "baseline", "2024-01-03", "family", {}),
        (12, 1, "review", "2024-04-10", "worker", {}),
        (13, 1, "review", "2024-05-02", "family", {}),
    ]
    assessments, _ = frames(rows)
    family_view = assessments[assessments["rater"] == "family"]
    default_view = assessments[assessments["rater"].isin(["worker", "joint"])]
    assert pair_of(select_baseline_and_latest(family_view), 1)["baseline_id"] == 11
    assert pair_of(select_baseline_and_latest(family_view), 1)["latest_id"] == 13
    assert pair_of(select_baseline_and_latest(default_view), 1)["baseline_id"] == 10
    assert pair_of(select_baseline_and_latest(default_view), 1)["latest_id"] == 12


def test_no_assessments_gives_no_pairs():
    assessments, _ = frames([])
    pairs = select_baseline_and_latest(assessments)
    assert pairs.empty
    assert {"family_id", "baseline_id", "latest_id"} <= set(pairs.columns)


# --------------------------------------------------------------------------------------
# domain_changes
# --------------------------------------------------------------------------------------


def changes_for(rows, instrument) -> pd.DataFrame:
    assessments, scores = frames(rows)
    return domain_changes(select_baseline_and_latest(assessments), scores, instrument)


def as_dict(changes: pd.DataFrame) -> dict:
    """{(family, domain): (baseline, latest, change)} for easy exact comparison."""
    return {
        (int(r.family_id), r.domain): (float(r.baseline), float(r.latest), float(r.change))
        for r in changes.itertuples()
    }


def test_need_scale_change_is_baseline_minus_latest():
    # taf-dtt: lower is better, so change = baseline - latest.
    #   housing 4 -> 2:  4 - 2 = +2 (less need = better)
    #   income  2 -> 3:  2 - 3 = -1 (more need = worse)
    #   routines 3 -> 3: 0
    got = as_dict(
        changes_for(
            [
                (
                    10,
                    1,
                    "baseline",
                    "2024-01-01",
                    "worker",
                    {"housing": 4, "income_employment_finance": 2, "routines_boundaries": 3},
                ),
                (
                    11,
                    1,
                    "review",
                    "2024-04-01",
                    "worker",
                    {"housing": 2, "income_employment_finance": 3, "routines_boundaries": 3},
                ),
            ],
            TAF,
        )
    )
    assert got == {
        (1, "housing"): (4.0, 2.0, 2.0),
        (1, "income_employment_finance"): (2.0, 3.0, -1.0),
        (1, "routines_boundaries"): (3.0, 3.0, 0.0),
    }


def test_star_scale_change_is_latest_minus_baseline():
    # family-outcomes-10: higher is better, so change = latest - baseline.
    #   wellbeing 4 -> 7:  7 - 4 = +3
    #   home_money 6 -> 5: 5 - 6 = -1
    got = as_dict(
        changes_for(
            [
                (10, 1, "baseline", "2024-01-01", "worker", {"wellbeing": 4, "home_money": 6}),
                (11, 1, "review", "2024-04-01", "worker", {"wellbeing": 7, "home_money": 5}),
            ],
            STAR,
        )
    )
    assert got == {
        (1, "wellbeing"): (4.0, 7.0, 3.0),
        (1, "home_money"): (6.0, 5.0, -1.0),
    }


def test_unpaired_domains_are_dropped():
    # Only housing is scored (non-null) at both ends. The others are unpaired:
    #   income:    None at baseline            -> dropped
    #   mental:    None at latest              -> dropped
    #   drug:      no row at latest            -> dropped
    #   aspirations: no row at baseline        -> dropped
    got = as_dict(
        changes_for(
            [
                (
                    10,
                    1,
                    "baseline",
                    "2024-01-01",
                    "worker",
                    {
                        "housing": 5,
                        "income_employment_finance": None,
                        "mental_health_wellbeing": 4,
                        "drug_alcohol_use": 3,
                    },
                ),
                (
                    11,
                    1,
                    "review",
                    "2024-04-01",
                    "worker",
                    {
                        "housing": 3,
                        "income_employment_finance": 2,
                        "mental_health_wellbeing": None,
                        "aspirations": 2,
                    },
                ),
            ],
            TAF,
        )
    )
    # housing: 5 - 3 = +2
    assert got == {(1, "housing"): (5.0, 3.0, 2.0)}


def test_changes_use_only_the_chosen_baseline_and_latest_scores():
    # Family 1: baseline 1 Jan (housing 5), a first review 1 Feb (housing 1, ignored),
    # mid review 1 Mar (housing 1, ignored), closure 1 Jun (housing 3).
    #   change = 5 - 3 = +2
    # Family 2 is awaiting review: it contributes no change rows at all.
    got = as_dict(
        changes_for(
            [
                (10, 1, "baseline", "2024-01-01", "worker", {"housing": 5}),
                (11, 1, "review", "2024-02-01", "worker", {"housing": 1}),
                (12, 1, "review", "2024-03-01", "worker", {"housing": 1}),
                (13, 1, "closure", "2024-06-01", "worker", {"housing": 3}),
                (20, 2, "baseline", "2024-01-01", "worker", {"housing": 5}),
            ],
            TAF,
        )
    )
    assert got == {(1, "housing"): (5.0, 3.0, 2.0)}


def test_joint_rating_scores_are_used_on_a_same_day_tie():
    # Same-day worker and joint ratings with different scores: the joint ones count.
    #   joint baseline housing 4, joint review housing 3 -> change 4 - 3 = +1
    #   (the worker's 5 -> 1 would give +4)
    got = as_dict(
        changes_for(
            [
                (10, 1, "baseline", "2024-01-10", "worker", {"housing": 5}),
                (11, 1, "baseline", "2024-01-10", "joint", {"housing": 4}),
                (12, 1, "review", "2024-04-10", "worker", {"housing": 1}),
                (13, 1, "review", "2024-04-10", "joint", {"housing": 3}),
            ],
            TAF,
        )
    )
    assert got == {(1, "housing"): (4.0, 3.0, 1.0)}


def test_no_reviewed_family_gives_no_changes():
    changes = changes_for([(10, 1, "baseline", "2024-01-01", "worker", {"housing": 5})], TAF)
    assert changes.empty


# --------------------------------------------------------------------------------------
# family_overall
# --------------------------------------------------------------------------------------


def test_overall_is_the_mean_over_paired_domains_only():
    # taf-dtt, family 1:
    #   housing   5 -> 3   change +2   (paired)
    #   income    4 -> 4   change  0   (paired)
    #   general_health 2 -> 1 change +1 (paired)
    #   mental_health 1 at baseline, None at latest -> unpaired, must NOT enter the means
    #   aspirations only at latest (5)             -> unpaired
    # baseline overall = (5 + 4 + 2) / 3 = 11/3 = 3.6667   (with mental health it'd be 3.0)
    # latest overall   = (3 + 4 + 1) / 3 = 8/3  = 2.6667   (with aspirations it'd be 3.25)
    # change           = (2 + 0 + 1) / 3 = 1.0  = 11/3 - 8/3
    # family 2 (star): wellbeing 3 -> 6 (+3), home_money 8 -> 7 (-1); each family is
    # computed on its own, so families do not mix.
    changes = changes_for(
        [
            (
                10,
                1,
                "baseline",
                "2024-01-01",
                "worker",
                {
                    "housing": 5,
                    "income_employment_finance": 4,
                    "general_health": 2,
                    "mental_health_wellbeing": 1,
                },
            ),
            (
                11,
                1,
                "review",
                "2024-04-01",
                "worker",
                {
                    "housing": 3,
                    "income_employment_finance": 4,
                    "general_health": 1,
                    "mental_health_wellbeing": None,
                    "aspirations": 5,
                },
            ),
            (20, 2, "baseline", "2024-01-01", "worker", {"housing": 2}),
            (21, 2, "review", "2024-04-01", "worker", {"housing": 2}),
        ],
        TAF,
    )
    overall = family_overall(changes).set_index("family_id")
    assert int(overall.loc[1, "domains"]) == 3
    assert overall.loc[1, "baseline"] == pytest.approx(11 / 3)
    assert overall.loc[1, "latest"] == pytest.approx(8 / 3)
    assert overall.loc[1, "change"] == pytest.approx(1.0)
    # family 2: one paired domain, housing 2 -> 2, change 0
    assert int(overall.loc[2, "domains"]) == 1
    assert overall.loc[2, "baseline"] == pytest.approx(2.0)
    assert overall.loc[2, "latest"] == pytest.approx(2.0)
    assert overall.loc[2, "change"] == pytest.approx(0.0)


def test_overall_on_a_star_keeps_positive_as_better():
    # family-outcomes-10, family 7:
    #   wellbeing  3 -> 6  change +3
    #   home_money 8 -> 7  change -1
    # baseline overall (3 + 8)/2 = 5.5; latest overall (6 + 7)/2 = 6.5; change (3 - 1)/2 = +1
    changes = changes_for(
        [
            (70, 7, "baseline", "2024-01-01", "joint", {"wellbeing": 3, "home_money": 8}),
            (71, 7, "closure", "2024-04-01", "joint", {"wellbeing": 6, "home_money": 7}),
        ],
        STAR,
    )
    row = family_overall(changes).set_index("family_id").loc[7]
    assert int(row["domains"]) == 2
    assert row["baseline"] == pytest.approx(5.5)
    assert row["latest"] == pytest.approx(6.5)
    assert row["change"] == pytest.approx(1.0)


def test_overall_from_a_hand_built_changes_frame():
    # Directly on a changes frame: family 3 has domains with changes +1, -2, +4.
    #   baseline (2 + 1 + 5)/3 = 8/3, latest (1 + 3 + 1)/3 = 5/3, change (1 - 2 + 4)/3 = 1
    changes = pd.DataFrame(
        [
            (3, "housing", 2.0, 1.0, 1.0),
            (3, "aspirations", 1.0, 3.0, -2.0),
            (3, "drug_alcohol_use", 5.0, 1.0, 4.0),
        ],
        columns=["family_id", "domain", "baseline", "latest", "change"],
    )
    row = family_overall(changes).set_index("family_id").loc[3]
    assert int(row["domains"]) == 3
    assert row["baseline"] == pytest.approx(8 / 3)
    assert row["latest"] == pytest.approx(5 / 3)
    assert row["change"] == pytest.approx(1.0)


def test_no_changes_gives_no_overall_rows():
    empty = pd.DataFrame(columns=["family_id", "domain", "baseline", "latest", "change"])
    assert family_overall(empty).empty
