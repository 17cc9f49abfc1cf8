"""Accounts: adding people, changing their role or key worker, and the demo accounts.

Every change is audited. The rules that keep the service usable live here: a practitioner
is always linked to a key worker, and the last active admin cannot be disabled or demoted.
Signing in is ``auth``'s business.
"""

from __future__ import annotations

import secrets

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from tracker.people.access import ADMIN, PRACTITIONER
from tracker.people.audit import record
from tracker.people.auth import hash_password, password_problem
from tracker.store.errors import RecordInvalid
from tracker.store.models import ROLES, AppUser, KeyWorker


class ProductionWithDemoAccounts(RuntimeError):
    """Demo accounts must never exist in production."""


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
    if role == PRACTITIONER:
        key_worker_id = _key_worker_id(session, key_worker or display_name)
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


def _key_worker_id(session: Session, name: str) -> int | None:
    return session.execute(
        sa.select(KeyWorker.id).where(KeyWorker.name == name)
    ).scalar_one_or_none()


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


def _keep_an_admin(session: Session, user: AppUser, field: str) -> None:
    """Refuse to disable or demote the last active administrator, yourself included:
    without one, nobody could manage accounts from the app again.

    The active admins' rows are locked until this transaction ends (on PostgreSQL;
    SQLite's writers queue anyway), so two admins disabling each other at once cannot
    both succeed.
    """
    if user.role != ADMIN or not user.active:
        return
    admins = session.execute(
        sa.select(AppUser.id)
        .where(AppUser.role == ADMIN, AppUser.active.is_(True))
        .with_for_update()
    ).all()
    if len(admins) <= 1:
        raise RecordInvalid(
            {
                field: f"{user.username} is the last active administrator. Make another "
                "account an administrator first."
            }
        )


def set_active(session: Session, *, username: str, active: bool, actor: str) -> None:
    user = _user(session, username)
    if not active:
        _keep_an_admin(session, user, "active")
    before = user.active
    user.active = active
    session.add(user)
    session.flush()  # the account's row first, then the audit trail, as signing in does
    _record_change(session, actor, user, {"active": before}, {"active": active})


def reset_password(session: Session, *, username: str, password: str, actor: str) -> None:
    user = _user(session, username)
    if problem := password_problem(password, username=username):
        raise RecordInvalid({"password": problem})
    user.password_hash = hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    session.flush()
    _record_change(session, actor, user, None, {"password": "reset"})


def set_role(
    session: Session, *, username: str, role: str, actor: str, key_worker: str | None = None
) -> None:
    """Change an account's role, and for a practitioner the key worker they work as.

    A practitioner must be linked to a key worker record: without one their caseload
    would be nobody's families, so the policy would show them nothing.
    """
    user = _user(session, username)
    if role not in ROLES:
        raise RecordInvalid({"role": f"Choose one of: {', '.join(ROLES)}."})
    key_worker_id = user.key_worker_id
    if key_worker:
        key_worker_id = _key_worker_id(session, key_worker)
        if key_worker_id is None:
            raise RecordInvalid({"key_worker": f"There is no key worker called {key_worker!r}."})
    if role == PRACTITIONER and key_worker_id is None:
        raise RecordInvalid(
            {"key_worker": "A practitioner must be linked to a key worker record: choose one."}
        )
    if role != ADMIN:
        _keep_an_admin(session, user, "role")
    before = {"role": user.role, "key_worker_id": user.key_worker_id}
    user.role = role
    user.key_worker_id = key_worker_id
    session.add(user)
    session.flush()
    _record_change(session, actor, user, before, {"role": role, "key_worker_id": key_worker_id})


def users_frame(session: Session) -> pd.DataFrame:
    columns = {
        "username": AppUser.username,
        "display_name": AppUser.display_name,
        "role": AppUser.role,
        "key_worker": KeyWorker.name,
        "email": AppUser.email,
        "active": AppUser.active,
        "demo": AppUser.is_demo,
        "locked_until": AppUser.locked_until,
    }
    rows = session.execute(
        sa.select(*columns.values())
        .outerjoin(KeyWorker, KeyWorker.id == AppUser.key_worker_id)
        .order_by(AppUser.username)
    ).all()
    return pd.DataFrame(rows, columns=list(columns))


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
