"""Comparing incoming rows with what is stored: new, unchanged, or a changed value.

Rows are matched on their kind's identity. Duplicates within a file must agree, and a
stored value may only change when the caller asked to replace; otherwise each difference
is a problem naming the line, the column and both values.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tracker.files.importing.reading import ParsedFile
from tracker.files.problems import Problem, Problems


def same_cells(left: pd.Series, right: pd.Series) -> pd.Series:
    """Element-wise equality that treats two missing values as equal."""
    left_missing = left.isna()
    right_missing = right.isna()
    equal = left.astype(object).where(~left_missing, None) == right.astype(object).where(
        ~right_missing, None
    )
    return (left_missing & right_missing) | (~left_missing & ~right_missing & equal)


def _show(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "blank"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Reconciled:
    new: pd.DataFrame
    replaced: pd.DataFrame  # incoming values plus the stored ``id``
    unchanged: int


def reconcile(
    parsed: ParsedFile,
    stored: pd.DataFrame,
    identity: list[str],
    values: list[str],
    *,
    replace: bool,
    problems: Problems,
    what: str,
    seen: pd.DataFrame | None = None,
    key: str | None = None,
) -> Reconciled:
    """Sort a file's rows into new, unchanged and changed against the store.

    Duplicates within the file must agree; a stored value may only change
    with ``replace``. ``what`` names one row in messages ("the same goal").
    ``seen`` are rows met first in an earlier chunk of the same file (identity, values,
    line): the rows here are checked against them and they are not sorted again.
    ``key`` names a column of both that stands for the identity (one integer rather than
    several columns of text), to find duplicates faster.
    """
    rows = parsed.rows
    same = [key] if key else identity
    if seen is not None and not seen.empty:
        earlier = seen[[*same, *identity, *values, "line"]].assign(_seen=True)
        rows = pd.concat([earlier, rows.assign(_seen=False)], ignore_index=True)
    # By position, not line: one line of a wide sheet holds many rows.
    order = rows.groupby(same, dropna=False, sort=False).cumcount()
    firsts = rows[order == 0]
    later = rows[order > 0].merge(
        firsts[[*same, *values, "line"]], on=same, suffixes=("", "_first")
    )
    for column in values:
        clash = later[~same_cells(later[column], later[f"{column}_first"])]
        problems.each(
            (row for _, row in clash.iterrows()),
            len(clash),
            lambda row, column=column: Problem(
                parsed.file,
                int(row["line"]),
                column,
                f"{_show(row[column])} conflicts with {_show(row[f'{column}_first'])} "
                f"for the same {what} on line {int(row['line_first'])}",
            ),
            "error",
        )
    if "_seen" in firsts:
        firsts = firsts[~firsts["_seen"].astype(bool)].drop(columns="_seen")
    if stored.empty:  # nothing to match: every row is new
        merged = firsts.assign(id=float("nan"), **{f"{c}_stored": None for c in values})
    else:
        merged = firsts.merge(
            stored[[*identity, *values, "id"]], on=identity, how="left", suffixes=("", "_stored")
        )
    is_new = merged["id"].isna()
    for column in parsed.absent & set(values):  # left out of the file: keep what is stored
        merged[column] = merged[column].where(is_new, merged[f"{column}_stored"])
    differs = pd.Series(False, index=merged.index)
    for column in values if not is_new.all() else ():
        changed = ~is_new & ~same_cells(merged[column], merged[f"{column}_stored"])
        differs |= changed
        if not replace:
            problems.each(
                (row for _, row in merged[changed].iterrows()),
                int(changed.sum()),
                lambda row, column=column: Problem(
                    parsed.file,
                    int(row["line"]),
                    column,
                    f"the stored value is {_show(row[f'{column}_stored'])} but the file has "
                    f"{_show(row[column])}; use replace to overwrite it",
                ),
                "error",
            )
    keep = [*identity, *values, "line"]
    replaced = merged[differs][[*keep, "id"]].astype({"id": "int64"})
    return Reconciled(
        new=merged[is_new][keep], replaced=replaced, unchanged=int((~is_new & ~differs).sum())
    )
