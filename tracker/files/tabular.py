"""Reading the tables people actually produce: CSV text, Excel workbooks and zips of CSVs.

Excel on Windows saves "CSV" as Windows-1252, sometimes as UTF-16, and often
with a byte-order mark. We accept those, say when we guessed, and refuse
bytes we cannot read rather than store mangled names. Every row keeps the line
it starts on in its file, so a problem can be found where it is.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from tracker.files.formula_guard import unguard, unguarded


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as ``file:line: column: message``."""

    file: str
    line: int
    column: str
    message: str
    severity: str = "error"
    value: str = ""

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}: {self.column}: {prefix}{self.message}"


class FileRejected(Exception):
    """The file cannot be read at all; ``problem`` says where and why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def normalise_header(name: str) -> str:
    """``Family Ref`` and ``family_ref`` are the same column."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _first_bad_line(raw: bytes, encoding: str) -> int:
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            return number
    return 1


def decode(raw: bytes, file: str) -> tuple[str, list[Problem]]:
    """The file's text, and a warning if it had to be read as Windows-1252."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), []
        except UnicodeDecodeError as error:
            raise FileRejected(
                Problem(file, 1, "-", f"the file says it is UTF-16 but is not ({error.reason})")
            ) from error
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        line = _first_bad_line(raw, "utf-8")
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileRejected(
            Problem(
                file,
                _first_bad_line(raw, "cp1252"),
                "-",
                "the text is neither UTF-8 nor Windows-1252; save the file as CSV UTF-8 and retry",
            )
        ) from error
    warning = Problem(
        file,
        line,
        "-",
        "the file is not UTF-8; it was read as Windows-1252 (as Excel on Windows saves it). "
        "Check that names with accents look right.",
        severity="warning",
    )
    return text, [warning]


@dataclass
class Sheet:
    """One table to import: a CSV file, or one sheet of a workbook."""

    name: str  # as messages name it: "scores.csv" or "book.xlsx[Scores]"
    frame: pd.DataFrame  # every cell as stripped text, "" when blank
    lines: pd.Series  # the line (row number) in the file each frame row starts on


# Line ends as pandas reads them.
LINE_END = re.compile(r"\r\n|\r|\n")


def read_csv_text(text: str, file: str) -> Sheet:
    """Every cell as stripped text (empty string when blank), with normalised headers, and
    the line in the file each row starts on."""
    if not text.strip():
        raise FileRejected(Problem(file, 1, "-", "the file is empty"))
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as error:
        raise FileRejected(_layout_problem(text, file, str(error))) from error
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas quietly reads a first row wider than the header as row labels and values.
        raise FileRejected(
            _layout_problem(text, file, "a row has more values than the header has columns")
        )
    lines = pd.Series(_row_lines(text, frame), index=frame.index, dtype="int64")
    frame.columns = [normalise_header(column) for column in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise FileRejected(Problem(file, 1, duplicated[0], "this column appears twice"))
    cells = frame.apply(lambda column: unguarded(column.str.strip())).fillna("")
    return Sheet(file, cells, lines)


def _row_lines(text: str, frame: pd.DataFrame) -> np.ndarray:
    """The line each row of ``frame`` (as pandas read ``text``) starts on.

    pandas skips blank lines and lets a quoted cell run over several lines, so a row's
    position does not give its line. When the file has neither (the usual case), or no
    rows, it does; otherwise the file's lines are walked, past the blank lines pandas skipped
    and over the line ends inside each row's cells.
    """
    line_ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    lines = line_ends + (not text.endswith(("\n", "\r")))
    if frame.empty or lines == len(frame) + 1:
        return np.arange(2, len(frame) + 2)
    blank = [not line.strip(" \t") for line in LINE_END.split(text)]
    breaks = frame.apply(lambda column: column.str.count(LINE_END.pattern)).sum(axis=1)
    header_span = 1 + sum(len(LINE_END.findall(str(name))) for name in frame.columns)
    position = blank.index(False) + header_span  # counting from 0
    starts = []
    for span in (1 + breaks).astype("int64").tolist():
        while position < len(blank) and blank[position]:
            position += 1
        starts.append(position + 1)
        position += span
    return np.array(starts, dtype="int64")


def _layout_problem(text: str, file: str, account: str) -> Problem:
    """The first row with more values than the header has columns, at its line (pandas does
    not say which line that was), or else pandas' own account of what broke."""
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(record for record in records if "".join(record).strip(" \t"))
        end = records.line_num
        for record in records:
            start, end = end + 1, records.line_num
            if len(record) > len(header):
                return Problem(
                    file,
                    start,
                    "-",
                    f"this row has {len(record)} values but the header has {len(header)} columns",
                )
    except (csv.Error, StopIteration):
        pass
    return Problem(file, 1, "-", f"the CSV layout is broken: {account}")


def read_csv(path: Path) -> tuple[Sheet, list[Problem]]:
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FileRejected(
            Problem(name, 0, "-", f"cannot read the file: {error.strerror}")
        ) from error
    text, warnings = decode(raw, name)
    return read_csv_text(text, name), warnings


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# A zip bomb guard: no real export member comes near this.
MAX_ARCHIVE_MEMBER_BYTES = 2_000_000_000


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return unguard(str(value).strip())


def _sheet_frame(rows: list[tuple], name: str) -> Sheet:
    header_row = next((i for i, row in enumerate(rows) if any(_cell_text(v) for v in row)), None)
    if header_row is None:
        raise FileRejected(Problem(name, 1, "-", "the sheet is empty"))
    header = [normalise_header(_cell_text(v)) for v in rows[header_row]]
    while header and not header[-1]:
        header.pop()
    if "" in header:
        raise FileRejected(Problem(name, header_row + 1, "-", "a column has no heading"))
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise FileRejected(
            Problem(name, header_row + 1, duplicated[0], "this column appears twice")
        )
    records, lines = [], []
    for number, row in enumerate(rows[header_row + 1 :], start=header_row + 2):
        cells = [_cell_text(v) for v in row[: len(header)]]
        cells += [""] * (len(header) - len(cells))
        if any(cells):
            records.append(cells)
            lines.append(number)
        extra = [v for v in row[len(header) :] if _cell_text(v)]
        if extra:
            raise FileRejected(
                Problem(name, number, "-", "a value sits in a column with no heading")
            )
    frame = pd.DataFrame(records, columns=header, dtype=object)
    return Sheet(name, frame, pd.Series(lines, index=frame.index, dtype="int64"))


def read_workbook(path: Path, sheet_names: set[str]) -> list[Sheet]:
    """The sheets to import from a workbook.

    A workbook whose sheets are named after canonical files (a full export) gives each of
    them; otherwise the sheet called "Scores" (the offline form) or else the first sheet.
    Formulas are read as their last calculated value.
    """
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise FileRejected(
            Problem(path.name, 0, "-", "the file cannot be opened as an Excel workbook (.xlsx)")
        ) from error
    try:
        titles = {normalise_header(title): title for title in book.sheetnames}
        chosen = [titles[name] for name in titles if name in sheet_names]
        if not chosen:
            chosen = [titles.get("scores", book.sheetnames[0])]
        return [
            _sheet_frame(list(book[title].iter_rows(values_only=True)), f"{path.name}[{title}]")
            for title in chosen
        ]
    finally:
        book.close()


def read_archive(path: Path) -> tuple[list[Sheet], list[Problem]]:
    """Every CSV in a zip (a full export), each read like a CSV file of its own."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise FileRejected(Problem(path.name, 0, "-", "the file is not a readable zip")) from error
    sheets, warnings = [], []
    with archive:
        members = [
            m for m in archive.infolist() if m.filename.lower().endswith(".csv") and not m.is_dir()
        ]
        if not members:
            raise FileRejected(Problem(path.name, 0, "-", "the zip holds no CSV files"))
        for member in members:
            if member.file_size > MAX_ARCHIVE_MEMBER_BYTES:
                raise FileRejected(Problem(path.name, 0, member.filename, "this file is too big"))
            name = f"{path.name}[{member.filename}]"
            text, found = decode(archive.read(member), name)
            sheets.append(read_csv_text(text, name))
            warnings += found
    return sheets, warnings


def read_tables(path: Path, sheet_names: set[str]) -> tuple[list[Sheet], list[Problem]]:
    """Every table in a CSV file, an Excel workbook or a zip of CSVs, with warnings."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_workbook(path, sheet_names), []
    if path.suffix.lower() == ".zip":
        return read_archive(path)
    sheet, warnings = read_csv(path)
    return [sheet], warnings
