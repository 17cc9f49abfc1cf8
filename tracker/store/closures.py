"""Which closures a manager must audit: one rule for a case closed in the app and for a
closure that arrives in families.csv."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.store.models import ClosureAudit, utc_now
from tracker.store.vocabulary import AUDITED_CLOSURES


def closure_audit_due(
    connection: Connection, family_id: int, closed_on: date | None, closure_reason: str | None
) -> bool:
    """A closure whose plan was not wholly achieved, and no audit of it yet: one audit per
    closure, so a family re-referred and closed again is due another."""
    if closed_on is None or closure_reason not in AUDITED_CLOSURES:
        return False
    held = connection.execute(
        sa.select(ClosureAudit.id).where(
            ClosureAudit.family_id == family_id, ClosureAudit.closed_on == closed_on
        )
    ).first()
    return held is None


def add_closure_audit(connection: Connection, family_id: int, closed_on: date) -> int:
    """The audit task, waiting for a manager; its id."""
    return connection.execute(
        sa.insert(ClosureAudit)
        .values(family_id=family_id, closed_on=closed_on, created_at=utc_now())
        .returning(ClosureAudit.id)
    ).scalar_one()
