"""``tracker audit verify``: walk the audit trail's hash chain, for a schedule to run.

It exits 0 and prints the number of rows and a checkpoint (the last row's id and hash)
when the chain is whole; otherwise it exits 1 and names the first broken row. Keeping
each checkpoint somewhere the database's owner cannot write, and passing it back as
``--expect``, also catches a trail rewritten with every hash recomputed; ``--since``
checks only the rows after one.
"""

from __future__ import annotations

import argparse
import re
import sys

from tracker.cli.common import EXIT_INVALID, EXIT_OK

CHECKPOINT = re.compile(r"(\d+):([0-9a-f]{64})")


def checkpoint(text: str) -> tuple[int, str]:
    """An argument type: ``ID:HASH``, as an earlier ``tracker audit verify`` printed it."""
    match = CHECKPOINT.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not ROW:HASH (a row id, a colon, 64 hex)")
    return int(match.group(1)), match.group(2)


def rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def register(subcommands: argparse._SubParsersAction) -> None:
    audit = subcommands.add_parser("audit", help="check the audit trail")
    actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="walk the hash chain; exit 1 naming the first broken row"
    )
    verify.add_argument(
        "--expect",
        type=checkpoint,
        action="append",
        default=[],
        metavar="ROW:HASH",
        help="a checkpoint an earlier run printed; that row must still have that hash",
    )
    verify.add_argument(
        "--since",
        type=checkpoint,
        metavar="ROW:HASH",
        help="check only the rows after this checkpoint (they must follow it)",
    )
    verify.set_defaults(handler=command_verify)


def command_verify(args: argparse.Namespace) -> int:
    from tracker.people.audit import verify_chain
    from tracker.store.audit_chain import utc_text
    from tracker.store.db import make_engine

    with make_engine().connect() as connection:
        check = verify_chain(connection, dict(args.expect), start=args.since)
    if check.broken is not None:
        row = check.broken
        when = f" ({utc_text(row.at)})" if row.at is not None else ""
        print(
            f"tracker: the audit trail is broken at row {row.id}{when}: {row.reason}. "
            f"The chain holds for the {rows(check.rows)} checked before it.",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if check.head_id is None:
        print("The audit trail is empty.")
    else:
        since = f" after row {args.since[0]}" if args.since else ""
        print(
            f"The audit trail is whole: {rows(check.rows)}{since}. "
            f"Checkpoint: {check.head_id}:{check.head_hash}"
        )
    return EXIT_OK
