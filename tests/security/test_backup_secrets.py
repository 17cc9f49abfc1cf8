"""Attacks through backups and exports: password hashes taken away, files others can read,
and a restore that silently overwrites a live service.

A backup a manager downloads holds no accounts; only ``tracker backup --include-accounts``
keeps them. Every backup and export file is created readable by its owner only. A restore
refuses a database holding families, accounts or audit rows unless forced, and is recorded
in the audit trail of the database it restored.
"""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.cli import main
from tracker.files.backup import backup
from tracker.people.audit import verify_chain
from tracker.people.auth import sign_in
from tracker.store.db import make_engine, write_session
from tracker.store.models import AppUser, AuditLog

HASH_MARK = "$argon2"


def backup_text(engine, path: Path) -> str:
    """Everything a backup file holds, as text an attacker could search."""
    if engine.dialect.name == "sqlite":
        with closing(sqlite3.connect(path)) as copy:
            return "\n".join(copy.iterdump())
    return subprocess.run(
        ["pg_restore", "--file=-", str(path)], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def loose_umask():
    """The usual umask (022), under which files are world-readable unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_a_downloaded_backup_holds_no_accounts(sample_engine, tmp_path):
    assert count(sample_engine, AppUser) > 0
    out = backup(sample_engine, tmp_path / "copy")
    text = backup_text(sample_engine, out)
    assert HASH_MARK not in text
    if sample_engine.dialect.name == "sqlite":
        raw = out.read_bytes()
        assert HASH_MARK.encode() not in raw  # not even in freed pages
        with closing(sqlite3.connect(out)) as copy:
            assert copy.execute("SELECT COUNT(*) FROM app_user").fetchone() == (0,)
            assert copy.execute("SELECT COUNT(*) FROM family").fetchone()[0] == 120


def test_only_the_command_line_flag_keeps_the_accounts(sample_engine, tmp_path):
    assert main(["backup", "--out", str(tmp_path / "plain")]) == 0
    assert HASH_MARK not in backup_text(sample_engine, tmp_path / "plain")
    assert main(["backup", "--include-accounts", "--out", str(tmp_path / "full")]) == 0
    assert HASH_MARK in backup_text(sample_engine, tmp_path / "full")
    with sample_engine.connect() as connection:
        audited = connection.execute(
            sa.select(AuditLog.entity_id)
            .where(AuditLog.action == "backup")
            .order_by(AuditLog.id)  # in the order they were made; PostgreSQL promises none
        ).scalars()
        assert list(audited) == ["backup to plain", "backup to full, with accounts"]


def restore_into_new(request, database_url, tmp_path, monkeypatch) -> str:
    """A new, empty database for this store, now in DATABASE_URL."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url, name = server.new_database()
        request.addfinalizer(lambda: server.drop_database(name))
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_a_backup_without_accounts_restores_and_a_new_account_signs_in(
    sample_engine, database_url, tmp_path, monkeypatch, request, capsys
):
    out = backup(sample_engine, tmp_path / "copy")
    url = restore_into_new(request, database_url, tmp_path, monkeypatch)
    assert main(["restore", str(out)]) == 0, capsys.readouterr().err
    restored = make_engine(url)
    assert count(restored, AppUser) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long new passphrase 42\n"))
    assert main(["users", "add", "alice", "--role", "admin", "--password-stdin"]) == 0
    with write_session(restored) as session:
        assert sign_in(session, "alice", "a long new passphrase 42").viewer is not None
    with restored.connect() as connection:
        check = verify_chain(connection)
        actions = connection.execute(
            sa.select(AuditLog.action).order_by(AuditLog.id.desc()).limit(3)
        ).scalars()
        assert list(actions) == ["sign_in", "create", "restore"]
    assert check.broken is None
    restored.dispose()


def test_a_restore_refuses_a_database_with_accounts_or_audit_rows_unless_forced(
    sample_engine, database_url, tmp_path, monkeypatch, request, capsys
):
    out = backup(sample_engine, tmp_path / "copy")
    url = restore_into_new(request, database_url, tmp_path, monkeypatch)
    assert main(["init"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long new passphrase 42\n"))
    assert main(["users", "add", "alice", "--role", "admin", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["restore", str(out)]) == 1
    refusal = capsys.readouterr().err
    assert "accounts" in refusal and "--force" in refusal
    restored = make_engine(url)
    assert count(restored, AppUser) == 1  # untouched
    assert main(["restore", "--force", str(out)]) == 0, capsys.readouterr().err
    with restored.connect() as connection:
        last = connection.execute(
            sa.select(AuditLog.action, AuditLog.after).order_by(AuditLog.id.desc()).limit(1)
        ).one()
    assert last.action == "restore" and '"forced": true' in last.after
    restored.dispose()


def test_backups_and_exports_are_readable_by_their_owner_only(
    sample_engine, tmp_path, loose_umask, monkeypatch
):
    monkeypatch.setenv("TRACKER_PSEUDONYM_KEY", "k3y-" + "0123456789abcdef" * 4)
    assert mode(backup(sample_engine, tmp_path / "page-backup")) == 0o600
    assert main(["backup", "--out", str(tmp_path / "cli-backup")]) == 0
    assert mode(tmp_path / "cli-backup") == 0o600
    for kind in ("zip", "xlsx"):
        assert main(["export", "--format", kind, "--out", str(tmp_path / f"all.{kind}")]) == 0
        assert mode(tmp_path / f"all.{kind}") == 0o600
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    written = list((tmp_path / "csv").iterdir())
    assert written and {mode(path) for path in written} == {0o600}
    assert main(["research-export", "--out", str(tmp_path / "research.zip")]) == 0
    assert mode(tmp_path / "research.zip") == 0o600
