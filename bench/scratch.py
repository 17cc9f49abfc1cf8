"""The bench's own empty database: a new SQLite file, or a database made on a PostgreSQL server.

The bench never touches a database it did not make: on PostgreSQL it creates a
database with a fresh name and drops it afterwards, whatever happens.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.errors import BenchError


@contextmanager
def fresh_database(
    store: str, folder: Path, *, families: int, server_url: str | None = None
) -> Iterator[str]:
    """An empty database's URL for ``store`` ("sqlite" or "postgres"), for the ``with`` block.

    SQLite: ``bench-FAMILIES.db`` in ``folder``, replacing any left from before (it
    stays there afterwards). PostgreSQL: a new database on the server ``server_url``
    or ``DATABASE_URL`` names, dropped at the end.
    """
    if store == "sqlite":
        path = folder / f"bench-{families}.db"
        for leftover in folder.glob(f"{path.name}*"):
            leftover.unlink()
        yield f"sqlite:///{path}"
        return
    server = server_url or os.environ.get("DATABASE_URL")
    if not server or make_url(server).get_backend_name() != "postgresql":
        raise BenchError(
            "--store postgres needs a PostgreSQL server: set DATABASE_URL (or pass "
            "--database-url) to postgresql+psycopg://user@host/db; the bench creates and "
            "drops its own database there"
        )
    name = f"tracker_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
