"""``tracker generate``: a synthetic cohort of any size, written as canonical CSV files.

The same seed and date give the same files, so demos, tests and benchmarks can
name a cohort by its size, seed and last date.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from tracker.cli.common import EXIT_OK, iso_date, non_negative_int


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("generate", help="write a synthetic cohort as canonical CSVs")
    parser.add_argument("--families", type=non_negative_int, default=120, metavar="N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--as-of",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="the last date in the data (default: yesterday)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.set_defaults(handler=command_generate)


def command_generate(args: argparse.Namespace) -> int:
    from tracker.files.exporting import write_canonical_csvs
    from tracker.files.sample import SampleSpec, generate, sample_end_date

    spec = SampleSpec(
        families=args.families,
        seed=args.seed,
        as_of=args.as_of or sample_end_date(date.today()),
    )
    for path in write_canonical_csvs(generate(spec), args.out):
        print(path)
    return EXIT_OK
