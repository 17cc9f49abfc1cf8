"""``tracker export`` and ``tracker research-export``: the store's data, taken out as files.

The full export writes the canonical files (which import back exactly); the
research extract keeps only consenting families, under pseudonyms. Both are
recorded in the audit trail, as every download is, and every file is created readable
by its owner only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker.cli.common import EXIT_OK, EXIT_USAGE, audit_download


def register(subcommands: argparse._SubParsersAction) -> None:
    full = subcommands.add_parser("export", help="write the canonical files (full export)")
    full.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR|FILE",
        help="a folder for csv; a file for zip or xlsx",
    )
    full.add_argument("--format", choices=["csv", "zip", "xlsx"], default="csv")
    full.set_defaults(handler=command_export)

    research = subcommands.add_parser(
        "research-export", help="a pseudonymised extract of consenting families (zip)"
    )
    research.add_argument("--out", required=True, type=Path, metavar="FILE.zip")
    research.set_defaults(handler=command_research_export)


def command_export(args: argparse.Namespace) -> int:
    from tracker.files.canonical import FILE_KINDS
    from tracker.files.exporting import (
        canonical_frames,
        canonical_workbook,
        canonical_zip,
        write_canonical_csvs,
    )
    from tracker.files.private import fresh_owner_only
    from tracker.store.db import make_engine

    with make_engine().connect() as connection:
        frames = canonical_frames(connection)
    audit_download("export", f"full export ({args.format}) to {args.out.name}")
    if args.format == "csv":
        for kind in FILE_KINDS:
            fresh_owner_only(args.out / kind.filename)
        for path in write_canonical_csvs(frames, args.out):
            print(path)
        return EXIT_OK
    fresh_owner_only(args.out).write_bytes(
        canonical_zip(frames) if args.format == "zip" else canonical_workbook(frames)
    )
    print(args.out)
    return EXIT_OK


def command_research_export(args: argparse.Namespace) -> int:
    from tracker.files.exporting import canonical_frames
    from tracker.files.private import fresh_owner_only
    from tracker.files.research import ResearchExportError, research_zip
    from tracker.store.db import make_engine
    from tracker.store.settings import get_settings

    with make_engine().connect() as connection:
        frames = canonical_frames(connection)
    try:
        data = research_zip(frames, get_settings().pseudonym_key)
    except ResearchExportError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_USAGE
    audit_download("export", f"research extract to {args.out.name}")
    fresh_owner_only(args.out).write_bytes(data)
    print(args.out)
    return EXIT_OK
