"""Row-by-row checks, done a column at a time.

Each check turns a column of raw text into typed values and records a
``Problem`` for every row it rejects, with the line and column named. The
checks are vectorised so a county's history validates in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from tracker.files.problems import Problem, Problems

# Blank cells, and the ways spreadsheets write "nothing here".
EMPTY_MARKERS = frozenset({"", "na", "n/a", "n.a.", "not applicable", "-", "null", "none"})
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
# Control characters cannot be stored (PostgreSQL refuses NUL) and hide in what is shown;
# tab and line breaks are text, which CSV allows inside a quoted cell.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str:
    """The first control character in ``text``, in words."""
    found = CONTROL_CHARACTERS.search(text)
    return f"a control character (U+{ord(found.group()):04X}), which cannot be stored"


class FrameChecker:
    """Validates the columns of one file's frame and collects what is wrong."""

    def __init__(
        self,
        file: str,
        frame: pd.DataFrame,
        today: date,
        *,
        lines: pd.Series,
        problems: Problems,
        headers: dict[str, pd.Series] | None = None,
        field_lines: dict[str, int] | None = None,
    ):
        self.file = file
        self.frame = frame
        self.today = pd.Timestamp(today)
        self.problems = problems
        # The line in the file each row starts on (the header is line 1).
        self.lines = lines
        # Per-row header names to report instead of a column's own name (wide sheets).
        self.headers = headers or {}
        # Columns whose value is one cell for every row (the offline form's fields at its
        # top), by that cell's line: a problem with it is reported once, there.
        self.field_lines = field_lines or {}

    def flag(self, mask: pd.Series, column: str, message) -> None:
        """Record a problem on every row where ``mask`` holds.

        ``message`` is text, or a function of the row's raw value.
        """
        mask = mask.fillna(False).astype(bool)
        if column in self.field_lines:
            mask &= mask.cumsum() == 1
        count = int(mask.sum())
        if not count:
            return
        raw = self.frame[column] if column in self.frame else pd.Series("", index=mask.index)
        names = self.headers.get(column)

        def describe(index) -> Problem:
            value = raw.at[index]
            text = message(value) if callable(message) else message
            name = names.at[index] if names is not None else column
            line = self.field_lines.get(column, int(self.lines.at[index]))
            return Problem(self.file, line, name, text, value=str(value))

        self.problems.each(mask[mask].index, count, describe, "error")

    def raw(self, column: str) -> pd.Series:
        if column in self.frame:
            return self.frame[column].astype(str)
        return pd.Series("", index=self.frame.index, dtype=object)

    def text(self, column: str, *, required: bool, max_length: int) -> pd.Series:
        values = self.raw(column)
        empty = values.eq("")
        if required:
            self.flag(empty, column, "is required but empty")
        self.flag(values.str.len() > max_length, column, f"is longer than {max_length} characters")
        # Every other kind of cell is parsed, and a control character fails its parse. All
        # printable is the usual answer, found at once; only otherwise is each cell searched.
        if not "".join(values.tolist()).isprintable():
            self.flag(
                values.str.contains(CONTROL_CHARACTERS),
                column,
                lambda value: f"holds {control_character(value)}; remove it and retry",
            )
        return values.where(~empty, None)

    def date(self, column: str, *, required: bool) -> pd.Series:
        """ISO dates (2025-03-31) or UK dates (31/03/2025); never in the future."""
        values = self.raw(column)
        empty = values.eq("")
        parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
        uk = pd.to_datetime(values[parsed.isna()], format="%d/%m/%Y", errors="coerce")
        parsed = parsed.fillna(uk) if not uk.empty else parsed
        if required:
            self.flag(empty, column, "is required but empty")
        self.flag(
            ~empty & parsed.isna(),
            column,
            lambda value: f"{value!r} is not a date; use YYYY-MM-DD, for example 2025-03-31",
        )
        self.flag(
            parsed > self.today,
            column,
            lambda value: f"{value} is in the future",
        )
        return parsed

    def number(
        self, column: str, *, required: bool, low: float | None = None, high: float | None = None
    ) -> pd.Series:
        values = self.raw(column)
        empty = values.eq("")
        parsed = pd.to_numeric(values.where(~empty), errors="coerce")
        if required:
            self.flag(empty, column, "is required but empty")
        self.flag(~empty & parsed.isna(), column, lambda value: f"{value!r} is not a number")
        if low is not None:
            self.flag(parsed < low, column, lambda value: f"{value} is below {low:g}")
        if high is not None:
            self.flag(parsed > high, column, lambda value: f"{value} is above {high:g}")
        return parsed

    def choice(
        self,
        column: str,
        allowed: Mapping[str, str],
        *,
        required: bool,
        what: str,
        aliases: Mapping[str, str] | None = None,
    ) -> pd.Series:
        """Map typed text (a key, a label or an alias, any case) to its stored key."""
        lookup = {key.lower(): key for key in allowed}
        lookup.update({label.lower(): key for key, label in allowed.items()})
        lookup.update({alias.lower(): key for alias, key in (aliases or {}).items()})
        values = self.raw(column)
        empty = values.eq("")
        mapped = values.str.lower().map(lookup)
        if required:
            self.flag(empty, column, "is required but empty")
        choices = ", ".join(allowed)
        self.flag(
            ~empty & mapped.isna(),
            column,
            lambda value: f"{value!r} is not a known {what}; use one of: {choices}",
        )
        return mapped.where(~empty, None)

    def boolean(self, column: str) -> pd.Series:
        lowered = self.raw(column).str.lower()
        empty = lowered.eq("")
        result = pd.Series(None, index=self.frame.index, dtype=object)
        result[lowered.isin(TRUE_WORDS)] = True
        result[lowered.isin(FALSE_WORDS)] = False
        self.flag(~empty & result.isna(), column, lambda value: f"{value!r} is not yes or no")
        return result


def as_choices(values: Iterable[str]) -> dict[str, str]:
    """A vocabulary given as plain keys, in the form ``FrameChecker.choice`` takes."""
    return {value: value for value in values}


def on_step(values: pd.Series, start: float, step: float) -> pd.Series:
    """True where a value is a whole number of steps from the start of the scale."""
    steps = (values - start) / step
    return pd.Series(np.isclose(steps, np.round(steps)), index=values.index)
