"""The baseline window as people type it and read it: UK dates, either end left open.

The cohort page takes each end as typed text, so that pressing Enter applies it (a date
picker's range applies only once both ends are picked); the stamp on every download
says the window back in the same words.
"""

from __future__ import annotations

from datetime import date, datetime

FROM_LABEL = "Baselines from"
TO_LABEL = "Baselines to"
EXAMPLE = "01/04/2025"
# Day first, as people in the UK write dates; ISO too, as the CLI takes it.
FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


class WindowError(ValueError):
    """A typed date that is not one, or a window that ends before it starts."""


def uk_date(day: date) -> str:
    return f"{day:%d %b %Y}"


def read_day(text: str, field: str) -> date | None:
    """A typed date, such as 01/04/2025 or 1 Apr 2025; None when left empty."""
    text = " ".join(text.split())
    if not text:
        return None
    for pattern in FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise WindowError(
        f'{field}: "{text}" is not a date. Write it as day/month/year, for example {EXAMPLE}.'
    )


def read_window(start_text: str, end_text: str) -> tuple[date | None, date | None]:
    """Both ends of a typed window; a WindowError names the field that is wrong."""
    start, end = read_day(start_text, FROM_LABEL), read_day(end_text, TO_LABEL)
    if start and end and start > end:
        raise WindowError(
            f"{FROM_LABEL} ({uk_date(start)}) is after {TO_LABEL.lower()} ({uk_date(end)}): "
            "swap them, or clear one."
        )
    return start, end


def describe_window(start: date | None, end: date | None) -> str:
    """The window in words, for captions and stamps."""
    if start and end:
        return f"{uk_date(start)} to {uk_date(end)}"
    if start:
        return f"from {uk_date(start)} onwards"
    if end:
        return f"up to {uk_date(end)}"
    return "any date"
