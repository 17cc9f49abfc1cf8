"""Reading a CSV file as text people actually produce it.

Excel on Windows saves "CSV" as Windows-1252, sometimes as UTF-16, and often
with a byte-order mark. We accept those, say when we guessed, and refuse
bytes we cannot read rather than store mangled names.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as ``file:line: column: message``."""

    file: str
    line: int
    column: str
    message: str
    severity: str = "error"

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


def read_csv_text(text: str, file: str) -> pd.DataFrame:
    """Every cell as stripped text (empty string when blank), with normalised headers."""
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
        raise FileRejected(Problem(file, 1, "-", f"the CSV layout is broken: {error}")) from error
    frame.columns = [normalise_header(column) for column in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise FileRejected(Problem(file, 1, duplicated[0], "this column appears twice"))
    return frame.apply(lambda column: column.str.strip()).fillna("")


def read_csv(path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FileRejected(
            Problem(name, 0, "-", f"cannot read the file: {error.strerror}")
        ) from error
    text, warnings = decode(raw, name)
    return read_csv_text(text, name), warnings
