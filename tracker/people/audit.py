"""The audit trail: append-only, written in the same transaction as the change it records.

Nothing in the app edits or deletes audit rows; the only functions here add and read.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.store.models import AuditLog

ACTIONS = (
    "create",
    "update",
    "delete",
    "sign_in",
    "sign_in_failed",
    "lockout",
    "sign_out",
    "export",
    "import",
    "backup",
)


def _json(value) -> str | None:
    if value is None:
        return None

    def default(item):
        if isinstance(item, date | datetime):
            return item.isoformat()
        return str(item)

    return json.dumps(value, default=default, sort_keys=True)


def record(
    target: Session | Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id=None,
    family_id: int | None = None,
    before=None,
    after=None,
) -> None:
    """Add one audit row through the caller's session or connection (so, its transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    values = {
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "family_id": family_id,
        "before": _json(before),
        "after": _json(after),
        "at": datetime.now().astimezone(),
    }
    connection = target.connection() if isinstance(target, Session) else target
    connection.execute(sa.insert(AuditLog), [values])


def audit_frame(
    connection: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    family_id: int | None = None,
    since: date | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Audit rows, newest first, filtered."""
    statement = (
        sa.select(
            AuditLog.at,
            AuditLog.actor,
            AuditLog.action,
            AuditLog.entity,
            AuditLog.entity_id,
            AuditLog.before,
            AuditLog.after,
        )
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    for column, value in (
        (AuditLog.actor, actor),
        (AuditLog.action, action),
        (AuditLog.entity, entity),
        (AuditLog.family_id, family_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if since is not None:
        statement = statement.where(AuditLog.at >= datetime.combine(since, datetime.min.time()))
    return pd.DataFrame(
        connection.execute(statement).all(),
        columns=["at", "actor", "action", "entity", "entity_id", "before", "after"],
    )
