"""Closures that arrive in families.csv: each opens its audit task, as closing a case in
the app does (the rule is ``tracker.store.closures``), a whole file's at once."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection

from tracker.files.importing.comparing import Reconciled, same_cells
from tracker.people.audit import audit_entry
from tracker.store.closures import add_closure_audits, closures_due

CLOSURE_COLUMNS = ["family_ref", "closed_on", "closure_reason"]


def arriving_closures(result: Reconciled, stored_families: pd.DataFrame) -> pd.DataFrame:
    """The new families, and the stored ones whose closing date or reason the file changes."""
    arriving = [result.new[CLOSURE_COLUMNS]]
    if not result.replaced.empty:
        both = result.replaced[CLOSURE_COLUMNS].merge(
            stored_families[CLOSURE_COLUMNS], on="family_ref", suffixes=("", "_stored")
        )
        moved = ~same_cells(both["closed_on"], both["closed_on_stored"]) | ~same_cells(
            both["closure_reason"], both["closure_reason_stored"]
        )
        arriving.append(both.loc[moved, CLOSURE_COLUMNS])
    return pd.concat(arriving)


def open_closure_audits(
    connection: Connection, arriving: pd.DataFrame, family_ids: dict[str, int], actor: str
) -> list[dict]:
    """Open the audits these closures are due; the audit-trail rows that say so."""
    closures = [
        (
            family_ids[family_ref],
            None if pd.isna(closed_on) else pd.Timestamp(closed_on).date(),
            None if pd.isna(reason) else reason,
        )
        for family_ref, closed_on, reason in arriving.itertuples(index=False)
    ]
    reasons = {family_id: reason for family_id, _, reason in closures}
    due = closures_due(connection, closures)
    return [
        audit_entry(
            actor=actor,
            action="closure_audit_created",
            entity="closure_audit",
            entity_id=audit_id,
            family_id=family_id,
            after={"closed_on": day, "closure_reason": reasons[family_id]},
        )
        for (family_id, day), audit_id in zip(due, add_closure_audits(connection, due), strict=True)
    ]
