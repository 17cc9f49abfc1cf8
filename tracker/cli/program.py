"""The ``tracker`` program: one parser made of every command, and how a run ends.

Each command module adds its own parser and handler; this module puts them in
the order ``tracker --help`` lists them, runs the chosen handler and turns the
errors any command can meet (an unknown instrument, an unusable database, a
closed pipe) into a line on standard error and an exit code. Building the parser
loads argparse and a few constants only: each handler imports what it uses
(pandas, the database, the PDF library) when it runs, so ``--help`` is immediate
(tests/unit/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from tracker.cli import (
    audit,
    backup,
    bench,
    cohort,
    export,
    generate,
    importing,
    init,
    invite,
    journeys,
    report_card,
    template,
    users,
)
from tracker.cli.common import EXIT_OK, reporting_errors

COMMANDS = (
    init,
    importing,
    cohort,
    export,
    backup,
    audit,
    report_card,
    template,
    users,
    invite,
    generate,
    journeys,
    bench,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker",
        description="Distance Travelled: outcomes tracker for family-support services.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return reporting_errors(lambda: args.handler(args))
    except BrokenPipeError:
        # The reader (``head``, say) stopped early; that is not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush
        return EXIT_OK
