"""Shared fixtures: a real database per test, migrated to head, on SQLite and PostgreSQL.

Every database-backed test runs twice: on a SQLite file and on a throwaway PostgreSQL
server (see tests/postgres.py). Tests about one store's own machinery are marked
``sqlite_only``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import postgres
from tracker.store import migrate
from tracker.store.db import make_engine

STORES = ["sqlite", "postgres"]


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about SQLite's own machinery")


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = postgres.start()
    except Exception as error:
        server, reason = None, f"PostgreSQL could not be started: {error}"
    else:
        reason = (
            "no PostgreSQL here (install Debian's postgresql, or set TRACKER_TEST_POSTGRES_URL)"
        )
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test on PostgreSQL: {reason}")
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture(params=STORES)
def database_url(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("about SQLite's own machinery")
        server = request.getfixturevalue("postgres_server")
        url, name = server.new_database()
        request.addfinalizer(lambda: server.drop_database(name))
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
