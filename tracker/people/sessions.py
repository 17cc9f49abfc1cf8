"""When a signed-in session must end, decided afresh on every page run.

Who someone is was settled when they signed in, but an administrator may disable, demote
or move them at any time: every run re-reads the account by its id (one primary-key
lookup) and ends the session when it no longer matches. Sessions also end after a spell
without activity and, however busy, after an absolute lifetime. The app only calls this
module, so the rules are tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from tracker.people.access import Viewer
from tracker.store.models import AppUser
from tracker.store.settings import Settings


@dataclass(frozen=True)
class StoredAccount:
    """What the store says now about the account a session belongs to."""

    active: bool
    role: str
    key_worker_id: int | None


def stored_account(session: Session, user_id: int) -> StoredAccount | None:
    """The account as stored now, or None if there is no such account."""
    row = session.execute(
        sa.select(AppUser.active, AppUser.role, AppUser.key_worker_id).where(AppUser.id == user_id)
    ).first()
    return StoredAccount(*row) if row else None


def session_end_reason(
    viewer: Viewer,
    account: StoredAccount | None,
    *,
    signed_in_at: float | None,
    last_active: float | None,
    now: float,
    settings: Settings,
) -> str | None:
    """Why this session ends now, in words to show the person, or None if it goes on.

    Times are seconds since the epoch. A viewer without an account id, or a session
    without a sign-in time, did not come from signing in and is not trusted.
    """
    again = "Please sign in again."
    if viewer.user_id is None or signed_in_at is None:
        return f"Your session could not be confirmed. {again}"
    if account is None or not account.active:
        return "Your account has been disabled. Ask an administrator if this is a mistake."
    if (account.role, account.key_worker_id) != (viewer.role, viewer.key_worker_id):
        return f"Your role or key worker changed, so you were signed out. {again}"
    idle_minutes = settings.idle_timeout_minutes
    if last_active is not None and now - last_active > idle_minutes * 60:
        return f"You were signed out after {idle_minutes} minutes without activity. {again}"
    max_hours = settings.session_max_hours
    if now - signed_in_at > max_hours * 3600:
        return f"You were signed out after {max_hours} hours signed in. {again}"
    return None
