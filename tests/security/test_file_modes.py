"""The database the app creates is readable by its owner only, WAL files included.

The attack: another account on the server (a shared host, a backup agent, a curious
colleague with a shell) reads the families' records straight from the file.
"""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from tracker.cli import main
from tracker.store.db import make_engine
from tracker.store.models import AuditLog


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask():
    """A server whose default would let every account read new files."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_database_and_its_wal_are_owner_only(tmp_path, monkeypatch, permissive_umask):
    path = tmp_path / "data" / "tracker.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    assert main(["init"]) == 0
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE probe (x)")
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        assert mode(wal) == 0o600
    engine.dispose()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_a_report_card_written_by_the_cli_is_owner_only_and_audited(
    sample_engine, tmp_path, permissive_umask
):
    out = tmp_path / "card.json"
    argv = ["report-card", "--from", "2026-01-01", "--to", "2026-03-31"]
    assert main([*argv, "--format", "json", "--out", str(out)]) == 0
    assert mode(out) == 0o600
    with sample_engine.connect() as connection:
        taken = (
            connection.execute(sa.select(AuditLog.entity_id).where(AuditLog.entity == "download"))
            .scalars()
            .all()
        )
    assert taken == ["report card (json) to card.json"]
