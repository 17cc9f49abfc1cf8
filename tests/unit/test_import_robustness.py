"""Whatever arrives, the importer gives a clean import or a clear error, never a trace, and
stored data never changes on error; a killed import leaves all or nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.helpers import SCORE_HEADER, families_file, scores_file, snapshot
from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SampleSpec, generate

TODAY = date(2025, 6, 1)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def stored(engine, tmp_path):
    """A store with two families and a few scores, to check that nothing changes."""
    report = import_files(engine, [families_file(tmp_path), scores_file(tmp_path)], today=TODAY)
    assert report.ok
    return engine, snapshot(engine)


def attempt(engine, before, path: Path):
    report = import_files(engine, [path], today=TODAY)  # must not raise
    for problem in report.errors:
        assert problem.message and problem.file.startswith(path.name), str(problem)
    if not report.ok:
        assert snapshot(engine) == before
    return report


@FUZZ
@given(raw=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".zip"]))
def test_random_bytes(stored, tmp_path, raw, suffix):
    engine, before = stored
    path = tmp_path / f"upload{suffix}"
    path.write_bytes(raw)
    attempt(engine, before, path)


cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@FUZZ
@given(
    rows=st.lists(st.lists(cells, min_size=7, max_size=7), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-16-le", "latin-1", "cp1252", "utf-8-sig"]),
)
def test_random_text_under_a_scores_header(stored, tmp_path, rows, encoding):
    engine, before = stored
    text = (
        ",".join(SCORE_HEADER)
        + "\n"
        + "\n".join(",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows)
    )
    path = tmp_path / "scores.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    attempt(engine, before, path)


# Control characters cannot be written into a workbook at all, so they are left out here.
sheet_text = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)


@FUZZ
@given(
    value=st.one_of(
        sheet_text,
        st.integers(-10, 20),
        st.floats(allow_nan=True),
        st.just("=1+2"),
        st.text(alphabet="ab c", min_size=5000, max_size=6000),
    )
)
def test_odd_spreadsheet_cells(stored, tmp_path, value):
    engine, before = stored
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Scores"
    sheet.append(
        [
            "family_ref",
            "instrument",
            "occasion",
            "assessed_on",
            "rater",
            "Housing",
            "General health",
        ]
    )
    sheet.append(["F1", "taf-dtt", "review", "2025-04-01", "worker", value, 2])
    sheet.merge_cells("F3:G3")
    book.create_sheet("Notes").append(["not", "a", "table"])
    path = tmp_path / "odd.xlsx"
    book.save(path)
    attempt(engine, before, path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (",".join(SCORE_HEADER).encode() + b"\n", None),
    ],
)
def test_empty_and_header_only_files(stored, tmp_path, content, message):
    engine, before = stored
    path = tmp_path / "scores.csv"
    path.write_bytes(content)
    report = attempt(engine, before, path)
    if message:
        assert message in str(report.errors[0])
    else:
        assert report.ok and "no data rows" in str(report.warnings[0])
    assert snapshot(engine) == before


@pytest.mark.slow
def test_a_killed_import_leaves_all_or_nothing(tmp_path):
    """SIGKILL an import once it is writing (its write-ahead log is growing): the database
    stays intact and holds either none of the import or all of it."""
    files = write_canonical_csvs(
        generate(SampleSpec(families=1500, seed=5, as_of=date(2026, 1, 31))), tmp_path / "in"
    )
    database = tmp_path / "kill.db"
    wal = tmp_path / "kill.db-wal"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "-m", "tracker", "init"], env=env, check=True, capture_output=True
    )
    start_size = wal.stat().st_size if wal.exists() else 0
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "import", *map(str, files)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > start_size + 512 * 1024:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        families = connection.execute("SELECT count(*) FROM family").fetchone()[0]
        scores = connection.execute("SELECT count(*) FROM score").fetchone()[0]
    # Usually nothing (the kill lands mid-transaction); if it landed just after the commit,
    # everything. Never a part.
    assert (families == 0) == (scores == 0) and families in (0, 1500), (families, scores)
    # The same import run again to the end stores everything exactly once.
    subprocess.run(
        [sys.executable, "-m", "tracker", "import", *map(str, files)],
        env=env,
        check=True,
        capture_output=True,
    )
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM family").fetchone()[0] == 1500


@pytest.mark.parametrize(
    ("rows", "line", "values"),
    [
        pytest.param(
            ["F1,taf-dtt,B,2025-02-01,worker,housing,4,surplus"], 2, 8, id="the-first-row"
        ),
        pytest.param(
            ["F1,taf-dtt,B,2025-02-01,worker,housing,4", "", "F1,taf-dtt,B,2025-02-01,a,b,c,d,e"],
            4,
            9,
            id="a-later-row",
        ),
    ],
)
def test_a_row_wider_than_the_header_is_a_problem_not_a_traceback(
    stored, tmp_path, rows, line, values
):
    engine, before = stored
    path = tmp_path / "scores.csv"
    path.write_text("\n".join([",".join(SCORE_HEADER), *rows]) + "\n", encoding="utf-8")
    report = attempt(engine, before, path)
    assert [str(p) for p in report.errors] == [
        f"scores.csv:{line}: -: this row has {values} values but the header has 7 columns"
    ]
