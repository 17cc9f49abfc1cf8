"""``tracker import``: load canonical files into the store, all or nothing.

The importer checks every row before writing any; this command only names the
files, passes the flags on and reports what happened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, print_import_report


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("import", help="import canonical CSV files, all or nothing")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="allow the files to overwrite stored values that differ",
    )
    parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    parser.set_defaults(handler=command_import)


class ProgressLines:
    """A long import shows it is alive: a line on standard error each time its stage or
    its whole ten per cent changes (a national scores file is read in dozens of chunks)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.last: tuple[str, int] | None = None

    def __call__(self, share: float, stage: str) -> None:
        step = (stage, int(share * 10))
        if step != self.last:
            self.last = step
            print(f"{stage}: {share:.0%}", file=self.stream, flush=True)


def command_import(args: argparse.Namespace) -> int:
    from tracker.files.importing import import_files
    from tracker.store.db import make_engine

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"No such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    report = import_files(
        make_engine(),
        args.files,
        replace=args.replace,
        dry_run=args.dry_run,
        progress=ProgressLines(sys.stderr),
    )
    for notice in report.notices:
        print(notice)
    print_import_report(report)
    return EXIT_OK if report.ok else EXIT_INVALID
