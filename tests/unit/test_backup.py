"""Backups of a live SQLite store, and restoring only into an empty database."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests.unit.helpers import snapshot
from tracker.cli import main
from tracker.store.db import make_engine, write_session
from tracker.store.models import Family


@pytest.mark.sqlite_only
def test_backup_while_writing_then_restore_into_an_empty_store(
    database_url, tmp_path, monkeypatch, capsys
):
    assert main(["init", "--sample"]) == 0
    engine = make_engine(database_url)
    stop = threading.Event()

    def keep_writing() -> None:
        # Another user keeps editing while the backup runs.
        while not stop.is_set():
            with write_session(engine) as session:
                family = session.execute(sa.select(Family).limit(1)).scalar_one()
                family.presenting_issues = (family.presenting_issues or "")[:400] + "."

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert main(["backup", "--out", str(tmp_path / "copy.db")]) == 0
    finally:
        stop.set()
        writer.join()
    copy_url = f"sqlite:///{tmp_path / 'restored.db'}"
    monkeypatch.setenv("DATABASE_URL", copy_url)
    assert main(["restore", str(tmp_path / "copy.db")]) == 0
    restored = snapshot(make_engine(copy_url))
    assert len(restored["families"]) == 120
    assert restored["scores"] == snapshot(engine)["scores"]
    capsys.readouterr()
    # A second restore would overwrite families: refused.
    assert main(["restore", str(tmp_path / "copy.db")]) == 1
    assert "already holds 120 families" in capsys.readouterr().err


@pytest.mark.sqlite_only
def test_restoring_something_that_is_not_a_backup_is_refused(database_url, tmp_path, capsys):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    assert main(["restore", str(bogus)]) == 1
    assert "not a SQLite backup" in capsys.readouterr().err


@pytest.mark.postgres_only
def test_postgres_backup_and_restore_through_pg_dump(
    database_url, tmp_path, monkeypatch, capsys, request
):
    assert main(["init", "--sample"]) == 0
    original = snapshot(make_engine(database_url))
    dump = tmp_path / "tracker.dump"
    assert main(["backup", "--out", str(dump)]) == 0
    assert dump.stat().st_size > 0
    server = request.getfixturevalue("postgres_server")
    url, name = server.new_database()
    request.addfinalizer(lambda: server.drop_database(name))
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["restore", str(dump)]) == 0, capsys.readouterr().err
    assert snapshot(make_engine(url)) == original
