"""Reading the tables people actually produce: CSV text, Excel workbooks and zips of CSVs.

Excel on Windows saves "CSV" as Windows-1252, sometimes as UTF-16, and often
with a byte-order mark. We accept those, say when we guessed, and refuse
bytes we cannot read rather than store mangled names. Every row keeps the line
it starts on in its file, so a problem can be found where it is.

Files may be hostile, so what is read is bounded by the limits in the settings: an
upload's size, a zip's unpacked size (``archives``), a table's columns, and a sheet's
rows, read by what the sheet holds rather than by the size it declares.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from tracker.files.archives import MB, BoundedZip, ZipLimits
from tracker.files.formula_guard import unguard, unguarded
from tracker.files.problems import FileRejected, Problem
from tracker.files.validation import CONTROL_CHARACTERS, control_character
from tracker.store.settings import Settings, get_settings


@dataclass(frozen=True)
class Upload:
    """A file as a browser sends it, its name and bytes, read from memory and never saved."""

    name: str
    data: bytes


def _bytes_of(source: Path | Upload, settings: Settings) -> tuple[str, bytes]:
    """A file's name and bytes; an upload is held to the upload limit first."""
    if isinstance(source, Upload):
        if len(source.data) > settings.upload_max_mb * MB:
            raise FileRejected(
                Problem(
                    source.name,
                    0,
                    "-",
                    f"the file is {len(source.data) / MB:.1f} MB, more than the limit of "
                    f"{settings.upload_max_mb:,} MB (TRACKER_UPLOAD_MAX_MB)",
                )
            )
        return source.name, source.data
    try:
        return source.name, source.read_bytes()
    except OSError as error:
        raise FileRejected(
            Problem(source.name, 0, "-", f"cannot read the file: {error.strerror}")
        ) from error


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


# A character of two or more bytes as UTF-8 writes it: text that is UTF-8 for certain.
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def decode(raw: bytes, file: str) -> tuple[str, list[Problem]]:
    """The file's text, and a warning if it had to be read as Windows-1252.

    A file partly in UTF-8 and partly not is refused: read either way, some of its names
    would be stored garbled ("ZoÃ« Court").
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), []
        except UnicodeDecodeError as error:
            raise FileRejected(
                Problem(file, 1, "-", f"the file says it is UTF-16 but is not ({error.reason})")
            ) from error
    marked = raw.startswith(codecs.BOM_UTF8)
    if marked:
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
    utf8 = UTF8_MULTIBYTE.search(raw)
    if marked or utf8:
        utf8_line = raw.count(b"\n", 0, utf8.start()) + 1 if utf8 else 1
        raise FileRejected(
            Problem(
                file,
                line,
                "-",
                f"this line is not UTF-8 but line {utf8_line} is: the file mixes UTF-8 with "
                "another encoding (Windows-1252, as Excel on Windows saves it), so names would "
                "be stored garbled. Save the whole file as CSV UTF-8 and retry",
            )
        )
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
    # "table": a header row, then rows; "form": the offline form's cells, in columns named
    # by their letters (``tracker.files.template`` reads them).
    layout: str = "table"


# The offline form's sheet, read as a grid of cells, and how many columns it has.
FORM_SHEET = "Offline form"
FORM_COLUMNS = ("a", "b", "c", "d")


def _headings(header: list[str], file: str, line: int, max_columns: int) -> list[str]:
    """The normalised headings, refused when there are too many, one is blank or appears
    twice, or one holds a character that cannot be stored."""
    if len(header) > max_columns:
        raise FileRejected(_too_wide(file, line, max_columns))
    for name in header:
        if CONTROL_CHARACTERS.search(name):
            raise FileRejected(
                Problem(file, line, "-", f"a heading holds {control_character(name)}")
            )
    if "" in header:
        raise FileRejected(Problem(file, line, "-", "a column has no heading"))
    names = [normalise_header(name) for name in header]
    seen = set()
    for name in names:
        if name in seen:
            raise FileRejected(Problem(file, line, name, "this column appears twice"))
        seen.add(name)
    return names


def _too_wide(file: str, line: int, max_columns: int) -> Problem:
    return Problem(
        file,
        line,
        "-",
        f"the header has more than the limit of {max_columns:,} columns "
        "(TRACKER_IMPORT_MAX_COLUMNS)",
    )


# Line ends as pandas reads them, and the blank lines it skips before the header.
LINE_END = re.compile(r"\r\n|\r|\n")
BLANK_START = re.compile(r"[ \t\r\n]*")


def read_csv_text(text: str, file: str, max_columns: int) -> Sheet:
    """Every cell as stripped text (empty string when blank), with normalised headers, and
    the line in the file each row starts on."""
    if not text or text.isspace():
        raise FileRejected(Problem(file, 1, "-", "the file is empty"))
    start = BLANK_START.match(text).end()
    header_line = len(LINE_END.findall(text, 0, start)) + 1
    end = LINE_END.search(text, start)
    if text.count(",", start, end.start() if end else len(text)) >= max_columns:
        # Before pandas makes a column of each: a header of a million commas is a few MB.
        raise FileRejected(_too_wide(file, header_line, max_columns))
    try:
        # No header row for pandas: it would rename a heading that appears twice.
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as error:
        raise FileRejected(_layout_problem(text, file, str(error))) from error
    # pandas' own name for a blank heading; the column is then reported as unused.
    header = [name or f"Unnamed: {index}" for index, name in enumerate(frame.iloc[0].tolist())]
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = _headings(header, file, header_line, max_columns)
    lines = pd.Series(_row_lines(text, frame, header), index=frame.index, dtype="int64")
    cells = frame.apply(lambda column: unguarded(column.str.strip())).fillna("")
    return Sheet(file, cells, lines)


def _row_lines(text: str, frame: pd.DataFrame, header: list[str]) -> np.ndarray:
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
    header_span = 1 + sum(len(LINE_END.findall(name)) for name in header)
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


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# The most rows a sheet can have: Excel's own grid ends here.
EXCEL_ROWS = 1_048_576
# A formula in a sheet's XML (``<f>``, or ``<x:f>`` with a prefix).
FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


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


def _unpacked_with_formulas(workbook: BoundedZip) -> bool:
    """Unpack every part of a workbook, counting its real bytes against the zip limits
    before openpyxl reads any, and say whether any sheet holds a formula."""
    formulas = False
    for info in workbook.members:
        sheet = info.filename.startswith("xl/worksheets/")
        tail = b""
        for piece in workbook.pieces(info):
            if sheet and not formulas:
                formulas = FORMULA_ELEMENT.search(tail + piece) is not None
                tail = piece[-64:]
    return formulas


class _SheetReader:
    """One sheet, read by the rows it holds: no wider than the limit on columns, and no
    further than the limit on rows (or Excel's last row), whatever size it declares."""

    def __init__(self, name: str, settings: Settings, *, form: bool = False):
        self.name = name
        self.max_columns = settings.import_max_columns
        self.max_rows = settings.import_max_rows
        # A form has no header row: every row counts, in the form's columns.
        self.form = form
        self.header: list[str] = list(FORM_COLUMNS) if form else []
        self.header_line = 0
        self.records: list[list[str]] = []
        self.lines: list[int] = []

    def _refuse(self, line: int, column: str, message: str) -> FileRejected:
        return FileRejected(Problem(self.name, line, column, message))

    def read(self, rows: Iterator[tuple[tuple, list[int]]]) -> Sheet:
        """``rows`` give each row's values, as last calculated, and the columns (from 0)
        of any formulas in it saved without a value."""
        for line, (row, uncached) in enumerate(rows, start=1):
            if line > EXCEL_ROWS:
                raise self._refuse(line, "-", f"the sheet goes past row {EXCEL_ROWS:,}")
            if row.count(None) == len(row) and not uncached:
                continue
            if not self.header:
                self._take_header(line, row)
            elif line > self.header_line + self.max_rows:
                raise self._refuse(
                    line,
                    "-",
                    f"the sheet has more than the limit of {self.max_rows:,} rows "
                    "(TRACKER_IMPORT_MAX_ROWS)",
                )
            else:
                self._take_row(line, row, uncached)
        if not self.header or (self.form and not self.records):
            raise self._refuse(1, "-", "the sheet is empty")
        frame = pd.DataFrame(self.records, columns=self.header, dtype=object)
        lines = pd.Series(self.lines, index=frame.index, dtype="int64")
        return Sheet(self.name, frame, lines, "form" if self.form else "table")

    def _take_header(self, line: int, row: tuple) -> None:
        header = [_cell_text(value) for value in row]
        while header and not header[-1]:
            header.pop()
        if not header:
            return
        self.header = _headings(header, self.name, line, self.max_columns)
        self.header_line = line

    def _take_row(self, line: int, row: tuple, uncached: list[int]) -> None:
        width = len(self.header)
        if any(_cell_text(value) for value in row[width:] if value is not None):
            where = "outside the form's columns" if self.form else "in a column with no heading"
            raise self._refuse(line, "-", f"a value sits {where}")
        for column in uncached:
            if column < width:
                raise self._refuse(
                    line,
                    self.header[column],
                    f"cell {get_column_letter(column + 1)}{line} holds a formula with no "
                    "calculated value; open the workbook in Excel, let it calculate, save it "
                    "and retry",
                )
        cells = [_cell_text(value) for value in row[:width]]
        if any(cells):
            self.records.append(cells + [""] * (width - len(cells)))
            self.lines.append(line)


def _sheet_rows(book, title: str, width: int, *, values_only: bool = True) -> Iterator[tuple]:
    """A sheet's rows, read by what the sheet holds, not the size it declares."""
    sheet = book[title]
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=values_only, max_col=width)


def _with_uncached(calculated: Iterator[tuple], typed: Iterator[tuple]):
    """Each row's values, with the columns of formulas saved without a value: a formula
    cell with no value, unless its value is empty text (typed ``str``), which is blank."""
    for cells, formulas in zip(calculated, typed, strict=True):
        values = tuple(cell.value for cell in cells)
        uncached = [
            column
            for column, (cell, formula) in enumerate(zip(cells, formulas, strict=True))
            if formula is not None and cell.value is None and cell.data_type != "str"
        ]
        yield values, uncached


def read_workbook(data: bytes, name: str, sheet_names: set[str], settings: Settings) -> list[Sheet]:
    """The sheets to import from a workbook.

    A workbook whose sheets are named after canonical files (a full export) gives each of
    them; otherwise the offline form's sheet, read as its cells; otherwise the sheet called
    "Scores" (a wide sheet) or else the first sheet. Formulas are read as their last
    calculated value; one saved without a value is refused.
    """
    unreadable = "the file cannot be opened as an Excel workbook (.xlsx)"
    with BoundedZip(
        data, name, ZipLimits.of(settings), what="workbook", unreadable=unreadable
    ) as workbook:
        has_formulas = _unpacked_with_formulas(workbook)
    books = []
    try:
        # As last calculated; and, when there are formulas, as typed, to find any unsaved.
        books.append(openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True))
        if has_formulas:
            books.append(openpyxl.load_workbook(io.BytesIO(data), read_only=True))
        titles = {normalise_header(title): title for title in books[0].sheetnames}
        chosen = [titles[key] for key in titles if key in sheet_names]
        form = not chosen and normalise_header(FORM_SHEET) in titles
        if form:
            chosen = [titles[normalise_header(FORM_SHEET)]]
        elif not chosen:
            chosen = [titles.get("scores", books[0].sheetnames[0])]
        # One column past the limit, to tell a sheet that is too wide.
        width = settings.import_max_columns + 1
        sheets = []
        for title in chosen:
            if has_formulas:
                rows = _with_uncached(
                    _sheet_rows(books[0], title, width, values_only=False),
                    _sheet_rows(books[1], title, width),
                )
            else:
                rows = ((values, []) for values in _sheet_rows(books[0], title, width))
            sheets.append(_SheetReader(f"{name}[{title}]", settings, form=form).read(rows))
        return sheets
    except FileRejected:
        raise
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise FileRejected(
            Problem(name, 0, "-", "the file cannot be read as an Excel workbook (.xlsx)")
        ) from error
    finally:
        for book in books:
            book.close()


def read_archive(data: bytes, name: str, settings: Settings) -> tuple[list[Sheet], list[Problem]]:
    """Every CSV in a zip (a full export), each read like a CSV file of its own."""
    sheets, warnings = [], []
    with BoundedZip(
        data, name, ZipLimits.of(settings), what="zip", unreadable="the file is not a readable zip"
    ) as archive:
        members = [m for m in archive.members if m.filename.lower().endswith(".csv")]
        if not members:
            raise FileRejected(Problem(name, 0, "-", "the zip holds no CSV files"))
        for member in members:
            where = archive.where(member)
            text, found = decode(archive.read(member), where)
            sheets.append(read_csv_text(text, where, settings.import_max_columns))
            warnings += found
    return sheets, warnings


def read_tables(source: Path | Upload, sheet_names: set[str]) -> tuple[list[Sheet], list[Problem]]:
    """Every table in a CSV file, an Excel workbook or a zip of CSVs, with warnings."""
    settings = get_settings()
    name, data = _bytes_of(source, settings)
    suffix = Path(name).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return read_workbook(data, name, sheet_names, settings), []
    if suffix == ".zip":
        return read_archive(data, name, settings)
    text, warnings = decode(data, name)
    return [read_csv_text(text, name, settings.import_max_columns)], warnings
