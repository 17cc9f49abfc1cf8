"""``tracker backup`` and ``tracker restore``: a consistent copy of the store, and back.

A backup can be taken while the app runs; a restore goes only into an empty
database, so it can never mix two services' records.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker.cli.common import EXIT_INVALID, EXIT_OK, audit_download
from tracker.files.backup import BackupError, backup, restore
from tracker.store.db import make_engine


def register(subcommands: argparse._SubParsersAction) -> None:
    save = subcommands.add_parser("backup", help="a consistent copy of the database")
    save.add_argument("--out", required=True, type=Path, metavar="FILE")
    save.set_defaults(handler=command_backup)

    load = subcommands.add_parser("restore", help="restore a backup into an empty database")
    load.add_argument("file", type=Path, metavar="FILE")
    load.set_defaults(handler=command_restore)


def command_backup(args: argparse.Namespace) -> int:
    try:
        print(backup(make_engine(), args.out))
        audit_download("backup", f"backup to {args.out.name}")
    except BackupError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def command_restore(args: argparse.Namespace) -> int:
    try:
        restore(make_engine(), args.file)
    except BackupError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"Restored {args.file}.")
    return EXIT_OK
