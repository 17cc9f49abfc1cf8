"""Reporting periods: UK financial quarters and years (April to March), or custom dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    def contains(self, series: pd.Series) -> pd.Series:
        """Which dates of ``series`` fall in the period (inclusive); missing dates do not."""
        days = pd.to_datetime(series)
        return (days >= pd.Timestamp(self.start)) & (days <= pd.Timestamp(self.end))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _financial_year_start(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def financial_quarter(day: date) -> Period:
    """The financial quarter holding ``day``: Q1 is April to June."""
    year = _financial_year_start(day)
    index = ((day.month - 4) % 12) // 3  # 0..3
    start = (pd.Timestamp(year, 4, 1) + pd.DateOffset(months=3 * index)).date()
    end = (pd.Timestamp(start) + pd.DateOffset(months=3) - pd.Timedelta(days=1)).date()
    return Period(start, end, f"{year}-{str(year + 1)[-2:]} Q{index + 1}")


def financial_year(day: date) -> Period:
    year = _financial_year_start(day)
    return Period(date(year, 4, 1), date(year + 1, 3, 31), f"{year}-{str(year + 1)[-2:]}")


def custom(start: date, end: date) -> Period:
    return Period(start, end, f"{start:%d %b %Y} to {end:%d %b %Y}")


def previous(period: Period) -> Period:
    """The period before: the previous quarter or year, or the same length just before."""
    if period == financial_quarter(period.start):
        return financial_quarter(period.start - timedelta(days=1))
    if period == financial_year(period.start):
        return financial_year(period.start - timedelta(days=1))
    end = period.start - timedelta(days=1)
    return custom(end - timedelta(days=period.days - 1), end)


def quarters_up_to(day: date, count: int) -> list[Period]:
    """The ``count`` financial quarters ending with the one that holds ``day``, oldest first."""
    quarters = [financial_quarter(day)]
    while len(quarters) < count:
        quarters.insert(0, financial_quarter(quarters[0].start - timedelta(days=1)))
    return quarters


def last_full_quarter(today: date) -> Period:
    return financial_quarter(financial_quarter(today).start - timedelta(days=1))
