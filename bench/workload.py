"""What the benchmark works on: one generated cohort per size, and the slices it times.

Every size and every run sees the same cohort (seed 1, a fixed last date), so
figures taken on different days and stores compare; the filtered slice is one
area and tier that the generator makes at every size.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

INSTRUMENT = "taf-dtt"
FILTER_AREA, FILTER_TIER = "Northfield", "tier 3"
AS_OF = date(2026, 11, 1)
# Imported after the timed score import, for the report card and the page.
OTHER_FILES = ("goals", "activities", "referrals_on", "feedback", "notes")


def cohort_csvs(families: int, seed: int, folder: Path) -> Path:
    """The generated canonical CSVs for this size, made once per folder.

    ``tracker generate`` runs as a child process so that the generator's memory
    does not count towards the benchmark's own peak.
    """
    target = folder / f"cohort-{families}-seed-{seed}"
    done = target / ".complete"
    if not done.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tracker",
                "generate",
                "--families",
                str(families),
                "--seed",
                str(seed),
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(target),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        done.touch()
    return target
