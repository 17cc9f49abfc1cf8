"""``tracker bench`` at 1,000 families: the JSON it prints, and DuckDB agreeing with the CLI.

The bench runs as users run it, ``tracker bench`` in its own process (which runs
``python -m bench`` from the checkout). No timing is checked: the machine running
the tests decides those.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bench.process import run_child
from bench.reference import disagreements, load_duckdb, reference_figures
from bench.workload import FILTER_AREA, FILTER_TIER
from tracker.cli import main
from tracker.instruments.loader import get_instrument

ROOT = Path(__file__).resolve().parents[2]

ISSUE_KEYS = [
    "date",
    "commit",
    "store",
    "load_average_start",
    "families",
    "score_rows",
    "import_rows_per_s",
    "cohort_s",
    "cohort_filtered_s",
    "reference_duckdb_s",
    "ratio_to_duckdb",
    "page_cold_s",
    "page_warm_s",
    "report_card_s",
    "peak_rss_mb",
    "help_s",
    "cohort_cli_s",
    "duckdb_script_s",
    "cli_ratio_to_duckdb",
    "import_cli_rows_per_s",
    "import_cli_peak_rss_mb",
    "load_average_end",
]
FACTS = {"date", "commit", "store", "load_average_start", "load_average_end"}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """One quick bench run, kept for the tests below: its JSON and its work folder."""
    folder = tmp_path_factory.mktemp("bench")
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("TRACKER_MIN_GROUP", "DATABASE_URL")
    }
    # From outside the checkout, with a --workdir relative to where it is run.
    bench = ["bench", "--families", "1000", "--workdir", folder.name, "--json"]
    bench += ["--profile", "profiles"]
    done = subprocess.run(
        [sys.executable, "-m", "tracker", *bench],
        env=environment,
        cwd=folder.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), folder, folder.parent / "profiles"


def _run(argv: list[str]) -> str:
    """``tracker ARGV`` in this process, returning what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0
    return printed.getvalue()


@pytest.mark.slow
def test_bench_prints_exactly_the_issues_figures(bench_run):
    figures, _, _ = bench_run
    assert list(figures) == ISSUE_KEYS
    assert figures["families"] == 1000
    assert figures["score_rows"] > 40_000
    timings = {key: value for key, value in figures.items() if key not in FACTS}
    assert all(isinstance(value, int | float) and value > 0 for value in timings.values())
    assert datetime.strptime(figures["date"], "%Y-%m-%dT%H:%M:%SZ")
    assert figures["commit"] == _short_commit()
    assert figures["store"] == "sqlite"
    for key in ("load_average_start", "load_average_end"):
        assert len(figures[key]) == 3 and all(value >= 0 for value in figures[key])


def _short_commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def test_a_commands_peak_memory_is_its_own_not_the_bench_s():
    # Linux starts a forked child's peak at its parent's: without the launcher, every
    # command would report at least this process's size, ballast included.
    ballast = b"\1" * (400 * 2**20)
    small = run_child([sys.executable, "-c", "pass"], os.environ)
    grown = run_child([sys.executable, "-c", "data = b'\\1' * (200 * 2**20)"], os.environ)
    assert len(ballast) and small.peak_rss_mb < 100
    assert 200 < grown.peak_rss_mb < 350
    assert small.seconds > 0 and grown.seconds > small.seconds


@pytest.mark.slow
def test_profile_writes_a_profile_of_each_step(bench_run):
    _, _, profiles = bench_run
    for step in ("import", "cohort", "cohort_filtered", "report_card"):
        assert "pyinstrument" in (profiles / f"{step}.html").read_text().lower()
        text = (profiles / f"{step}.txt").read_text()
        assert "Recorded:" in text and "Duration:" in text
    # Each profile shows its own step's code.
    assert "import_files" in (profiles / "import.txt").read_text()
    assert "report_card" in (profiles / "report_card.txt").read_text()


@pytest.mark.slow
def test_duckdb_script_prints_what_tracker_cohort_prints(bench_run, monkeypatch):
    _, folder, _ = bench_run
    done = subprocess.run(
        [sys.executable, "-m", "bench.duckdb_cohort", str(folder / "cohort-1000-seed-1")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    script = json.loads(done.stdout)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder / 'bench-1000.db'}")
    monkeypatch.delenv("TRACKER_MIN_GROUP", raising=False)
    ours = json.loads(_run(["cohort", "--instrument", "taf-dtt", "--json"]))
    assert script["families"] == ours["families"] > 500
    assert disagreements(ours, script, min_group=5) == []


@pytest.mark.slow
@pytest.mark.parametrize("filtered", [False, True], ids=["whole cohort", "one area and tier"])
def test_duckdb_reference_agrees_with_tracker_cohort(bench_run, monkeypatch, filtered):
    _, folder, _ = bench_run
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder / 'bench-1000.db'}")
    monkeypatch.delenv("TRACKER_MIN_GROUP", raising=False)
    narrowing = ["--area", FILTER_AREA, "--tier", FILTER_TIER] if filtered else []
    ours = json.loads(_run(["cohort", "--instrument", "taf-dtt", "--json", *narrowing]))
    database = load_duckdb(folder / "cohort-1000-seed-1")
    reference = reference_figures(
        database,
        get_instrument("taf-dtt"),
        area=FILTER_AREA if filtered else None,
        tier=FILTER_TIER if filtered else None,
    )
    assert ours["overall"]["n"] > 20
    assert disagreements(ours, reference, min_group=5) == []

    # The comparison is not vacuous: a nudged figure is caught. The whole cohort has enough
    # re-referrals and early worsening to show them; the slice may hide them.
    nudged = ["yardstick.reliability", "overall.not_classifiable", "overall.mean_change"]
    reference["yardstick"]["reliability"] += 0.001
    reference["overall"]["not_classifiable"] += 1
    reference["overall"]["mean_change"] += 0.001
    if not filtered:
        assert ours["later_journeys"] and ours["early_worsening"]
        reference["early_worsening"] += 1
        reference["later_journeys"] += 1
        nudged += ["early_worsening", "later_journeys"]
    found = disagreements(ours, reference, min_group=5)
    assert sorted(problem.split(":")[0] for problem in found) == sorted(nudged)
