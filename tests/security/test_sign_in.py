"""Sign-in under attack: guessing in parallel, from one address, and probing for accounts.

Each test is an attack tried again on both stores: the lockout must hold when twenty
wrong guesses arrive at once, an address that keeps failing is slowed down whichever app
server it reaches, and nothing an attacker sees (the message, the work done) tells an
account that exists from one that does not.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from tests.unit.helpers import families_file
from tracker.files.importing import import_files
from tracker.people import auth
from tracker.people.accounts import create_user, reset_password, set_active
from tracker.people.auth import MAX_FAILED_ATTEMPTS, sign_in
from tracker.store.db import make_engine, read_session, write_session
from tracker.store.models import AppUser, AuditLog

GOOD = "correct horse battery"
WRONG = "not the password at all"
GUESSERS = 20


class CountingHasher(PasswordHasher):
    """A real Argon2 hasher that counts its verifications, by the hash they were against."""

    def __init__(self, **parameters):
        super().__init__(**parameters)
        self.verified: list[str] = []
        self._lock = threading.Lock()

    def verify(self, hash, password):
        with self._lock:
            self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", counting)
    return counting


@pytest.fixture
def accounts(engine, tmp_path):
    """Ann, a practitioner, and Boss, a manager, both with the password GOOD."""
    assert import_files(engine, [families_file(tmp_path)]).ok
    with write_session(engine) as session:
        create_user(
            session,
            username="ann",
            display_name="Ann Worker",
            role="practitioner",
            password=GOOD,
            actor="test",
        )
        create_user(
            session,
            username="boss",
            display_name="Boss",
            role="manager",
            password=GOOD,
            actor="test",
        )
    return engine


def attempt(engine, username, password, **context):
    """One sign-in in its own transaction; ``context`` is the client's address or the time."""
    with write_session(engine) as session:
        return sign_in(session, username, password, **context)


def audit_rows(engine) -> list[dict]:
    with read_session(engine) as session:
        rows = session.execute(sa.select(AuditLog).order_by(AuditLog.id)).scalars().all()
        return [row.model_dump() for row in rows]


def stored_hash(engine, username: str) -> str:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(AppUser.password_hash).where(AppUser.username == username)
        ).scalar_one()


def test_an_unknown_account_is_recorded_as_unknown_never_as_the_typed_text(accounts):
    """A password typed into the username box must not become readable in the audit."""
    typed = "my Secret password 42"
    assert attempt(accounts, typed, "whatever").viewer is None
    failed = [row for row in audit_rows(accounts) if row["action"] == "sign_in_failed"]
    assert [row["actor"] for row in failed] == ["unknown account"]
    assert not any(typed in str(value) for row in audit_rows(accounts) for value in row.values())


def test_an_over_long_username_is_one_more_failed_sign_in(accounts):
    """200 characters once gave an unauthenticated visitor a database traceback."""
    known = attempt(accounts, "ann", WRONG).message
    result = attempt(accounts, "x" * 200, WRONG)
    assert result.viewer is None
    assert result.message == known
    assert audit_rows(accounts)[-1]["actor"] == "unknown account"


def guess_together(database_url: str, guesses: int) -> list[str]:
    """``guesses`` wrong passwords for Ann at once, each on its own connection."""
    start = threading.Barrier(guesses)
    messages: list[str] = []
    problems: list[BaseException] = []

    def guess() -> None:
        engine = make_engine(database_url)
        try:
            start.wait()
            messages.append(attempt(engine, "ann", WRONG).message)
        except BaseException as problem:  # reported below, with the thread's own error
            problems.append(problem)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not problems, problems
    return messages


def test_parallel_wrong_guesses_lock_the_account(accounts, database_url, monkeypatch):
    """Twenty wrong guesses at once once left PostgreSQL at failed_attempts=2, unlocked.

    The hasher here costs a few milliseconds, like a real one does, so the guesses overlap
    while they are being checked.
    """
    slow = CountingHasher(time_cost=3, memory_cost=4096, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", slow)
    with write_session(accounts) as session:
        reset_password(session, username="ann", password=GOOD, actor="test")
    ann_hash = stored_hash(accounts, "ann")
    slow.verified.clear()

    messages = guess_together(database_url, GUESSERS)

    assert len(set(messages)) == 1
    # Only as many guesses were checked against Ann's password as the limit allows.
    assert slow.verified.count(ann_hash) <= MAX_FAILED_ATTEMPTS
    with accounts.connect() as connection:
        locked_until = connection.execute(
            sa.select(AppUser.locked_until).where(AppUser.username == "ann")
        ).scalar_one()
    assert locked_until is not None
    assert "lockout" in [row["action"] for row in audit_rows(accounts)]
    # From another address, so only the lock (not the per-client limit) can refuse it.
    late = attempt(accounts, "ann", GOOD, client="203.0.113.1")
    assert late.viewer is None, "the right password waits out the lock"


def test_one_message_and_one_verification_whatever_is_wrong(accounts, hasher):
    """Unknown, disabled, locked and wrong-password attempts look the same from outside:
    the same words, and one Argon2 verification each, so the time taken is alike too."""
    with write_session(accounts) as session:
        set_active(session, username="boss", active=False, actor="test")
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    outcomes = {}
    for name, username in (("unknown", "nobody"), ("disabled", "boss"), ("wrong", "ann")):
        hasher.verified.clear()
        outcomes[name] = attempt(accounts, username, WRONG, now=start).message
        assert len(hasher.verified) == 1, name
    for _ in range(MAX_FAILED_ATTEMPTS):
        attempt(accounts, "ann", WRONG, now=start)
    hasher.verified.clear()
    locked = attempt(accounts, "ann", GOOD, now=start)
    assert locked.viewer is None
    assert len(hasher.verified) == 1
    assert stored_hash(accounts, "ann") not in hasher.verified, "a locked account is not checked"
    outcomes["locked"] = locked.message
    assert len(set(outcomes.values())) == 1, outcomes
    reasons = [row["after"] for row in audit_rows(accounts) if row["action"] == "sign_in_failed"]
    assert '"locked"' in reasons[-1], "the lock is still audited"


def test_an_address_that_keeps_failing_is_refused_on_every_app_server(
    accounts, database_url, monkeypatch
):
    """The per-client limit is counted in the store, so a second replica enforces it too."""
    monkeypatch.setenv("TRACKER_SIGN_IN_ATTEMPTS", "3")
    monkeypatch.setenv("TRACKER_SIGN_IN_WINDOW_MINUTES", "15")
    attacker, colleague = "198.51.100.7", "198.51.100.8"
    for username in ("ann", "nobody", "boss"):
        assert attempt(accounts, username, WRONG, client=attacker).viewer is None
    refused = attempt(accounts, "ann", GOOD, client=attacker)
    assert refused.viewer is None
    assert "Too many" in refused.message
    other_replica = make_engine(database_url)
    try:
        assert attempt(other_replica, "boss", GOOD, client=attacker).viewer is None
        assert attempt(other_replica, "ann", GOOD, client=colleague).viewer is not None
    finally:
        other_replica.dispose()
    failed = [row for row in audit_rows(accounts) if row["action"] == "sign_in_failed"]
    assert {row["entity_id"] for row in failed} == {attacker}
