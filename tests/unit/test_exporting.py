"""Full exports (CSV folder, zip, workbook) round-trip; no export carries a live formula."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pytest

from tests.unit.helpers import FAMILY_HEADER, snapshot, write_csv
from tracker.cli import main
from tracker.files.exporting import canonical_frames, canonical_workbook, canonical_zip
from tracker.files.formula_guard import neutralise, unguard, unguarded
from tracker.files.importing import import_files
from tracker.render.downloads import table_csv, table_xlsx
from tracker.store.db import make_engine

HOSTILE = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("Plain words") == "Plain words"
    assert neutralise(3.5) == 3.5


def test_the_importer_takes_off_exactly_the_guard_the_exporter_puts_on():
    texts = [*HOSTILE, "'quoted on purpose", "''=twice", "plain"]
    written = [neutralise(text) for text in texts]
    assert [unguard(cell) for cell in written] == texts
    assert unguarded(pd.Series(written, dtype="str")).tolist() == texts


@pytest.fixture
def hostile_store(engine, tmp_path):
    families = write_csv(
        tmp_path / "families.csv",
        [*FAMILY_HEADER, "closure_note"],
        [
            [ref, "Northfield", "tier 2", "=cmd|' /C calc'!A0", "School", "2025-01-06", ""]
            for ref in ["=F1", "+F2", "@F3"]
        ],
    )
    notes = write_csv(
        tmp_path / "notes.csv",
        ["family_ref", "written_on", "note"],
        [["=F1", "2025-02-01", "-1 day late; =IMPORTXML()"]],
    )
    report = import_files(engine, [families, notes], today=date(2025, 6, 1))
    assert report.ok, report.problems
    return engine


def _cells(frame: pd.DataFrame) -> list[str]:
    return [str(value) for value in frame.to_numpy().ravel() if isinstance(value, str)]


def test_no_export_cell_starts_a_formula(hostile_store):
    with hostile_store.connect() as connection:
        frames = canonical_frames(connection)
    with zipfile.ZipFile(io.BytesIO(canonical_zip(frames))) as archive:
        for name in archive.namelist():
            frame = pd.read_csv(archive.open(name), dtype=str, keep_default_na=False)
            assert not [c for c in _cells(frame) if c.startswith(("=", "+", "-", "@"))], name
    book = openpyxl.load_workbook(io.BytesIO(canonical_workbook(frames)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith(("=", "+", "@"))), value
    table = pd.DataFrame({"Area": ["=evil()", "North"], "Families": [5, 6]})
    assert "'=evil()" in table_csv(table, 5).decode("utf-8")
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(table, 5))).active
    assert sheet["A2"].value == "'=evil()"


@pytest.mark.parametrize("form", ["zip", "xlsx", "csv"])
def test_full_exports_round_trip_through_the_importer(
    hostile_store, tmp_path, monkeypatch, capsys, form
):
    out = tmp_path / (f"export.{form}" if form != "csv" else "export")
    assert main(["export", "--format", form, "--out", str(out)]) == 0
    before = snapshot(hostile_store)
    copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
    monkeypatch.setenv("DATABASE_URL", copy_url)
    assert main(["init"]) == 0
    paths = sorted(out.glob("*.csv")) if form == "csv" else [out]
    assert main(["import", *map(str, paths)]) == 0, capsys.readouterr().err
    assert snapshot(make_engine(copy_url)) == before
    # The hostile values came back exactly, not with the guard's apostrophe.
    assert sorted(row[0] for row in before["families"]) == ["+F2", "=F1", "@F3"]
    assert before["notes"][0][-1] == "-1 day late; =IMPORTXML()"
