"""Which closures a manager must audit: one rule for a case closed in the app and for a
closure that arrives in families.csv."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.store.models import ClosureAudit, utc_now
from tracker.store.vocabulary import AUDITED_CLOSURES

# Families asked about at a time: a national import closes hundreds of thousands, and
# their ids are written into the SQL as numbers.
CHUNK_FAMILIES = 20_000


def closures_due(
    connection: Connection, closures: Sequence[tuple[int, date | None, str | None]]
) -> list[tuple[int, date]]:
    """Of these closures (family id, closing date, reason), the ones due an audit, in the
    order given: a plan not wholly achieved, and no audit of that closure yet. One audit
    per closure, so a family re-referred and closed again is due another. One query per
    chunk of families, not one per closure: an import may close a whole county."""
    wanted = list(
        dict.fromkeys(
            (family_id, closed_on)
            for family_id, closed_on, reason in closures
            if closed_on is not None and reason in AUDITED_CLOSURES
        )
    )
    families = sorted({family_id for family_id, _ in wanted})
    held = set()
    for start in range(0, len(families), CHUNK_FAMILIES):
        ids = sa.bindparam(
            "ids",
            value=families[start : start + CHUNK_FAMILIES],
            expanding=True,
            literal_execute=True,
        )
        rows = connection.execute(
            sa.select(ClosureAudit.family_id, ClosureAudit.closed_on).where(
                ClosureAudit.family_id.in_(ids)
            )
        )
        held.update((family_id, closed_on) for family_id, closed_on in rows)
    return [closure for closure in wanted if closure not in held]


def closure_audit_due(
    connection: Connection, family_id: int, closed_on: date | None, closure_reason: str | None
) -> bool:
    """Whether this one closure is due an audit (``closures_due``)."""
    return bool(closures_due(connection, [(family_id, closed_on, closure_reason)]))


def add_closure_audits(connection: Connection, closures: Sequence[tuple[int, date]]) -> list[int]:
    """The audit tasks, waiting for a manager, written at once; their ids, in the order given."""
    if not closures:
        return []
    made = utc_now()
    return list(
        connection.execute(
            sa.insert(ClosureAudit).returning(ClosureAudit.id, sort_by_parameter_order=True),
            [
                {"family_id": family_id, "closed_on": closed_on, "created_at": made}
                for family_id, closed_on in closures
            ],
        ).scalars()
    )


def add_closure_audit(connection: Connection, family_id: int, closed_on: date) -> int:
    """The audit task, waiting for a manager; its id."""
    (audit_id,) = add_closure_audits(connection, [(family_id, closed_on)])
    return audit_id
