"""Local accounts: Argon2id password hashes, a password policy, lockout and demo accounts.

Organisations that sign in with OIDC (Streamlit's st.login) still need a row here: the
e-mail address maps the person to a role, and unknown people are refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session

from tracker.people.access import Viewer
from tracker.people.audit import record
from tracker.store.errors import RecordInvalid
from tracker.store.models import ROLES, AppUser, KeyWorker

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with current parameters


class ProductionWithDemoAccounts(RuntimeError):
    """Demo accounts must never exist in production."""


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


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive timestamps; they are stored in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sign_in(
    session: Session, username: str, password: str, *, now: datetime | None = None
) -> SignInResult:
    """Check a password, counting failures; five in a row lock the account for 15 minutes."""
    now = now or _now()
    refusal = "That username and password do not match an active account."
    user = session.execute(
        sa.select(AppUser).where(AppUser.username == username.strip())
    ).scalar_one_or_none()
    if user is None or not user.active:
        record(
            session,
            actor=username.strip() or "unknown",
            action="sign_in_failed",
            entity="user",
            entity_id=username.strip(),
        )
        return SignInResult(None, refusal)
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        minutes = max(1, round((locked_until - now).total_seconds() / 60))
        record(
            session,
            actor=user.username,
            action="sign_in_failed",
            entity="user",
            entity_id=user.id,
            after={"reason": "locked"},
        )
        return SignInResult(
            None,
            f"This account is locked after too many failed attempts. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        )
    if not verify_password(user.password_hash, password):
        user.failed_attempts += 1
        record(
            session,
            actor=user.username,
            action="sign_in_failed",
            entity="user",
            entity_id=user.id,
            after={"failed_attempts": user.failed_attempts},
        )
        if user.failed_attempts >= MAX_FAILED_ATTEMPTS:
            user.locked_until = now + LOCKOUT
            user.failed_attempts = 0
            record(
                session,
                actor=user.username,
                action="lockout",
                entity="user",
                entity_id=user.id,
                after={"locked_until": user.locked_until},
            )
        session.add(user)
        return SignInResult(None, refusal)
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    record(session, actor=user.username, action="sign_in", entity="user", entity_id=user.id)
    return SignInResult(viewer_for(user), "")


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
            actor=email,
            action="sign_in_failed",
            entity="user",
            entity_id=email,
            after={"reason": "unknown e-mail"},
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


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str | None,
    actor: str,
    key_worker: str | None = None,
    email: str | None = None,
    is_demo: bool = False,
) -> AppUser:
    problems = {}
    username = username.strip()
    if not username:
        problems["username"] = "Choose a username."
    elif session.execute(sa.select(AppUser.id).where(AppUser.username == username)).first():
        problems["username"] = "That username is taken."
    if role not in ROLES:
        problems["role"] = f"Choose one of: {', '.join(ROLES)}."
    if password is not None and (problem := password_problem(password, username=username)):
        problems["password"] = problem
    key_worker_id = None
    if role == "practitioner":
        key_worker_id = session.execute(
            sa.select(KeyWorker.id).where(KeyWorker.name == (key_worker or display_name))
        ).scalar_one_or_none()
        if key_worker_id is None:
            problems["key_worker"] = "A practitioner must be linked to a key worker record."
    if problems:
        raise RecordInvalid(problems)
    user = AppUser(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        key_worker_id=key_worker_id,
        email=email or None,
        password_hash=hash_password(password) if password else None,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        after={"username": user.username, "role": user.role, "email": user.email},
    )
    return user


def _user(session: Session, username: str) -> AppUser:
    user = session.execute(
        sa.select(AppUser).where(AppUser.username == username)
    ).scalar_one_or_none()
    if user is None:
        raise RecordInvalid({"username": f"No user called {username!r}."})
    return user


def _record_change(session: Session, actor: str, user: AppUser, before, after) -> None:
    record(
        session,
        actor=actor,
        action="update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=after,
    )


def set_active(session: Session, *, username: str, active: bool, actor: str) -> None:
    user = _user(session, username)
    before = user.active
    user.active = active
    session.add(user)
    _record_change(session, actor, user, {"active": before}, {"active": active})


def reset_password(session: Session, *, username: str, password: str, actor: str) -> None:
    user = _user(session, username)
    if problem := password_problem(password, username=username):
        raise RecordInvalid({"password": problem})
    user.password_hash = hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    _record_change(session, actor, user, None, {"password": "reset"})


def set_role(session: Session, *, username: str, role: str, actor: str) -> None:
    user = _user(session, username)
    if role not in ROLES:
        raise RecordInvalid({"role": f"Choose one of: {', '.join(ROLES)}."})
    before = user.role
    user.role = role
    session.add(user)
    _record_change(session, actor, user, {"role": before}, {"role": role})


def users_frame(session: Session) -> pd.DataFrame:
    rows = session.execute(
        sa.select(
            AppUser.username,
            AppUser.display_name,
            AppUser.role,
            AppUser.email,
            AppUser.active,
            AppUser.is_demo,
            AppUser.locked_until,
        ).order_by(AppUser.username)
    ).all()
    return pd.DataFrame(
        rows,
        columns=["username", "display_name", "role", "email", "active", "demo", "locked_until"],
    )


DEMO_ACCOUNTS = (
    ("demo-practitioner", "practitioner"),
    ("demo-manager", "manager"),
    ("demo-commissioner", "commissioner"),
    ("demo-admin", "admin"),
)


def create_demo_accounts(session: Session) -> str | None:
    """One demo account per role, sharing a random password that is returned once.

    Returns None when demo accounts already exist. The practitioner is the key worker
    with the most open families, so the demo caseload has something in it.
    """
    if session.execute(sa.select(AppUser.id).where(AppUser.is_demo.is_(True))).first():
        return None
    worker = session.execute(sa.select(KeyWorker.name).order_by(KeyWorker.id)).scalar()
    if worker is None:
        return None
    password = "-".join(secrets.token_hex(3) for _ in range(4))
    for username, role in DEMO_ACCOUNTS:
        create_user(
            session,
            username=username,
            role=role,
            password=password,
            display_name=worker if role == "practitioner" else f"Demo {role}",
            key_worker=worker,
            actor="tracker init",
            is_demo=True,
        )
    return password


def has_demo_accounts(session: Session) -> bool:
    return (
        session.execute(
            sa.select(AppUser.id).where(AppUser.is_demo.is_(True), AppUser.active.is_(True))
        ).first()
        is not None
    )


def check_production(session: Session, environment: str) -> None:
    """Refuse to run in production while any demo account is active."""
    if environment == "production" and has_demo_accounts(session):
        raise ProductionWithDemoAccounts(
            "TRACKER_ENV is production but demo accounts exist. Disable them with "
            "`tracker users disable demo-practitioner` (and the other demo-* accounts) "
            "before starting the app."
        )
