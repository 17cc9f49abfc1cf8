"""A big CSV of scores, read a chunk of rows at a time, so an import's memory stays flat
however long the file is.

A national programme's scores run to millions of rows; held whole as text they took
gigabytes. A file is streamed when it is a plain CSV of scores (not wide) on disk, larger
than ``STREAM_BYTES`` and entirely UTF-8; anything else (uploads, workbooks, zips, other
encodings) is read whole as before. Each chunk is read exactly as a whole file is
(``read_csv_text``), its lines shifted to where they are in the file, so every message
names the same line. Across chunks only compact keys are kept (``SeenKeys``).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from itertools import islice
from pathlib import Path

import numpy as np

from tracker.files.archives import MB
from tracker.files.canonical import SCORES, FileKind
from tracker.files.importing.wide import is_wide
from tracker.files.problems import FileRejected
from tracker.files.tabular import Sheet, normalise_header, read_csv_text

# Rows per chunk: big enough that pandas' per-call costs vanish, small enough to stay flat.
CHUNK_ROWS = 200_000
# Smaller files are read whole, as every other table is.
STREAM_BYTES = 16 * MB
# How much is decoded at a time to check that the whole file is UTF-8.
SCAN_BYTES = 16 * MB


@dataclass(frozen=True)
class StreamedFile:
    """A CSV of scores to be read a chunk at a time when the import compares it."""

    kind: FileKind
    file: str  # as messages name it
    path: Path
    header: str  # the header line as the file has it, line end included
    header_line: int  # its line in the file (blank lines before it are skipped)
    size: int  # bytes, for progress
    today: date | None = None  # what "in the future" is judged against

    def sheets(self, max_columns: int) -> Iterator[tuple[Sheet, int]]:
        """Each chunk as a sheet whose lines are the file's, with the bytes read so far.

        A chunk ends at a line end outside quotes (an even count of quote marks so far), so
        a cell running over several lines stays in one chunk.
        """
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            for _ in range(self.header_line):
                next(handle)
            first = self.header_line + 1
            done = len(self.header.encode())
            while lines := list(islice(handle, CHUNK_ROWS)):
                text = "".join(lines)
                while text.count('"') % 2 and (more := list(islice(handle, 1))):
                    lines += more
                    text += more[0]
                done += len(text.encode())
                shift = first - 2  # the chunk's first row is line 2 of its own text
                try:
                    sheet = read_csv_text(self.header + text, self.file, max_columns)
                except FileRejected as rejected:
                    problem = rejected.problem
                    if problem.line > 1:
                        problem = replace(problem, line=problem.line + shift)
                    raise FileRejected(problem) from rejected
                yield replace(sheet, lines=sheet.lines + shift), done
                first += len(lines)


def _utf8_throughout(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(SCAN_BYTES):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def streamed_csv(path: Path) -> StreamedFile | None:
    """The file as a ``StreamedFile`` when it should be streamed, else None (read it whole)."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    size = path.stat().st_size
    if size < STREAM_BYTES:
        return None
    with path.open("rb") as handle:
        if handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return None
    if not _utf8_throughout(path):
        return None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header_line, header = 0, ""
        for header_line, header in enumerate(handle, start=1):  # noqa: B007
            if header.strip(" \t\r\n"):
                break
    # A quoted heading (perhaps over several lines) is left to the whole-file reader.
    if '"' in header or not header.endswith(("\n", "\r")):
        return None
    names = [normalise_header(name) for name in next(csv.reader([header.rstrip("\r\n")]))]
    if SCORES.signature not in names or not set(SCORES.required) <= set(names):
        return None
    if is_wide(names) or len(set(names)) != len(names):
        return None
    return StreamedFile(SCORES, path.name, path, header, header_line, size)


# A run grows by merging only up to this many keys, so a merge never copies more: past it,
# runs are kept side by side (a national file makes a handful) and each is searched.
MAX_RUN = 4_000_000


def _mergeable(earlier: np.ndarray, later: np.ndarray) -> bool:
    return len(earlier) <= 2 * len(later) and len(earlier) + len(later) <= MAX_RUN


class SeenKeys:
    """Integer keys met so far, each with a row of integer payload, looked up by key.

    Kept as a few sorted runs, merged as they grow (each key is copied about log n
    times), so adding a chunk and looking one up stay cheap at millions of keys.
    """

    def __init__(self, *payload: str):
        self.names = payload
        self.runs: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self.runs)

    def add(self, keys: np.ndarray, **payload: np.ndarray) -> None:
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self.runs.append((keys[order], {name: payload[name][order] for name in self.names}))
        while len(self.runs) > 1 and _mergeable(self.runs[-2][0], self.runs[-1][0]):
            (low, low_payload), (high, high_payload) = self.runs.pop(-2), self.runs.pop()
            # Where each of the later run's keys goes among the earlier's: no sort needed.
            at = np.searchsorted(low, high, side="right") + np.arange(len(high))
            rest = np.ones(len(low) + len(high), dtype=bool)
            rest[at] = False
            merged = {}
            for name, low_values, high_values in (
                ("", low, high),
                *((name, low_payload[name], high_payload[name]) for name in self.names),
            ):
                values = np.empty(len(rest), dtype=low_values.dtype)
                values[at], values[rest] = high_values, low_values
                merged[name] = values
            self.runs.append((merged.pop(""), merged))

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Whether each key was seen, and its payload (undefined where not)."""
        found = np.zeros(len(keys), dtype=bool)
        payload = {name: np.zeros(len(keys), dtype=np.int64) for name in self.names}
        for run, values in self.runs:
            at = np.searchsorted(run, keys).clip(max=len(run) - 1)
            hit = ~found & (run[at] == keys)
            found |= hit
            for name in self.names:
                payload[name][hit] = values[name][at[hit]]
        return found, payload
