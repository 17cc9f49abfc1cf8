"""``tracker backup`` and ``tracker restore``: a consistent copy of the store, and back.

A backup can be taken while the app runs; it holds the accounts only when asked
(``--include-accounts``). A restore goes only into an empty database, so it can never
mix two services' records or quietly replace a live one; ``--force`` replaces
everything, and the restore is recorded in the restored database's audit trail.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker.cli.common import EXIT_INVALID, EXIT_OK, audit_download, operator


def register(subcommands: argparse._SubParsersAction) -> None:
    save = subcommands.add_parser("backup", help="a consistent copy of the database")
    save.add_argument("--out", required=True, type=Path, metavar="FILE")
    save.add_argument(
        "--include-accounts",
        action="store_true",
        help="keep the accounts, password hashes included (for moving the whole service)",
    )
    save.set_defaults(handler=command_backup)

    load = subcommands.add_parser("restore", help="restore a backup into an empty database")
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument(
        "--force",
        action="store_true",
        help="replace a database that holds families, accounts or audit rows",
    )
    load.set_defaults(handler=command_restore)


def command_backup(args: argparse.Namespace) -> int:
    from tracker.files.backup import BackupError, backup
    from tracker.store.db import make_engine

    what = f"backup to {args.out.name}" + (", with accounts" if args.include_accounts else "")
    try:
        print(backup(make_engine(), args.out, include_accounts=args.include_accounts))
        audit_download("backup", what)
    except BackupError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def command_restore(args: argparse.Namespace) -> int:
    from tracker.files.backup import BackupError, NotEmpty, restore
    from tracker.store.db import make_engine

    try:
        recorded = restore(make_engine(), args.file, force=args.force, actor=operator())
    except NotEmpty as refusal:
        print(
            f"tracker: {refusal} Add --force to replace all of it with the backup.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    except BackupError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"Restored {args.file}.")
    if not recorded:
        print(
            "The backup's schema is older than this version: run `tracker init` to upgrade "
            "it. The restore could not be recorded in its audit trail."
        )
    return EXIT_OK
