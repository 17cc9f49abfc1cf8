"""``tracker --help`` starts at once: building the parser imports none of the heavy libraries.

Each command imports what its handler uses when it runs, so asking for help does not
wait for pandas, the database layer, the statistics or the document writers, and a
command loads only what it needs. Each check runs the command in a child process under
``python -X importtime`` and reads which packages it loaded; nothing is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
# What a plain --help once spent over a second importing.
HEAVY = {
    "pandas",
    "numpy",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "scipy",
    "plotly",
    "fpdf",
    "openpyxl",
    "pydantic",
    "yaml",
    "streamlit",
}
# What no cohort figure needs: charts, the PDF and Excel writers, migrations, the app.
NOT_FOR_FIGURES = {"plotly", "fpdf", "openpyxl", "alembic", "streamlit"}


def run_tracker(*argv: str) -> tuple[str, set[str]]:
    """What ``python -m tracker ARGV`` printed, and the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tracker", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    names = [
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    assert "tracker.cli.program" in names, "-X importtime did not report the imports"
    return done.stdout, {name.split(".")[0] for name in names}


def commands() -> list[str]:
    """Every command ``tracker --help`` lists, but ``bench``, which runs a child of its own."""
    (subcommands,) = build_parser()._subparsers._group_actions
    return [name for name in subcommands.choices if name != "bench"]


def test_help_imports_none_of_the_heavy_libraries():
    out, imported = run_tracker("--help")
    assert "rebuild-journeys" in out and "cohort" in out
    assert imported & HEAVY == set()


@pytest.mark.parametrize("command", commands())
def test_each_commands_help_imports_none_of_the_heavy_libraries(command):
    out, imported = run_tracker(command, "--help")
    assert f"usage: tracker {command}" in out
    assert imported & HEAVY == set()


def test_cohort_json_imports_what_the_figures_need_and_nothing_more(sample_engine):
    out, imported = run_tracker("cohort", "--instrument", "taf-dtt", "--json")
    assert json.loads(out)["families"] > 0
    # The figures do need the frames and the database: the check sees what was loaded.
    assert {"pandas", "sqlalchemy"} <= imported
    assert imported & NOT_FOR_FIGURES == set()
