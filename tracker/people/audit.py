"""The audit trail: append-only, chained by hashes, written in the same transaction as the
change it records.

Nothing in the app edits or deletes audit rows, and the database refuses to (migration
0007). Each row stores its own hash and the hash of the row before it
(``tracker.store.audit_chain``), so ``verify_chain`` can show that no stored row was
changed, deleted or slipped in out of order since it was written.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.store.audit_chain import CONTENT, GENESIS, row_hash
from tracker.store.models import AuditLog

ACTIONS = (
    "create",
    "update",
    "delete",
    "view",
    "sign_in",
    "sign_in_failed",
    "lockout",
    "sign_out",
    "export",
    "import",
    "backup",
    "restore",
    # Self-rating links (tracker/records/invitations.py): never with the token.
    "invite_created",
    "invite_opened",
    "invite_submitted",
    "invite_revoked",
    "invite_refused",
    # Quality assurance (issue 22).
    "closure_audit_created",
    "closure_audit_completed",
    "sample_drawn",
    "case_file_rated",
    "stakeholder_feedback_added",
    "pathway_updated",
)
# Taken on PostgreSQL for the rest of the writing transaction, so two writers never read
# the same last hash and fork the chain. SQLite's writers are serialised already: every
# write transaction begins IMMEDIATE, and a deferred one that read a stale last hash
# cannot then write.
CHAIN_LOCK = int.from_bytes(b"auditlog", "big")


def _json(value) -> str | None:
    if value is None:
        return None

    def default(item):
        if isinstance(item, date | datetime):
            return item.isoformat()
        return str(item)

    return json.dumps(value, default=default, sort_keys=True)


def audit_entry(
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id=None,
    family_id: int | None = None,
    before=None,
    after=None,
    at: datetime | None = None,
) -> dict:
    """One audit row's content, as it will be stored."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return {
        "at": at or datetime.now(UTC),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "family_id": None if family_id is None else int(family_id),
        "before": _json(before),
        "after": _json(after),
    }


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
    record_many(
        target,
        [
            audit_entry(
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                family_id=family_id,
                before=before,
                after=after,
            )
        ],
    )


def record_many(target: Session | Connection, entries: Sequence[Mapping]) -> None:
    """Add audit rows (from ``audit_entry``) in this order, chained to the last stored row.

    Call it late in a long transaction: on PostgreSQL it holds the chain's lock until the
    transaction ends, and every other writer of the audit trail waits for it.
    """
    if not entries:
        return
    connection = target.connection() if isinstance(target, Session) else target
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
    previous = connection.execute(
        sa.select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)
    ).scalar_one_or_none()
    previous = previous or GENESIS
    rows = []
    for entry in entries:
        own = row_hash(previous, entry)
        rows.append({**entry, "prev_hash": previous, "row_hash": own})
        previous = own
    connection.execute(sa.insert(AuditLog), rows)


@dataclass(frozen=True)
class BrokenRow:
    """The first row at which the chain does not hold, and why."""

    id: int
    at: datetime | None
    reason: str


@dataclass(frozen=True)
class ChainCheck:
    """What ``verify_chain`` found: how many rows, the last one, and the first break."""

    rows: int
    head_id: int | None
    head_hash: str | None
    broken: BrokenRow | None

    @property
    def whole(self) -> bool:
        return self.broken is None


def verify_chain(
    connection: Connection,
    checkpoints: Mapping[int, str] | None = None,
    *,
    start: tuple[int, str] | None = None,
) -> ChainCheck:
    """Walk the chain oldest first; stop at the first row that breaks it.

    ``checkpoints`` (row id -> hash, as an earlier check printed them) also catch a trail
    rewritten with every hash recomputed, which the chain alone cannot show. ``start``,
    one such checkpoint, walks only the rows after it: quicker on a long trail, and the
    way to go on checking new rows once a break has been investigated.
    """
    checkpoints = dict(checkpoints or {})
    statement = sa.select(
        AuditLog.id,
        *(AuditLog.__table__.c[name] for name in CONTENT),
        AuditLog.prev_hash,
        AuditLog.row_hash,
    ).order_by(AuditLog.id)
    previous, count, head_id = GENESIS, 0, None
    if start is not None:
        head_id, previous = start
        statement = statement.where(AuditLog.id > head_id)
    result = connection.execution_options(yield_per=5000).execute(statement)
    for row in result:
        reason = None
        if row.prev_hash != previous:
            reason = (
                "it does not follow the row before it: a row before it is missing, "
                "or it was inserted out of order"
            )
        elif row_hash(row.prev_hash, row._mapping) != row.row_hash:
            reason = "its content no longer matches its hash: it was changed after it was written"
        elif checkpoints.pop(row.id, row.row_hash) != row.row_hash:
            reason = "its hash is not the one the checkpoint recorded: the trail was rewritten"
        if reason:
            result.close()
            return ChainCheck(count, head_id, previous, BrokenRow(row.id, row.at, reason))
        previous, count, head_id = row.row_hash, count + 1, row.id
    if checkpoints:
        missing = min(checkpoints)
        reason = "the checkpoint's row is no longer there: the trail was cut short"
        return ChainCheck(count, head_id, previous, BrokenRow(missing, None, reason))
    return ChainCheck(count, head_id, None if head_id is None else previous, None)


def audit_frame(
    connection: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    family_id: int | None = None,
    since: date | None = None,
    leave_out: Collection[str] = (),
    limit: int = 5000,
) -> pd.DataFrame:
    """Audit rows, newest first, filtered; ``row`` is the id ``tracker audit verify`` names,
    and ``at`` is in UTC on either store."""
    columns = [
        "row",
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "family_id",
        "before",
        "after",
    ]
    statement = (
        sa.select(
            AuditLog.id,
            AuditLog.at,
            AuditLog.actor,
            AuditLog.action,
            AuditLog.entity,
            AuditLog.entity_id,
            AuditLog.family_id,
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
    if leave_out:
        statement = statement.where(AuditLog.action.not_in(list(leave_out)))
    if since is not None:
        start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
        statement = statement.where(AuditLog.at >= start)
    frame = pd.DataFrame(connection.execute(statement).all(), columns=columns)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame
