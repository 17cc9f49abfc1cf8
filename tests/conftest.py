"""Shared fixtures: a real SQLite file per test, migrated to head."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker import migrate
from tracker.db import make_engine


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
