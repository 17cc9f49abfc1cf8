"""Reading an import's files: which canonical file each table is, and its rows checked.

Nothing here touches the store; a file that cannot be read, or a row that is wrong, is
a problem in the report, and whatever could be read goes on to be compared. What is read
is kept (``ReadFiles``), so a page can check it against the store again and import it
without reading the files a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from tracker.files.canonical import FILE_KINDS, FileKind
from tracker.files.importing.checks import typed_rows
from tracker.files.importing.report import ImportReport
from tracker.files.importing.streaming import StreamedFile, streamed_csv
from tracker.files.importing.wide import is_wide, unpivot_wide
from tracker.files.problems import FileRejected, Problem
from tracker.files.tabular import Sheet, Upload, read_tables
from tracker.files.template import form_rows
from tracker.files.validation import FrameChecker
from tracker.instruments.loader import Instrument, load_instruments

# Rows of each table kept for a preview.
PREVIEW_ROWS = 10


@dataclass
class ParsedFile:
    kind: FileKind
    file: str
    rows: pd.DataFrame  # typed values named as the file names them, plus ``line``
    # Columns whose value sits in one cell above the rows (the offline form's fields), by
    # that cell's line, so a problem with the value points there.
    field_lines: dict[str, int] = field(default_factory=dict)
    # Optional columns the file leaves out: a stored value there is kept, never blanked.
    absent: frozenset[str] = frozenset()

    def line_of(self, column: str, lines: pd.Series) -> pd.Series:
        """Where ``column``'s value is for rows on these lines."""
        if column not in self.field_lines:
            return lines
        return pd.Series(self.field_lines[column], index=lines.index, dtype="int64")


@dataclass(frozen=True)
class TableRead:
    """One table as read, for a preview: its name, how many rows, and the first few."""

    name: str
    rows: int
    first_rows: pd.DataFrame


@dataclass
class ReadFiles:
    """Every table of an import's files, read and checked; compared with the store later."""

    names: list[str]  # the files, as the audit trail names an import
    files: list[ParsedFile | StreamedFile]  # streamed ones are read as they are compared
    tables: list[TableRead]
    report: ImportReport  # what reading found; each import starts from a copy


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
    sheet: Sheet,
    instruments: dict[str, Instrument],
    today: date,
    report: ImportReport,
    *,
    whole: bool = True,
) -> ParsedFile | None:
    """Recognise and check one table; problems go into the report.

    ``whole`` is False for a later chunk of a streamed file: what is said of the header
    (unused columns) was said with the first.
    """
    headers: dict[str, pd.Series] = {}
    field_lines: dict[str, int] = {}
    try:
        if sheet.layout == "form":
            sheet, field_lines, headers, problems = form_rows(sheet, instruments)
            report.problems.extend(problems)
        elif is_wide(list(sheet.frame.columns)):
            sheet, headers, problems = unpivot_wide(sheet, instruments)
            report.problems.extend(problems)
        kind = recognise(list(sheet.frame.columns), sheet.name)
    except FileRejected as rejected:
        report.problems.append(rejected.problem)
        return None
    frame = sheet.frame
    for column in frame.columns if whole else ():
        if column not in kind.columns:
            report.problems.append(
                Problem(sheet.name, 1, column, "this column is not used and was ignored", "warning")
            )
    if frame.empty and whole:
        report.problems.append(Problem(sheet.name, 1, "-", "there are no data rows", "warning"))
    check = FrameChecker(
        sheet.name,
        frame,
        today,
        lines=sheet.lines,
        problems=report.problems,
        headers=headers,
        field_lines=field_lines,
    )
    rows = typed_rows(check, kind, instruments)
    rows["line"] = sheet.lines
    absent = kind.optional - set(frame.columns)
    return ParsedFile(kind, sheet.name, rows.reset_index(drop=True), field_lines, absent)


def parse_path(
    source: Path | Upload,
    instruments: dict[str, Instrument],
    today: date,
    report: ImportReport,
    tables: list[TableRead] | None = None,
) -> list[ParsedFile]:
    """Every table in a CSV, Excel or zip file, checked; what was read goes to ``tables``."""
    try:
        sheets, warnings = read_tables(source, {kind.name for kind in FILE_KINDS})
    except FileRejected as rejected:
        report.problems.append(rejected.problem)
        return []
    report.problems.extend(warnings)
    if tables is not None:
        tables += [
            TableRead(sheet.name, len(sheet.frame), sheet.frame.head(PREVIEW_ROWS))
            for sheet in sheets
        ]
    parsed = [parse_sheet(sheet, instruments, today, report) for sheet in sheets]
    return [item for item in parsed if item is not None]


def read_files(
    sources: Sequence[Path | Upload], *, today: date | None = None, progress=None
) -> ReadFiles:
    """Read and check every file (paths, or uploads held in memory), once."""
    progress = progress or (lambda share, stage: None)
    instruments = load_instruments()
    today = today or date.today()
    report = ImportReport()
    names: list[str] = []
    files: list[ParsedFile] = []
    tables: list[TableRead] = []
    for number, source in enumerate(sources, start=1):
        progress(0.3 * number / len(sources), "Reading and checking")
        source = source if isinstance(source, Upload) else Path(source)
        names.append(source.name)
        streamed = None if isinstance(source, Upload) else streamed_csv(source)
        if streamed is not None:
            files.append(replace(streamed, today=today))
        else:
            files += parse_path(source, instruments, today, report, tables)
    files.sort(key=lambda parsed: FILE_KINDS.index(parsed.kind))
    return ReadFiles(names, files, tables, report)
