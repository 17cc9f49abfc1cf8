"""``tracker init``: bring the schema to the latest revision, and load the sample once if asked.

Setting up a new installation is one command, safe to run again: the sample and
the demo accounts go only into a database that has no families yet. The sample is the
cohort sample_data/ holds, on the same dates, with the closure audits and the case-file
sample that no canonical file holds (tracker/cli/sample_quality.py).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tracker.cli.common import EXIT_INVALID, EXIT_OK, print_import_report


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("init", help="create or upgrade the database schema")
    parser.add_argument(
        "--sample",
        action="store_true",
        help="load the synthetic sample cohort if the database has no families yet",
    )
    parser.set_defaults(handler=command_init)


def command_init(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from tracker.cli.sample_quality import SAMPLE_SHARE, add_quality_records
    from tracker.files.exporting import write_canonical_csvs
    from tracker.files.importing import import_files
    from tracker.files.sample import SAMPLE, generate
    from tracker.people.accounts import create_demo_accounts
    from tracker.store import migrate
    from tracker.store.db import make_engine, read_session, write_session
    from tracker.store.models import Family
    from tracker.store.settings import get_settings

    engine = make_engine()
    migrate.upgrade(engine)
    print(f"Database is at schema revision {migrate.current_revision(engine)}.")
    if not args.sample:
        return EXIT_OK
    with read_session(engine) as session:
        has_families = session.execute(sa.select(sa.func.count(Family.id))).scalar_one() > 0
    if has_families:
        print("Sample data not loaded: the database already has families.")
        return EXIT_OK
    with tempfile.TemporaryDirectory() as folder:
        paths = write_canonical_csvs(generate(SAMPLE), Path(folder))
        report = import_files(engine, paths, actor="tracker init --sample")
    print_import_report(report)
    if not report.ok:
        return EXIT_INVALID
    with write_session(engine) as session:
        made = add_quality_records(session, as_of=SAMPLE.as_of, seed=SAMPLE.seed)
    print(
        f"Quality assurance: {made.audits} closure audits ({made.completed} completed), "
        f"a {SAMPLE_SHARE:.0%} case-file sample of {made.sampled} closed cases "
        f"({made.rated} rated)."
    )
    if get_settings().environment == "production":
        print("No demo accounts: TRACKER_ENV is production.")
        return EXIT_OK
    with write_session(engine) as session:
        password = create_demo_accounts(session)
    if password:
        print(
            "\nDemo accounts, one per role: demo-practitioner, demo-manager, "
            "demo-commissioner, demo-admin."
        )
        print(f"Their password (shown only this once): {password}\n")
    return EXIT_OK
