"""What every ``tracker`` command shares: exit codes, argument types, the audit trail's name.

Each command lives in its own module; these are the few conventions they must
agree on, so that every command exits, parses dates and reports imports alike.
Nothing here imports pandas or the database at load time: every command's parser is
built from this module, and ``tracker --help`` should not wait for what no command
has yet asked for.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.files.importing import ImportReport

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def reporting_errors(run: Callable[[], int]) -> int:
    """Run a command, turning the failures any command can meet (an unknown instrument, an
    unusable database) into one line on standard error and an exit code, not a traceback."""
    try:
        return run()
    except Exception as error:
        if _is_a(error, "tracker.instruments.loader", "InstrumentError"):
            print(f"tracker: {error}", file=sys.stderr)
            return EXIT_USAGE
        if _is_a(error, "sqlalchemy.exc", "OperationalError"):
            print(f"tracker: the database cannot be used: {error.orig}", file=sys.stderr)
            return EXIT_INVALID
        raise


def _is_a(error: Exception, module: str, name: str) -> bool:
    """Whether ``error`` is ``module.name``, without importing the module: an error of a
    class whose module was never loaded cannot have been raised."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(error, getattr(loaded, name))


def iso_date(text: str) -> date:
    """An argument type: a ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from error


def non_negative_int(text: str) -> int:
    """An argument type: a whole number, zero or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def operator() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


def audit_download(action: str, what: str) -> None:
    """Record in the audit trail that the operator took data out of the store."""
    from tracker.people.audit import record
    from tracker.store.db import make_engine, write_session

    with write_session(make_engine()) as session:
        record(session, actor=operator(), action=action, entity="download", entity_id=what)


def print_import_report(report: ImportReport) -> None:
    """Every problem on standard error; otherwise what was (or would be) imported."""
    from tracker.files.importing import unlisted_line

    for problem in report.problems:
        print(problem, file=sys.stderr)
    if unlisted_line(report):
        print(unlisted_line(report), file=sys.stderr)
    if not report.ok:
        print(
            f"Import refused: {report.error_count:,} problem(s). Nothing was written.",
            file=sys.stderr,
        )
        return
    verb = "Would import" if report.dry_run else "Imported"
    for kind, counts in report.counts.items():
        print(
            f"{verb} {kind}: {counts.get('new', 0)} new, {counts.get('unchanged', 0)} unchanged, "
            f"{counts.get('replaced', 0)} replaced"
        )
    if not report.changed_anything:
        print("Nothing changed: every row is already stored.")
    elif report.dry_run:
        print("Dry run: nothing was written.")
