"""Accounts: Argon2id hashing, the password policy, lockout and its expiry, demo accounts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.unit.helpers import families_file
from tracker.cli import main
from tracker.files.importing import import_files
from tracker.people.access import MANAGER, PERMISSIONS, PRACTITIONER
from tracker.people.accounts import (
    ProductionWithDemoAccounts,
    check_production,
    create_demo_accounts,
    create_user,
    set_active,
)
from tracker.people.auth import (
    LOCKOUT,
    REFUSAL,
    hash_password,
    password_problem,
    sign_in,
    verify_password,
)
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AppUser, AuditLog

GOOD = "correct horse battery"


def test_hashes_are_argon2id_salted_and_verify():
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, GOOD)
    assert not verify_password(first, GOOD + "!")
    assert not verify_password(None, GOOD) and not verify_password("not a hash", GOOD)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "at least 12"),
        ("passwordpassword", "too common"),
        ("PasswordPassword", "too common"),
        ("aaaaaaaaaaaaaa", "mix of characters"),
        ("annie-the-worker-2025", "username"),
    ],
)
def test_password_policy(password, problem):
    assert problem in password_problem(password, username="annie")
    assert password_problem(GOOD, username="annie") is None


@pytest.fixture
def accounts(engine, tmp_path):
    assert import_files(engine, [families_file(tmp_path)]).ok
    with write_session(engine) as session:
        create_user(
            session,
            username="ann",
            display_name="Ann Worker",
            role=PRACTITIONER,
            password=GOOD,
            actor="test",
        )
        create_user(
            session, username="boss", display_name="Boss", role=MANAGER, password=GOOD, actor="test"
        )
    return engine


def attempt(engine, username, password, now=None):
    with write_session(engine) as session:
        return sign_in(session, username, password, now=now)


def audit_actions(engine) -> list[str]:
    with read_session(engine) as session:
        return session.execute(sa.select(AuditLog.action).order_by(AuditLog.id)).scalars().all()


def test_a_practitioner_is_linked_to_their_key_worker(accounts):
    result = attempt(accounts, "ann", GOOD)
    assert result.viewer.role == PRACTITIONER and result.viewer.key_worker_id is not None
    assert result.viewer.actor == "ann"


def test_five_failures_lock_for_fifteen_minutes_then_it_expires(accounts):
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for minute in range(5):
        assert (
            attempt(accounts, "ann", "wrong password!!", start + timedelta(minutes=minute)).viewer
            is None
        )
    locked = attempt(accounts, "ann", GOOD, start + timedelta(minutes=5))
    assert locked.viewer is None and locked.message == REFUSAL
    assert "lockout" in audit_actions(accounts)
    later = attempt(
        accounts, "ann", GOOD, start + timedelta(minutes=4) + LOCKOUT + timedelta(seconds=1)
    )
    assert later.viewer is not None


def test_unknown_and_disabled_users_are_refused_alike(accounts):
    unknown = attempt(accounts, "nobody", GOOD)
    with write_session(accounts) as session:
        set_active(session, username="boss", active=False, actor="test")
    disabled = attempt(accounts, "boss", GOOD)
    assert unknown.viewer is None and disabled.viewer is None
    assert unknown.message == disabled.message


def test_bad_accounts_are_refused_and_nothing_is_written(accounts):
    with pytest.raises(RecordInvalid) as refused, write_session(accounts) as session:
        create_user(
            session, username="ann", display_name="", role="wizard", password="short", actor="test"
        )
    assert set(refused.value.problems) == {"username", "role", "password"}
    with pytest.raises(RecordInvalid, match="key worker"), write_session(accounts) as session:
        create_user(
            session,
            username="zed",
            display_name="Zed Nobody",
            role=PRACTITIONER,
            password=GOOD,
            actor="test",
        )
    with read_session(accounts) as session:
        assert session.execute(sa.select(sa.func.count(AppUser.id))).scalar_one() == 2


def test_demo_accounts_once_and_never_in_production(accounts):
    with write_session(accounts) as session:
        password = create_demo_accounts(session)
        assert create_demo_accounts(session) is None
    assert attempt(accounts, "demo-commissioner", password).viewer.role == "commissioner"
    with read_session(accounts) as session:
        check_production(session, "development")
        with pytest.raises(ProductionWithDemoAccounts, match="demo accounts exist"):
            check_production(session, "production")


def test_policy_matrix_covers_every_role():
    assert set(PERMISSIONS) == {"practitioner", "manager", "commissioner", "admin"}
    assert "view_family" not in PERMISSIONS["commissioner"]
    assert "view_scatter" not in PERMISSIONS["commissioner"]
    assert not {"edit_family", "view_family"} & PERMISSIONS["admin"]
    assert PERMISSIONS["practitioner"] < PERMISSIONS["manager"]


def test_users_cli(accounts, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    assert main(["users", "add", "connie", "--role", "commissioner", "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    assert "connie" in capsys.readouterr().out
    assert main(["users", "disable", "connie"]) == 0
    assert attempt(accounts, "connie", GOOD).viewer is None
    assert main(["users", "enable", "connie"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another good secret\n"))
    assert main(["users", "reset-password", "connie", "--password-stdin"]) == 0
    assert attempt(accounts, "connie", "another good secret").viewer is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "reset-password", "connie", "--password-stdin"]) == 1
    assert "at least 12" in capsys.readouterr().err


def test_users_cli_changes_a_role_and_a_practitioner_needs_a_key_worker(accounts, capsys):
    assert main(["users", "role", "boss", "--role", "practitioner"]) == 1
    assert "key worker" in capsys.readouterr().err
    assert (
        main(["users", "role", "boss", "--role", "practitioner", "--key-worker", "Bob Worker"]) == 0
    )
    viewer = attempt(accounts, "boss", GOOD).viewer
    assert viewer.role == PRACTITIONER and viewer.key_worker_id is not None
    assert main(["users", "role", "boss", "--role", "manager"]) == 0
    assert attempt(accounts, "boss", GOOD).viewer.role == MANAGER
