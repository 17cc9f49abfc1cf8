"""One rule against spreadsheet formulas, used both ways.

Every file we write puts an apostrophe before text that a spreadsheet would run as a
formula (OWASP's list for CSV injection), and the importer takes exactly that apostrophe
off again, so exports import back unchanged. Both directions come from the one list of
formula starts, so they cannot drift apart.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
GUARDED_STARTS = tuple(GUARD + start for start in FORMULA_STARTS)


def neutralise(value):
    """Put the guard before a text cell that a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return GUARD + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``neutralise`` on every cell: what every table we write goes through."""
    return frame.map(neutralise)


def spreadsheet_csv(frame: pd.DataFrame) -> bytes:
    """A table as the CSV people open in a spreadsheet: formula-guarded, with a byte-order
    mark so Excel reads accents correctly."""
    text = neutralised(frame).to_csv(index=False, lineterminator="\n")
    return ("\ufeff" + text).encode("utf-8")


def unguard(text: str) -> str:
    """Take off the guard ``neutralise`` put on, and nothing else."""
    return text[len(GUARD) :] if text.startswith(GUARDED_STARTS) else text


def unguarded(cells: pd.Series) -> pd.Series:
    """``unguard`` on a column of text at once (a call per cell took seconds per county)."""
    guarded = cells.str.startswith(GUARDED_STARTS)
    if not guarded.any():
        return cells
    return cells.mask(guarded, cells[guarded].str.slice(len(GUARD)))
