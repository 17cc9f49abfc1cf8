"""Consistent backups while the app runs, and restoring into an empty database.

SQLite uses its online backup API (a consistent copy even with writers active);
PostgreSQL uses pg_dump and pg_restore in their custom format.

A backup leaves the accounts out (their password hashes, e-mail addresses and roles)
unless asked to keep them, which only ``tracker backup --include-accounts`` does: a file
downloaded from the app can be carried off, and a hash can be cracked at leisure. After
restoring such a backup, ``tracker users add`` sets up the accounts again. Every backup
file is readable by its owner only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracker.files.private import fresh_owner_only
from tracker.people.audit import record
from tracker.store.db import begin_write
from tracker.store.journeys import Journey, rebuild_journeys
from tracker.store.models import AppUser, AuditLog, Family

# Tables whose rows stay out of a backup unless the accounts are asked for.
ACCOUNT_TABLES = (AppUser.__tablename__,)
# What a restore would overwrite, and how a refusal names it.
HELD = {Family: "families", AppUser: "accounts", AuditLog: "audit rows"}


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why."""


class NotEmpty(BackupError):
    """The database a restore would overwrite holds records; ``held`` counts them."""

    def __init__(self, held: dict[str, int]):
        self.held = held
        counts = [f"{count:,} {what}" for what, count in held.items()]
        listed = " and ".join([", ".join(counts[:-1]), counts[-1]] if counts[1:] else counts)
        super().__init__(
            f"The database already holds {listed}; restore only into an empty database."
        )


def _libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools.")
    return found


def backup(engine: Engine, out: Path, *, include_accounts: bool = False) -> Path:
    """A consistent copy of the store at ``out`` (mode 600), without the accounts unless
    ``include_accounts``."""
    if engine.dialect.name == "sqlite":
        _sqlite_backup(engine, out, include_accounts)
        return out
    fresh_owner_only(out)
    leave_out = [] if include_accounts else [f"--exclude-table-data={t}" for t in ACCOUNT_TABLES]
    result = subprocess.run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            *leave_out,
            f"--file={out}",
            _libpq_url(engine),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        out.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return out


def _sqlite_backup(engine: Engine, out: Path, include_accounts: bool) -> None:
    """Copy into a private file beside ``out``, scrub it, then put it in place.

    VACUUM rebuilds the copy, so deleted accounts do not linger in its free pages, and
    a rollback journal leaves it one self-contained file.
    """
    partial = fresh_owner_only(out.with_name(f".{out.name}.partial"))
    try:
        with (
            closing(sqlite3.connect(engine.url.database)) as source,
            closing(sqlite3.connect(partial)) as target,
        ):
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            if not include_accounts:
                for table in ACCOUNT_TABLES:
                    target.execute(f'DELETE FROM "{table}"')
                target.commit()
                target.execute("VACUUM")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _held(engine: Engine) -> dict[str, int]:
    """What the database holds that a restore would overwrite, by what it is."""
    inspector = sa.inspect(engine)
    held = {}
    with engine.connect() as connection:
        for model, what in HELD.items():
            if inspector.has_table(model.__tablename__):
                count = connection.execute(
                    sa.select(sa.func.count()).select_from(model)
                ).scalar_one()
                if count:
                    held[what] = count
    return held


def restore(
    engine: Engine, source: Path, *, force: bool = False, actor: str = "tracker restore"
) -> bool:
    """Restore a backup into an empty database, and record that in its audit trail.

    A database holding families, accounts or audit rows is refused unless ``force``, which
    replaces all of it. Returns False when the restored schema is too old to record the
    restore (``tracker init`` upgrades it).
    """
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    held = _held(engine)
    if held and not force:
        raise NotEmpty(held)
    if engine.dialect.name == "sqlite":
        _sqlite_restore(engine, source)
    else:
        _postgres_restore(engine, source)
    _rebuild_journeys(engine)
    return _record_restore(engine, source, actor, forced=force, replaced=held)


def _rebuild_journeys(engine: Engine) -> None:
    """Recompute the journey table from the restored assessments, so it is in step whatever
    the backup held; a backup from before the table gets it from ``tracker init``."""
    if sa.inspect(engine).has_table(Journey.__tablename__):
        with begin_write(engine) as connection:
            rebuild_journeys(connection)


def _sqlite_restore(engine: Engine, source: Path) -> None:
    engine.dispose()
    with (
        closing(sqlite3.connect(source)) as backup_db,
        closing(sqlite3.connect(engine.url.database)) as target,
    ):
        try:
            backup_db.execute("PRAGMA schema_version").fetchone()
            backup_db.backup(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source.name} is not a SQLite backup: {error}") from error


def _postgres_restore(engine: Engine, source: Path) -> None:
    engine.dispose()
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--clean",
            "--if-exists",
            f"--dbname={_libpq_url(engine)}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def _record_restore(
    engine: Engine, source: Path, actor: str, *, forced: bool, replaced: dict[str, int]
) -> bool:
    inspector, table = sa.inspect(engine), AuditLog.__tablename__
    if not inspector.has_table(table) or "row_hash" not in {
        column["name"] for column in inspector.get_columns(table)
    }:
        return False
    with begin_write(engine) as connection:
        record(
            connection,
            actor=actor,
            action="restore",
            entity="database",
            entity_id=source.name,
            after={"forced": forced, "replaced": replaced},
        )
    return True
