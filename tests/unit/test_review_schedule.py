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
    # (15 May 2026 is past it); the first two were answered by 20 Feb and 1 Jun.
    first = schedule[schedule["family_id"] == 1]
    assert list(first["review"]) == [0, 1, 2, 3, 4]
    assert days(first["due"]) == [
        date(2025, 2, 15),
        date(2025, 5, 15),
        date(2025, 8, 15),
        date(2025, 11, 15),
        date(2026, 2, 15),
    ]
    assert days(first["done_on"]) == [date(2025, 2, 20), date(2025, 6, 1), None, None, None]
    # Family 2 stops at its closure on 1 Jun: due 15 Feb and 15 May, neither done.
    second = schedule[schedule["family_id"] == 2]
    assert days(second["due"]) == [date(2025, 2, 15), date(2025, 5, 15)]
    assert second["done_on"].isna().all()
    # A year later, family 1's schedule runs to 1 Mar 2027: four more reviews fall due.
    later = review_schedule(ratings, closed_on, raters=DEFAULT_RATERS, today=date(2026, 3, 1))
    assert (later["family_id"] == 1).sum() == 9
    assert (later["family_id"] == 2).sum() == 2


def test_nobody_to_schedule():
    nobody = assessments([])
    closed_on = pd.Series(pd.to_datetime([]), index=pd.Index([], dtype=object))
    assert review_schedule(nobody, closed_on, raters=DEFAULT_RATERS, today=date(2025, 3, 1)).empty
    assert next_reviews_due(nobody, raters=RATERS).empty
