"""``tracker rebuild-journeys``: recompute the journey table from the stored assessments.

Every write keeps each family's journeys (baseline, first review, latest) in step in
the same transaction, and the cohort reads them from there. Rebuilding is for a
database changed behind tracker's back (SQL by hand, an old restore); ``--check``
only says which journeys are out of step, changing nothing, and exits 1 if any are.
"""

from __future__ import annotations

import argparse
import sys

from tracker.cli.common import EXIT_INVALID, EXIT_OK


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "rebuild-journeys", help="recompute the journey table from the stored assessments"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing: list the journeys out of step and exit 1 if there are any",
    )
    parser.set_defaults(handler=command_rebuild_journeys)


def command_rebuild_journeys(args: argparse.Namespace) -> int:
    from tracker.store.db import begin_write, make_engine
    from tracker.store.journeys import journeys_out_of_step, rebuild_journeys

    engine = make_engine()
    if not args.check:
        with begin_write(engine) as connection:
            rows = rebuild_journeys(connection)
        print(f"Rebuilt the journey table: {_journey_rows(rows)}.")
        return EXIT_OK
    with engine.connect() as connection:
        out_of_step = journeys_out_of_step(connection)
    if out_of_step.empty:
        print("The journey table is in step with the assessments.")
        return EXIT_OK
    print(out_of_step.to_string(index=False))
    print(
        f"tracker: {_journey_rows(len(out_of_step))} out of step with the assessments; "
        "run `tracker rebuild-journeys` to recompute them.",
        file=sys.stderr,
    )
    return EXIT_INVALID


def _journey_rows(count: int) -> str:
    return f"{count:,} journey row" + ("" if count == 1 else "s")
