"""``python -m bench.duckdb_cohort CSV_DIR``: the cohort figures from the raw CSVs, by DuckDB.

The whole-process yardstick for ``tracker cohort --json``: a script a data analyst
might write instead, reading ``families.csv`` and ``scores.csv`` and computing the
same figures (bench/reference.py's computation), printed as one JSON object. The
bench times it as its own process and checks its output equals tracker's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.reference import load_duckdb, reference_figures
from bench.workload import INSTRUMENT
from tracker.instruments.loader import get_instrument


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.duckdb_cohort",
        description="The cohort figures computed by DuckDB from the canonical CSVs, as JSON.",
    )
    parser.add_argument("csvs", type=Path, metavar="CSV_DIR", help="holds families.csv, scores.csv")
    parser.add_argument("--instrument", default=INSTRUMENT, metavar="KEY")
    parser.add_argument("--area")
    parser.add_argument("--tier")
    args = parser.parse_args(argv)
    database = load_duckdb(args.csvs)
    try:
        figures = reference_figures(
            database, get_instrument(args.instrument), area=args.area, tier=args.tier
        )
    finally:
        database.close()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
