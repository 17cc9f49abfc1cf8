"""The table of canonical files: it speaks only of its own columns, maps each to the model
column it is stored in, and the importer holds text to exactly what that column can store."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from tracker.files.canonical import FILE_KINDS, FileKind
from tracker.files.importing import ImportReport
from tracker.files.importing.reading import parse_path
from tracker.instruments.loader import load_instruments
from tracker.store.models import FamilyNote, KeyWorker, PlanGoal, Score

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
AFTER_THE_SAMPLE = date(2030, 1, 1)


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda kind: kind.name)
def test_each_kind_speaks_only_of_its_own_columns(kind: FileKind):
    columns = set(kind.columns)
    assert kind.signature in columns
    assert set(kind.identity) | set(kind.values) | set(kind.order) <= columns
    assert not set(kind.identity) & set(kind.values)
    assert set(kind.optional) | set(kind.choices) | set(kind.ranges) <= columns
    assert not set(kind.identity) & set(kind.optional)


@pytest.mark.parametrize(
    ("kind", "column", "stored_in"),
    [
        ("families", "key_worker", KeyWorker.name),
        ("scores", "score", Score.value),
        ("scores", "note", Score.note),
        ("goals", "goal", PlanGoal.text),
        ("notes", "note", FamilyNote.text),
    ],
)
def test_columns_named_otherwise_in_the_file_map_to_their_model_column(kind, column, stored_in):
    fields = {kind.name: kind.fields for kind in FILE_KINDS}[kind]
    assert fields[column] is stored_in


def sample_row(kind: FileKind) -> dict[str, str]:
    """The first row of the committed sample's file of this kind: valid in every column."""
    with (SAMPLE / kind.filename).open(encoding="utf-8", newline="") as handle:
        return next(csv.DictReader(handle))


FREE_TEXT = [
    pytest.param(kind, column, id=f"{kind.name}.{column}")
    for kind in FILE_KINDS
    for column in kind.columns
    if column in kind.lengths
    and column not in kind.choices
    and column not in ("instrument", "occasion")  # keys checked against their own lists
]


@pytest.mark.parametrize(("kind", "column"), FREE_TEXT)
def test_text_is_held_to_the_length_of_its_model_column(tmp_path, kind, column):
    limit = kind.fields[column].type.length
    instruments = load_instruments()
    for length, refused in ((limit, False), (limit + 1, True)):
        row = {**sample_row(kind), column: "x" * length}
        path = tmp_path / kind.filename
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            writer.writeheader()
            writer.writerow(row)
        report = ImportReport()
        parse_path(path, instruments, AFTER_THE_SAMPLE, report)
        too_long = f"{kind.filename}:2: {column}: is longer than {limit} characters"
        assert (too_long in [str(problem) for problem in report.problems]) is refused
