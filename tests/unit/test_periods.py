"""Reporting periods: UK financial quarters and years (April to March) and custom dates.

Every expected date and label is written out by hand from the calendar.
"""

from __future__ import annotations

import itertools
from datetime import date

import pandas as pd
import pytest

from tracker.measures.periods import (
    Period,
    custom,
    financial_quarter,
    financial_year,
    last_full_quarter,
    previous,
    quarters_up_to,
)

# --------------------------------------------------------------------------- quarters


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        # Q1 is April to June: 30 + 31 + 30 days.
        (date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30), "2026-27 Q1"),
        (date(2026, 6, 30), date(2026, 4, 1), date(2026, 6, 30), "2026-27 Q1"),
        # Q2 is July to September.
        (date(2026, 7, 1), date(2026, 7, 1), date(2026, 9, 30), "2026-27 Q2"),
        (date(2026, 8, 15), date(2026, 7, 1), date(2026, 9, 30), "2026-27 Q2"),
        # Q3 is October to December.
        (date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31), "2026-27 Q3"),
        # Q4 is January to March of the next calendar year, still the 2026-27 year.
        (date(2027, 1, 1), date(2027, 1, 1), date(2027, 3, 31), "2026-27 Q4"),
        (date(2027, 3, 31), date(2027, 1, 1), date(2027, 3, 31), "2026-27 Q4"),
        # 31 March 2026 is the last day of the 2025-26 year.
        (date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31), "2025-26 Q4"),
        # A leap-year Q4 still ends on 31 March.
        (date(2028, 2, 29), date(2028, 1, 1), date(2028, 3, 31), "2027-28 Q4"),
        # The two-digit end year across a century: 1999-00.
        (date(1999, 5, 5), date(1999, 4, 1), date(1999, 6, 30), "1999-00 Q1"),
    ],
)
def test_financial_quarter(day, start, end, label):
    quarter = financial_quarter(day)
    assert (quarter.start, quarter.end, quarter.label) == (start, end, label)


def test_quarter_lengths_in_days():
    # Q1 30+31+30 = 91; Q2 31+31+30 = 92; Q3 31+30+31 = 92; Q4 31+28+31 = 90 (91 in a leap year)
    assert financial_quarter(date(2026, 5, 1)).days == 91
    assert financial_quarter(date(2026, 8, 1)).days == 92
    assert financial_quarter(date(2026, 11, 1)).days == 92
    assert financial_quarter(date(2027, 2, 1)).days == 90
    assert financial_quarter(date(2028, 2, 1)).days == 91


# --------------------------------------------------------------------------- years


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (date(2026, 4, 1), date(2026, 4, 1), date(2027, 3, 31), "2026-27"),
        (date(2026, 11, 30), date(2026, 4, 1), date(2027, 3, 31), "2026-27"),
        (date(2027, 3, 31), date(2026, 4, 1), date(2027, 3, 31), "2026-27"),
        (date(2026, 3, 31), date(2025, 4, 1), date(2026, 3, 31), "2025-26"),
        (date(2026, 1, 1), date(2025, 4, 1), date(2026, 3, 31), "2025-26"),
    ],
)
def test_financial_year(day, start, end, label):
    year = financial_year(day)
    assert (year.start, year.end, year.label) == (start, end, label)


def test_financial_year_lengths_in_days():
    # 2026-27 has no 29 February; 2027-28 holds 29 February 2028.
    assert financial_year(date(2026, 6, 1)).days == 365
    assert financial_year(date(2027, 6, 1)).days == 366


# --------------------------------------------------------------------------- previous


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        # Q1's previous is the prior year's Q4.
        (date(2026, 5, 1), date(2026, 1, 1), date(2026, 3, 31), "2025-26 Q4"),
        # Q2 -> Q1, Q3 -> Q2, Q4 -> Q3 of the same year.
        (date(2026, 8, 1), date(2026, 4, 1), date(2026, 6, 30), "2026-27 Q1"),
        (date(2026, 11, 1), date(2026, 7, 1), date(2026, 9, 30), "2026-27 Q2"),
        (date(2027, 2, 1), date(2026, 10, 1), date(2026, 12, 31), "2026-27 Q3"),
    ],
)
def test_previous_quarter(day, start, end, label):
    assert previous(financial_quarter(day)) == Period(start, end, label)


def test_previous_year():
    assert previous(financial_year(date(2026, 6, 1))) == Period(
        date(2025, 4, 1), date(2026, 3, 31), "2025-26"
    )
    assert previous(financial_year(date(2026, 2, 1))) == Period(
        date(2024, 4, 1), date(2025, 3, 31), "2024-25"
    )


def test_previous_custom_period_is_the_same_length_just_before():
    # 10 to 19 May is 10 days; the 10 days before end on 9 May and start on 30 April.
    earlier = previous(custom(date(2026, 5, 10), date(2026, 5, 19)))
    assert (earlier.start, earlier.end) == (date(2026, 4, 30), date(2026, 5, 9))
    assert earlier.days == 10
    assert earlier.label == "30 Apr 2026 to 09 May 2026"


def test_previous_custom_period_across_a_short_february():
    # March 2026 is 31 days; the 31 days before it are 29-31 January (3) + February (28).
    earlier = previous(custom(date(2026, 3, 1), date(2026, 3, 31)))
    assert (earlier.start, earlier.end) == (date(2026, 1, 29), date(2026, 2, 28))


def test_previous_single_day():
    earlier = previous(custom(date(2026, 1, 1), date(2026, 1, 1)))
    assert (earlier.start, earlier.end) == (date(2025, 12, 31), date(2025, 12, 31))


def test_custom_label():
    assert custom(date(2026, 4, 1), date(2026, 6, 30)).label == "01 Apr 2026 to 30 Jun 2026"


# --------------------------------------------------------------------------- lists of quarters


def test_quarters_up_to_oldest_first():
    quarters = quarters_up_to(date(2026, 8, 15), 4)
    assert [q.label for q in quarters] == ["2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2"]
    assert quarters[0].start == date(2025, 10, 1)
    assert quarters[-1].end == date(2026, 9, 30)


def test_quarters_up_to_are_contiguous():
    quarters = quarters_up_to(date(2025, 6, 30), 8)
    assert len(quarters) == 8
    assert quarters[0] == Period(date(2023, 7, 1), date(2023, 9, 30), "2023-24 Q2")
    assert quarters[-1] == Period(date(2025, 4, 1), date(2025, 6, 30), "2025-26 Q1")
    for earlier, later in itertools.pairwise(quarters):
        assert (pd.Timestamp(later.start) - pd.Timestamp(earlier.end)).days == 1


def test_quarters_up_to_one():
    assert quarters_up_to(date(2027, 1, 1), 1) == [
        Period(date(2027, 1, 1), date(2027, 3, 31), "2026-27 Q4")
    ]


@pytest.mark.parametrize(
    ("today", "label", "start"),
    [
        (date(2026, 8, 15), "2026-27 Q1", date(2026, 4, 1)),
        # On the first day of a quarter the last full one is the quarter before.
        (date(2026, 4, 1), "2025-26 Q4", date(2026, 1, 1)),
        # On its last day a quarter is not yet over.
        (date(2026, 6, 30), "2025-26 Q4", date(2026, 1, 1)),
        (date(2027, 1, 10), "2026-27 Q3", date(2026, 10, 1)),
    ],
)
def test_last_full_quarter(today, label, start):
    quarter = last_full_quarter(today)
    assert (quarter.label, quarter.start) == (label, start)


# --------------------------------------------------------------------------- validity


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="cannot end before it starts"):
        Period(date(2026, 5, 2), date(2026, 5, 1), "backwards")
    with pytest.raises(ValueError):
        custom(date(2026, 5, 2), date(2026, 5, 1))


def test_a_one_day_period_is_allowed():
    assert Period(date(2026, 5, 1), date(2026, 5, 1), "one day").days == 1


def test_contains_is_inclusive_and_ignores_missing_dates():
    quarter = financial_quarter(date(2026, 5, 1))
    days = pd.Series(
        [
            pd.Timestamp("2026-03-31"),
            pd.Timestamp("2026-04-01"),
            pd.Timestamp("2026-06-30"),
            pd.Timestamp("2026-07-01"),
            pd.NaT,
        ]
    )
    assert quarter.contains(days).tolist() == [False, True, True, False, False]
