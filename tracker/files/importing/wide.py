"""The wide layout: one row per assessment with a column per domain, as local spreadsheets
and the offline form lay scores out. It is turned into canonical score rows before checking,
each score keeping its line and its heading so problems point at the right cell."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import pandas as pd

from tracker.files.canonical import ASSESSMENT_COLUMNS
from tracker.files.problems import FileRejected, Problem
from tracker.files.tabular import Sheet, normalise_header
from tracker.instruments.loader import Instrument

# The instrument may be left out: the domain headings say which it is.
WIDE_REQUIRED = frozenset(ASSESSMENT_COLUMNS) - {"instrument"}


def is_wide(columns: Sequence[str]) -> bool:
    """One row per assessment with a column per domain, as local spreadsheets are laid out."""
    present = set(columns)
    return present >= WIDE_REQUIRED and not ({"score", "domain"} & present)


def _domain_headers(instrument: Instrument) -> dict[str, str]:
    """Header spellings (key or label, normalised) that name each domain."""
    names = {key: key for key in instrument.domain_keys}
    names.update({normalise_header(d.label): d.key for d in instrument.domains})
    return names


def unpivot_wide(
    sheet: Sheet, instruments: dict[str, Instrument]
) -> tuple[Sheet, dict[str, pd.Series], list[Problem]]:
    """Turn a wide sheet into canonical score rows, keeping each score's line and header.

    The instrument is the one whose domains the headers name; a header that names no domain
    of it is reported with the closest domain names as suggestions.
    """
    frame = sheet.frame
    headers = [c for c in frame.columns if c not in ASSESSMENT_COLUMNS and c != "note"]
    matches = {
        key: {h for h in headers if h in _domain_headers(spec)} for key, spec in instruments.items()
    }
    best = max(matches, key=lambda key: len(matches[key])) if matches else None
    if best is None or not matches[best]:
        raise FileRejected(
            Problem(
                sheet.name,
                1,
                "-",
                "the columns name no domain of any "
                "instrument; use domain keys or labels as headings",
            )
        )
    spec = instruments[best]
    names = _domain_headers(spec)
    problems = []
    for header in headers:
        if header not in names:
            close = difflib.get_close_matches(header, list(names), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(
                Problem(sheet.name, 1, header, f"this heading is not a domain of {best}{hint}")
            )
    known = [h for h in headers if h in names]
    id_columns = [c for c in (*ASSESSMENT_COLUMNS, "note") if c in frame.columns]
    long = frame.melt(
        id_vars=id_columns,
        value_vars=known,
        var_name="header",
        value_name="score",
        ignore_index=False,
    )
    lines = sheet.lines.loc[long.index].to_numpy()
    long = long.reset_index(drop=True)
    long["domain"] = long["header"].map(names)
    if "instrument" not in long.columns:
        long["instrument"] = best
    long["instrument"] = long["instrument"].where(long["instrument"] != "", best)
    headers_by_row = {"score": long["header"], "domain": long["header"]}
    unpivoted = Sheet(
        sheet.name, long.drop(columns="header"), pd.Series(lines, index=long.index, dtype="int64")
    )
    return unpivoted, headers_by_row, problems
