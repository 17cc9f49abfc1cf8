"""Signing in: Argon2id password hashes, the password policy, lockout and OIDC sign-in.

Signing in gives an attacker as little as it can: one answer whatever was wrong, the same
Argon2 work whether the account exists or not, a lockout counted atomically in the store,
and a limit per client address that every app server shares (docs/deploy.md, Sign-in).

Organisations that sign in with OIDC (Streamlit's st.login) still need a row here: the
e-mail address maps the person to a role, and unknown people are refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session

from tracker.people.access import Viewer
from tracker.people.audit import record
from tracker.store.models import AppUser, AuditLog, longest
from tracker.store.settings import get_settings

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with current parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _common_passwords() -> set[str]:
    return {
        line.strip().lower()
        for line in COMMON_PASSWORDS_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a password is not acceptable, in plain words, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords():
        return "That password is too common; choose one people would not guess."
    if len(set(lowered)) < 4:
        return "Use a mix of characters, not one repeated."
    if username and username.lower() in lowered:
        return "Do not use your username in your password."
    return None


def viewer_for(user: AppUser) -> Viewer:
    return Viewer(
        name=user.display_name,
        role=user.role,
        key_worker_id=user.key_worker_id,
        user_id=user.id,
        username=user.username,
    )


@dataclass(frozen=True)
class SignInResult:
    viewer: Viewer | None
    message: str


# One answer for a wrong password, an unknown or disabled account and a locked one, so
# the answer does not tell an attacker which accounts exist or which they have locked.
REFUSAL = "That username and password do not match an active account."
# Who the audit trail names for a sign-in to no account: never the typed text, which may
# well be a password typed into the wrong box.
UNKNOWN_ACCOUNT = "unknown account"
# Where a sign-in came from when Streamlit gives no address (a browser on the server).
LOCAL_CLIENT = "local"


def _now() -> datetime:
    return datetime.now(UTC)


def _dummy_verify(password: str) -> None:
    """Spend what checking a real password costs, so refusing an unknown, disabled or
    locked account takes as long as refusing a wrong password."""
    verify_password(_dummy_hash(_hasher), password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of nothing anyone knows, made with the hasher's own cost."""
    return hasher.hash(secrets.token_urlsafe(16))


def _recent_failures(session: Session, client: str, now: datetime) -> int:
    """Failed sign-ins from ``client`` within the window, counted in the audit trail.

    The trail is shared by every app server, so the limit holds however many replicas an
    attacker's requests are spread over; the lookup uses the (entity, entity_id) index.
    """
    since = now - timedelta(minutes=get_settings().sign_in_window_minutes)
    return session.execute(
        sa.select(sa.func.count(AuditLog.id)).where(
            AuditLog.entity == "client",
            AuditLog.entity_id == client,
            AuditLog.action == "sign_in_failed",
            AuditLog.at >= since,
        )
    ).scalar_one()


def _count_attempt(session: Session, user_id: int, now: datetime) -> int | None:
    """Count one more attempt at an unlocked account, atomically, before any checking: the
    attempt's number, or None while the account is locked.

    The counting UPDATE holds the account's row until this transaction ends, so parallel
    guesses are numbered one by one and none of them reads a stale count.
    """
    return session.execute(
        sa.update(AppUser)
        .where(
            AppUser.id == user_id,
            sa.or_(AppUser.locked_until.is_(None), AppUser.locked_until <= now),
        )
        .values(failed_attempts=AppUser.failed_attempts + 1)
        .returning(AppUser.failed_attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def _failed(
    session: Session, client: str, *, actor: str = UNKNOWN_ACCOUNT, **details
) -> SignInResult:
    record(
        session,
        actor=actor,
        action="sign_in_failed",
        entity="client",
        entity_id=client,
        after=details,
    )
    return SignInResult(None, REFUSAL)


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    client: str | None = None,
    now: datetime | None = None,
) -> SignInResult:
    """Check a password from ``client`` (the browser's address).

    Too many failures from one address within the window are refused before any account
    is looked at. An account is counted before it is checked, and its fifth failure in
    a row locks it for 15 minutes; guesses beyond that are refused without checking.
    """
    now = now or _now()
    client = client or LOCAL_CLIENT
    settings = get_settings()
    if _recent_failures(session, client, now) >= settings.sign_in_attempts_per_client:
        _failed(session, client, reason="too many attempts from this address")
        minutes = settings.sign_in_window_minutes
        return SignInResult(
            None, f"Too many sign-in attempts from here. Wait {minutes} minutes and try again."
        )
    typed = username.strip()
    user = None
    if len(typed) <= longest(AppUser.username):
        user = session.execute(
            sa.select(AppUser).where(AppUser.username == typed)
        ).scalar_one_or_none()
    if user is None or not user.active:
        _dummy_verify(password)
        if user is None:
            return _failed(session, client, reason="unknown account")
        return _failed(session, client, actor=user.username, user_id=user.id, reason="disabled")
    attempt = _count_attempt(session, user.id, now)
    if attempt is None:
        _dummy_verify(password)
        return _failed(session, client, actor=user.username, user_id=user.id, reason="locked")
    checked = attempt <= MAX_FAILED_ATTEMPTS  # past the limit, the password is not tried
    if checked and verify_password(user.password_hash, password):
        session.execute(
            sa.update(AppUser)
            .where(AppUser.id == user.id)
            .values(failed_attempts=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        record(session, actor=user.username, action="sign_in", entity="user", entity_id=user.id)
        return SignInResult(viewer_for(user), "")
    if not checked:
        _dummy_verify(password)
    refusal = _failed(
        session,
        client,
        actor=user.username,
        user_id=user.id,
        reason="wrong password" if checked else "past the limit, not checked",
        failed_attempts=attempt,
    )
    if attempt >= MAX_FAILED_ATTEMPTS:
        locked_until = now + LOCKOUT
        session.execute(
            sa.update(AppUser)
            .where(AppUser.id == user.id)
            .values(failed_attempts=0, locked_until=locked_until)
            .execution_options(synchronize_session=False)
        )
        record(
            session,
            actor=user.username,
            action="lockout",
            entity="user",
            entity_id=user.id,
            after={"locked_until": locked_until},
        )
    return refusal


def sign_in_by_email(session: Session, email: str) -> SignInResult:
    """Map an e-mail address verified by the organisation's identity provider to a user."""
    user = session.execute(
        sa.select(AppUser).where(
            sa.func.lower(AppUser.email) == email.strip().lower(), AppUser.active.is_(True)
        )
    ).scalar_one_or_none()
    if user is None:
        record(
            session,
            actor=UNKNOWN_ACCOUNT,
            action="sign_in_failed",
            entity="user",
            after={"reason": "unknown e-mail", "email": email[: longest(AppUser.email)]},
        )
        return SignInResult(
            None,
            "Your account is not set up in Distance Travelled. Ask an administrator to add you.",
        )
    record(
        session,
        actor=user.username,
        action="sign_in",
        entity="user",
        entity_id=user.id,
        after={"method": "oidc"},
    )
    return SignInResult(viewer_for(user), "")
