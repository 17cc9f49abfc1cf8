"""The one review schedule: due dates, reviews done by the chosen raters, and its stop date.

Frames are built in code; every expected date is worked out in the comments.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.measures.review_schedule import (
    ON_TIME_DAYS,
    SHORTEST_INTERVAL_DAYS,
    add_months,
    due_dates,
    next_reviews_due,
    review_schedule,
)
from tracker.store.vocabulary import DEFAULT_RATERS, RATERS

COLUMNS = ["family_id", "instrument", "occasion", "assessed_on", "rater"]


def assessments(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.assign(assessed_on=pd.to_datetime(frame["assessed_on"]))


def days(values) -> list[date | None]:
    return [None if pd.isna(value) else value.date() for value in values]


@pytest.mark.parametrize(
    ("baseline", "reviews", "due"),
    [
        (date(2025, 1, 15), 0, date(2025, 2, 15)),
        (date(2025, 1, 15), 1, date(2025, 5, 15)),
        (date(2025, 1, 15), 2, date(2025, 8, 15)),
        # Month ends clamp: 31 January plus one month is the last day of February.
        (date(2025, 1, 31), 0, date(2025, 2, 28)),
        (date(2024, 11, 30), 1, date(2025, 3, 30)),
    ],
)
def test_the_nth_review_is_due_1_plus_3_n_minus_1_months_after_the_baseline(baseline, reviews, due):
    assert days(due_dates(pd.Series(pd.to_datetime([baseline])), pd.Series([reviews]))) == [due]


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=600),
)
def test_add_months_steps_as_pandas_date_offset_does(day, months):
    expected = pd.Timestamp(day) + pd.DateOffset(months=months)
    stepped = add_months(pd.Series(pd.to_datetime([day])), pd.Series([months]))
    assert stepped.iloc[0] == expected


# Family 1 (taf): worker baseline 15 Jan; worker and joint review on 15 Feb (one date);
#   the family's own rating on 1 Mar.
# Family 2 (taf): the family's own baseline 1 Jan, then the worker's baseline 10 Jan.
# Family 3 (taf): a review but no baseline, so no schedule.
RATINGS = [
    (1, "taf-dtt", "baseline", "2025-01-15", "worker"),
    (1, "taf-dtt", "review", "2025-02-15", "worker"),
    (1, "taf-dtt", "review", "2025-02-15", "joint"),
    (1, "taf-dtt", "review", "2025-03-01", "family"),
    (2, "taf-dtt", "baseline", "2025-01-01", "family"),
    (2, "taf-dtt", "baseline", "2025-01-10", "worker"),
    (3, "taf-dtt", "review", "2025-02-01", "worker"),
]


def test_next_review_counts_distinct_later_dates_of_every_rater():
    # The caseload's view. Family 1: later dates 15 Feb and 1 Mar = 2 reviews done, so the
    # third is due 1 + 3 x 2 = 7 months on: 15 Aug. Family 2: baseline 1 Jan (the family's
    # own); the worker's baseline on 10 Jan is a later date, so 1 done: due 1 May.
    due = next_reviews_due(assessments(RATINGS), raters=RATERS).set_index("family_id")
    assert list(due.index) == [1, 2]
    assert days(due["due"]) == [date(2025, 8, 15), date(2025, 5, 1)]


def test_next_review_counts_only_the_chosen_raters():
    # The report card's raters. Family 1: 15 Feb only (the family's own 1 Mar is not a
    # review here), so the second is due 15 May. Family 2: baseline 10 Jan, none done: 10 Feb.
    due = next_reviews_due(assessments(RATINGS), raters=DEFAULT_RATERS).set_index("family_id")
    assert days(due["due"]) == [date(2025, 5, 15), date(2025, 2, 10)]


def test_the_schedule_runs_to_the_closure_or_a_year_past_today():
    # Both baselined 15 Jan 2025. Family 1 is open and was reviewed on 20 Feb and 1 Jun;
    # family 2 closed on 1 Jun 2025 with no review.
    ratings = assessments(
        [
            (1, "taf-dtt", "baseline", "2025-01-15", "worker"),
            (1, "taf-dtt", "review", "2025-02-20", "worker"),
            (1, "taf-dtt", "review", "2025-06-01", "joint"),
            (2, "taf-dtt", "baseline", "2025-01-15", "worker"),
        ]
    )
    closed_on = pd.Series(pd.to_datetime([None, "2025-06-01"]), index=[1, 2])
    schedule = review_schedule(ratings, closed_on, raters=DEFAULT_RATERS, today=date(2025, 3, 1))
    # Family 1 runs to 1 Mar 2026: due 15 Feb, 15 May, 15 Aug, 15 Nov 2025 and 15 Feb 2026
    # (15 May 2026 is past it). 20 Feb is 5 days after 15 Feb: met. 1 Jun is 17 days after
    # 15 May: not met (and 78 days before 15 Aug).
    first = schedule[schedule["family_id"] == 1]
    assert list(first["review"]) == [0, 1, 2, 3, 4]
    assert days(first["due"]) == [
        date(2025, 2, 15),
        date(2025, 5, 15),
        date(2025, 8, 15),
        date(2025, 11, 15),
        date(2026, 2, 15),
    ]
    assert days(first["met_on"]) == [date(2025, 2, 20), None, None, None, None]
    assert list(first["met"]) == [True, False, False, False, False]
    # On 1 Mar 2025 only 15 Feb is decided: the others' windows have not closed yet.
    assert list(first["decided"]) == [True, False, False, False, False]
    # Family 2 stops at its closure on 1 Jun: due 15 Feb and 15 May, neither met.
    second = schedule[schedule["family_id"] == 2]
    assert days(second["due"]) == [date(2025, 2, 15), date(2025, 5, 15)]
    assert not second["met"].any()
    # A year later, family 1's schedule runs to 1 Mar 2027: four more reviews fall due. The
    # due dates up to 15 Nov 2025 are decided; 15 Feb 2026's window runs to 1 Mar, today,
    # so a review today would still meet it.
    later = review_schedule(ratings, closed_on, raters=DEFAULT_RATERS, today=date(2026, 3, 1))
    assert (later["family_id"] == 1).sum() == 9
    assert (later["family_id"] == 2).sum() == 2
    assert list(later[later["family_id"] == 1]["decided"]) == [True] * 4 + [False] * 5


def _met(rows, *, closed=None, today=date(2026, 6, 1)) -> list[tuple[date, date | None]]:
    closed_on = pd.Series(pd.to_datetime([closed]), index=[1])
    schedule = review_schedule(assessments(rows), closed_on, raters=DEFAULT_RATERS, today=today)
    return list(zip(days(schedule["due"]), days(schedule["met_on"]), strict=True))


def test_one_missed_review_does_not_make_the_later_ones_late():
    # Baseline 1 Jan 2025, closed 1 Dec: due 1 Feb, 1 May, 1 Aug, 1 Nov. Reviews on 1 Feb,
    # 1 Aug and 1 Nov; the one due 1 May was missed. Matching the n-th review to the n-th
    # due date (the old rule) met only 1 Feb: 1 of 4 = 25%. Each due date judged on its own
    # is met 3 times in 4 = 75%.
    rows = [
        (1, "taf-dtt", "baseline", "2025-01-01", "worker"),
        (1, "taf-dtt", "review", "2025-02-01", "worker"),
        (1, "taf-dtt", "review", "2025-08-01", "worker"),
        (1, "taf-dtt", "review", "2025-11-01", "joint"),
    ]
    assert _met(rows, closed="2025-12-01") == [
        (date(2025, 2, 1), date(2025, 2, 1)),
        (date(2025, 5, 1), None),
        (date(2025, 8, 1), date(2025, 8, 1)),
        (date(2025, 11, 1), date(2025, 11, 1)),
    ]


def test_a_due_date_is_met_within_14_days_either_side_by_a_review_or_closure():
    # Baseline 1 Jan 2025, closed 20 Aug. Due 1 Feb: a review 14 days early (18 Jan) meets
    # it, the limit. Due 1 May: a review 15 days late (16 May) does not. Due 1 Aug: the
    # closure assessment 14 days late (15 Aug) meets it. The family's own rating and a
    # follow-up are not reviews of the service.
    rows = [
        (1, "taf-dtt", "baseline", "2025-01-01", "worker"),
        (1, "taf-dtt", "review", "2025-01-18", "worker"),
        (1, "taf-dtt", "review", "2025-05-01", "family"),
        (1, "taf-dtt", "review", "2025-05-16", "worker"),
        (1, "taf-dtt", "closure", "2025-08-15", "joint"),
        (1, "taf-dtt", "follow-up", "2025-11-01", "worker"),
    ]
    assert _met(rows, closed="2025-08-20") == [
        (date(2025, 2, 1), date(2025, 1, 18)),
        (date(2025, 5, 1), None),
        (date(2025, 8, 1), date(2025, 8, 15)),
    ]


def test_each_assessment_meets_at_most_one_due_date():
    # Two reviews in one window (25 Jan and 10 Feb, due 1 Feb) meet that due date once; the
    # second does not carry over to 1 May. Windows never overlap: due dates are at least
    # 89 days apart and a window is 29 days wide.
    assert 2 * ON_TIME_DAYS < SHORTEST_INTERVAL_DAYS
    rows = [
        (1, "taf-dtt", "baseline", "2025-01-01", "worker"),
        (1, "taf-dtt", "review", "2025-01-25", "worker"),
        (1, "taf-dtt", "review", "2025-02-10", "worker"),
    ]
    assert _met(rows, closed="2025-05-20") == [
        (date(2025, 2, 1), date(2025, 1, 25)),
        (date(2025, 5, 1), None),
    ]


def test_a_later_baseline_ends_the_first_journeys_schedule():
    # Baseline 1 Jan 2025; closed 1 Mar; re-referred with a new baseline on 1 Jun. The
    # first journey's schedule stops at its closure (due 1 Feb only). Had the case never
    # been closed, the new baseline would stop it: due 1 Feb and 1 May, not 1 Aug.
    rows = [
        (1, "taf-dtt", "baseline", "2025-01-01", "worker"),
        (1, "taf-dtt", "review", "2025-02-03", "worker"),
        (1, "taf-dtt", "baseline", "2025-06-01", "worker"),
        (1, "taf-dtt", "review", "2025-07-01", "worker"),
    ]
    assert _met(rows, closed="2025-03-01") == [(date(2025, 2, 1), date(2025, 2, 3))]
    assert _met(rows) == [(date(2025, 2, 1), date(2025, 2, 3)), (date(2025, 5, 1), None)]


def test_nobody_to_schedule():
    nobody = assessments([])
    closed_on = pd.Series(pd.to_datetime([]), index=pd.Index([], dtype=object))
    assert review_schedule(nobody, closed_on, raters=DEFAULT_RATERS, today=date(2025, 3, 1)).empty
    assert next_reviews_due(nobody, raters=RATERS).empty
