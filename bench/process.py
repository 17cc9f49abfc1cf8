"""Whole-process figures: a command run as a user runs it, in a child process timed from outside.

The in-process figures leave out what a user waits for before any work starts (the
interpreter, the imports) and hide a command's memory in the bench's own. Here each
run is a fresh process, started through ``bench/launch.py`` so that its peak memory is
its own (a process forked from the large bench would count the bench's peak as its
own); its time runs from just before it is spawned to just after it is reaped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.timing import by_the_rule

LAUNCH = Path(__file__).resolve().with_name("launch.py")


@dataclass(frozen=True)
class Finished:
    """One run of a command: its time, its peak resident memory, what it printed."""

    seconds: float
    peak_rss_mb: float
    stdout: str


def run_child(argv: Sequence[str], env: Mapping[str, str]) -> Finished:
    """Run ``argv`` to the end; a non-zero exit is a ``BenchError`` quoting its stderr."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as folder:
        report = Path(folder) / "report.json"
        done = subprocess.run(
            [sys.executable, "-S", "-I", str(LAUNCH), str(report), *argv],
            env=dict(env),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.strip()[-800:]
            raise BenchError(f"{' '.join(argv)} exited with {done.returncode}: {message}")
        measured_run = json.loads(report.read_text())
    # ru_maxrss is in KB on Linux.
    return Finished(measured_run["seconds"], measured_run["peak_rss_kb"] / 1024, done.stdout)


def measured(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    before: Callable[[], None] | None = None,
) -> Finished:
    """``argv`` timed by the bench's rule (a warm-up, then the median of five unless the
    first run took ten seconds or more), with the largest peak memory of any run and what
    the last run printed; ``before`` runs ahead of each run, untimed."""
    runs: list[Finished] = []

    def once() -> float:
        if before is not None:
            before()
        runs.append(run_child(argv, env))
        return runs[-1].seconds

    seconds = by_the_rule(once)
    return Finished(seconds, max(run.peak_rss_mb for run in runs), runs[-1].stdout)
