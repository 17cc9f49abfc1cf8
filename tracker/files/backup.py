"""Consistent backups while the app runs, and restoring into an empty database.

SQLite uses its online backup API (a consistent copy even with writers active);
PostgreSQL uses pg_dump and pg_restore in their custom format.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracker.store.models import Family


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why."""


def _libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools.")
    return found


def backup(engine: Engine, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database)
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return out
    result = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}", _libpq_url(engine)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return out


def _is_empty(engine: Engine) -> bool:
    inspector = sa.inspect(engine)
    if not inspector.has_table(Family.__tablename__):
        return True
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(Family.id))).scalar_one() == 0


def restore(engine: Engine, source: Path) -> None:
    """Restore a backup into an empty database; refuse to overwrite one with families."""
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    if not _is_empty(engine):
        raise BackupError("The database already holds families; restore only into an empty one.")
    if engine.dialect.name == "sqlite":
        engine.dispose()
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(engine.url.database)
        try:
            backup_db.execute("PRAGMA schema_version").fetchone()
            backup_db.backup(target)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source.name} is not a SQLite backup: {error}") from error
        finally:
            target.close()
            backup_db.close()
        return
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
