"""The database engine, chosen by ``DATABASE_URL``.

SQLite is the embedded default. It is tuned on every new connection: WAL so
readers never block the writer, enforced foreign keys, a busy timeout so
concurrent writers queue instead of failing with "database is locked", and a
page cache big enough for a county's indexes.
Write transactions can ask for ``BEGIN IMMEDIATE`` so they take the write lock
up front, which is what lets the busy timeout work for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session

from tracker.store.settings import get_settings

_IMMEDIATE = "tracker_begin_immediate"
SQLITE_CACHE_KIB = 65536


def make_engine(database_url: str | None = None) -> Engine:
    settings = get_settings()
    url = make_url(database_url or settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            create_owner_only(Path(url.database))
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        _tune_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
    )


def create_owner_only(path: Path) -> None:
    """Create the database file readable by its owner alone, before SQLite opens it.

    SQLite gives its -wal and -shm files the database file's permissions, so the records
    of families never sit in a file other accounts on the server can read.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache (the default is 2 MiB): a county's score index no longer
        # fits in 2 MiB, and bulk imports and cohort reads then wait on the disk.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one atomic write: committed on success, rolled back on any error.

    Objects stay readable after the commit, so a page can show what it saved.
    """
    bind = engine.execution_options(**{_IMMEDIATE: True})
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A Core connection in one atomic write transaction (for bulk work)."""
    with engine.execution_options(**{_IMMEDIATE: True}).begin() as connection:
        yield connection


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def read_frame(connection: Connection, statement, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a DataFrame with these column names.

    The driver's own tuples are read and each column is converted as SQLAlchemy
    would convert it (dates stored as text in SQLite, say). Building a Row object
    per row, and pandas then trying each Row as a mapping, was most of the time it
    took to read a county's scores.
    """
    result = connection.execute(statement)
    description = result.cursor.description
    rows = result.cursor.fetchall()
    result.close()
    if not rows:
        return pd.DataFrame(columns=columns)
    data = {}
    dialect = connection.dialect
    for index, (name, column) in enumerate(zip(columns, statement.selected_columns, strict=True)):
        type_code = description[index][1]
        process = column.type.dialect_impl(dialect).result_processor(dialect, type_code)
        values = [row[index] for row in rows]
        data[name] = [process(value) for value in values] if process else values
    return pd.DataFrame(data)
