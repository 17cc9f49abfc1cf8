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

import pytest

from bench.reference import disagreements, load_duckdb, reference_figures
from bench.workload import FILTER_AREA, FILTER_TIER
from tracker.cli import main
from tracker.instruments.loader import get_instrument

ISSUE_KEYS = [
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
]


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
    done = subprocess.run(
        [sys.executable, "-m", "tracker", *bench],
        env=environment,
        cwd=folder.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), folder


def _run(argv: list[str]) -> str:
    """``tracker ARGV`` in this process, returning what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0
    return printed.getvalue()


@pytest.mark.slow
def test_bench_prints_exactly_the_issues_figures(bench_run):
    figures, _ = bench_run
    assert list(figures) == ISSUE_KEYS
    assert figures["families"] == 1000
    assert figures["score_rows"] > 40_000
    assert all(isinstance(value, int | float) and value > 0 for value in figures.values())


@pytest.mark.slow
@pytest.mark.parametrize("filtered", [False, True], ids=["whole cohort", "one area and tier"])
def test_duckdb_reference_agrees_with_tracker_cohort(bench_run, monkeypatch, filtered):
    _, folder = bench_run
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
