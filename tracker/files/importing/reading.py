"""Reading an import's files: which canonical file each table is, and its rows checked.

Nothing here touches the store; a file that cannot be read, or a row that is wrong, is
a problem in the report, and whatever could be read goes on to be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from tracker.files.canonical import FILE_KINDS, FileKind
from tracker.files.importing.checks import typed_rows
from tracker.files.importing.report import ImportReport
from tracker.files.importing.wide import is_wide, unpivot_wide
from tracker.files.tabular import FileRejected, Problem, Sheet, read_tables
from tracker.files.validation import FrameChecker
from tracker.instruments.loader import Instrument


@dataclass
class ParsedFile:
    kind: FileKind
    file: str
    rows: pd.DataFrame  # typed values named as the file names them, plus ``line``


def recognise(columns: Sequence[str], file: str) -> FileKind:
    """Which canonical file this is, from its header alone."""
    present = set(columns)
    candidates = [kind for kind in FILE_KINDS if kind.signature in present]
    if len(candidates) > 1:
        complete = [kind for kind in candidates if set(kind.required) <= present]
        candidates = complete or candidates
    if not candidates:
        expected = "; ".join(f"{kind.name}: {', '.join(kind.required)}" for kind in FILE_KINDS)
        raise FileRejected(
            Problem(file, 1, "-", f"the header matches no known file. Expected one of {expected}")
        )
    if len(candidates) > 1:
        names = " or ".join(kind.name for kind in candidates)
        raise FileRejected(Problem(file, 1, "-", f"the header could be {names}; split the file"))
    kind = candidates[0]
    missing = [column for column in kind.required if column not in present]
    if missing:
        raise FileRejected(
            Problem(
                file,
                1,
                missing[0],
                f"missing required column for {kind.name} (missing: {', '.join(missing)})",
            )
        )
    return kind


def parse_sheet(
    sheet: Sheet, instruments: dict[str, Instrument], today: date, report: ImportReport
) -> ParsedFile | None:
    """Recognise and check one table; problems go into the report."""
    headers: dict[str, pd.Series] = {}
    try:
        if is_wide(list(sheet.frame.columns)):
            sheet, headers, problems = unpivot_wide(sheet, instruments)
            report.problems.extend(problems)
        kind = recognise(list(sheet.frame.columns), sheet.name)
    except FileRejected as rejected:
        report.problems.append(rejected.problem)
        return None
    frame = sheet.frame
    for column in frame.columns:
        if column not in kind.columns:
            report.problems.append(
                Problem(sheet.name, 1, column, "this column is not used and was ignored", "warning")
            )
    if frame.empty:
        report.problems.append(Problem(sheet.name, 1, "-", "there are no data rows", "warning"))
    check = FrameChecker(sheet.name, frame, today, lines=sheet.lines, headers=headers)
    rows = typed_rows(check, kind, instruments)
    rows["line"] = sheet.lines
    report.problems.extend(check.problems)
    return ParsedFile(kind, sheet.name, rows.reset_index(drop=True))


def parse_path(
    path: Path, instruments: dict[str, Instrument], today: date, report: ImportReport
) -> list[ParsedFile]:
    """Every table in a CSV or Excel file, checked."""
    try:
        sheets, warnings = read_tables(path, {kind.name for kind in FILE_KINDS})
    except FileRejected as rejected:
        report.problems.append(rejected.problem)
        return []
    report.problems.extend(warnings)
    parsed = [parse_sheet(sheet, instruments, today, report) for sheet in sheets]
    return [item for item in parsed if item is not None]
