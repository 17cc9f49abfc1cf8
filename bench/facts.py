"""When, on what code and on how busy a machine a bench run was taken.

Every figure in docs/benchmarks.md gives its date, commit and load average: the
machine is shared, and a figure means little without how loaded it was.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def commit() -> str:
    """The checkout's short commit, or "unknown" outside git (or without git)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages, rounded to two places."""
    return [round(value, 2) for value in os.getloadavg()]


def started(store: str) -> dict:
    """What is known when a run starts: its date (UTC), commit, store and load."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(),
        "store": store,
        "load_average_start": load_average(),
    }
