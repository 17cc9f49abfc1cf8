"""An import killed outright (SIGKILL, as the kernel's out-of-memory killer or a pulled
plug ends it) leaves the store exactly as it was: one transaction, nothing half-written.

The import runs as a child process streaming a scores file in small chunks, writing as it
goes, and saying on standard error each time a chunk is in; it is killed at several points,
from before the first chunk to the last ones, and the store is then compared with a
snapshot taken before. Both tests are marked slow (each starts its child processes: the small
one takes about 30 s on a busy machine); the national one needs the generated cohort:

    .venv/bin/python -m pytest -q -p no:randomly tests/unit/test_import_kill.py -m slow \\
        -k "not national"
    TRACKER_KILL_CSVS=/tmp/bw/cohort-400000-seed-1 \\
        .venv/bin/python -m pytest -q -p no:randomly tests/unit/test_import_kill.py -m slow
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.files.importing import import_files
from tracker.instruments.loader import load_instruments
from tracker.store.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
NOTE = '"said ""fine"""'  # a quoted note, now and then
AS_OF = date(2026, 11, 1)

# The child: the importer with its progress on standard error, one line per chunk written.
CHILD = textwrap.dedent(
    """
    import sys
    from datetime import date
    from tracker.files.importing import import_files, streaming
    from tracker.store.db import make_engine

    url, path, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if chunk:
        streaming.STREAM_BYTES, streaming.CHUNK_ROWS = 0, chunk

    def progress(share, stage):
        print(f"{share:.4f} {stage}", file=sys.stderr, flush=True)

    report = import_files(make_engine(url), [path], today=date(2026, 11, 1), progress=progress)
    print("ok" if report.ok else report.errors[:3], flush=True)
    """
)

# What the store holds, as counts and checksums of the rows an import writes.
STATE = {
    "families": "SELECT count(*) FROM family",
    "assessments": "SELECT count(*), coalesce(sum(family_id), 0) FROM assessment",
    "scores": (
        "SELECT count(*), coalesce(sum(assessment_id), 0), coalesce(sum(value), 0), "
        "coalesce(sum(length(domain)), 0), coalesce(sum(length(note)), 0) FROM score"
    ),
    "journeys": "SELECT count(*) FROM journey",
    "audit": "SELECT count(*) FROM audit_log",
    "versions": "SELECT coalesce(sum(version), 0) FROM assessment",
}


def state(url: str) -> dict[str, tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: tuple(connection.execute(sa.text(query)).one())
                for name, query in STATE.items()
            }
    finally:
        engine.dispose()


def scores_csv(folder: Path, families: int, score_rows: int) -> Path:
    """A clean scores file: each family a baseline and reviews of taf-dtt, in order."""
    domains = load_instruments()["taf-dtt"].domain_keys
    visits = ("2026-01-05", "2026-04-06", "2026-07-06", "2026-10-05")
    rows = [
        f"K{family:05d},taf-dtt,{'review' if visit else 'baseline'},{day},worker,{domain},"
        f"{1 + (family + visit + d) % 5},{NOTE if (family + d) % 17 == 0 else ''}"
        for family in range(1, families + 1)
        for visit, day in enumerate(visits)
        for d, domain in enumerate(domains)
    ]
    header = "family_ref,instrument,occasion,assessed_on,rater,domain,score,note"
    path = folder / "scores.csv"
    path.write_text("\n".join([header, *rows[:score_rows]]) + "\n", encoding="utf-8")
    return path


def families_csv(folder: Path, families: int) -> Path:
    lines = ["family_ref,area,tier_of_need,key_worker,referral_source,referral_date"]
    lines += [
        f"K{n:05d},Northfield,tier 2,Ann Worker,School,2025-12-01" for n in range(1, families + 1)
    ]
    path = folder / "families.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_and_kill(url: str, path: Path, chunk: int, *, after_lines: int, timeout: float) -> str:
    """Start the import and SIGKILL it once it has said ``after_lines`` lines (or at once
    for 0); what it had said by then."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path), str(chunk)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    said = []
    deadline = time.monotonic() + timeout
    try:
        while len(said) < after_lines and time.monotonic() < deadline:
            line = child.stderr.readline()
            if not line:
                break
            said.append(line)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, (child.returncode, said[-3:])
    return "".join(said)


def check_kills(url: str, path: Path, chunk: int, points: list[int], timeout: float) -> None:
    before = state(url)
    for after_lines in points:
        said = run_and_kill(url, path, chunk, after_lines=after_lines, timeout=timeout)
        assert state(url) == before, f"killed after {after_lines} lines: {said[-200:]}"


@pytest.mark.slow  # six child processes: about 30 s on a busy machine
def test_a_killed_import_leaves_the_store_as_it_was(engine, database_url, tmp_path):
    report = import_files(engine, [families_csv(tmp_path, 120)], today=AS_OF)
    assert report.ok, report.problems
    # One import that succeeds first, so there is something stored to keep.
    small = tmp_path / "first"
    small.mkdir()
    assert import_files(engine, [scores_csv(small, 30, 600)], today=AS_OF).ok
    path = scores_csv(tmp_path, 120, 10_000)
    # 0: before any chunk; 2: reading the file; 6, 12: several chunks in; 21: the last.
    check_kills(database_url, path, 500, [0, 2, 6, 12, 21], timeout=60)
    # And left alone, the same import completes: the kills were the only thing in its way.
    child = subprocess.run(
        [sys.executable, "-c", CHILD, database_url, str(path), "500"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout.strip() == "ok", child.stderr[-2000:]
    assert state(database_url)["scores"][0] == 10_000


@pytest.mark.slow
def test_a_killed_national_import_leaves_the_store_as_it_was(engine, database_url):
    """The generated 400,000-family cohort (``TRACKER_KILL_CSVS``), streamed as it is."""
    if "TRACKER_KILL_CSVS" not in os.environ:
        pytest.skip("run by hand: TRACKER_KILL_CSVS names a generated national cohort")
    csvs = Path(os.environ["TRACKER_KILL_CSVS"])
    if not (csvs / "scores.csv").is_file():
        pytest.skip(f"no generated cohort at {csvs}")
    paths = [csvs / "key_workers.csv", csvs / "families.csv"]
    assert import_files(engine, paths, today=AS_OF).ok
    # Chunks of the default size: about 93 of them; killed early, midway and near the end.
    check_kills(database_url, csvs / "scores.csv", 0, [3, 30, 90], timeout=1800)
