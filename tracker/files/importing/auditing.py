"""What an import writes in the audit trail: every value it changed, and what it added.

Each replaced row is one audit row naming its family, the row (its identity, as the file
names it) and, for each value that changed, the stored value before and the imported one
after. New rows are counted per family, one audit row for each family the import added
to, so a county's first load adds one row per family, not one per score. A summary row
names the files and the counts, as before.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from tracker.files.importing.comparing import Reconciled
from tracker.people.audit import audit_entry

FAMILY = "family_ref"
LONGEST_ID = 120  # the audit row's entity_id column


@dataclass(frozen=True)
class Compared:
    """One kind of row an import compared with the store, and what it found."""

    name: str  # as the counts name it: "scores"
    entity: str  # one row, as the audit trail names it: "domain score"
    identity: tuple[str, ...]
    values: tuple[str, ...]
    result: Reconciled
    stored: pd.DataFrame  # the stored rows: ``id``, then columns named as in the file


def _plain(value):
    """A cell as a plain Python value, with every kind of missing as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _changes(compared: Compared) -> list[tuple[pd.Series, dict, dict]]:
    """Each replaced row, with the values that changed: before (stored) and after."""
    replaced = compared.result.replaced
    if replaced.empty:
        return []
    values = list(compared.values)
    merged = replaced.merge(
        compared.stored[["id", *values]], on="id", how="left", suffixes=("", "__stored")
    )
    changes = []
    for _, row in merged.iterrows():
        before, after = {}, {}
        for column in values:
            old, new = _plain(row[f"{column}__stored"]), _plain(row[column])
            if old != new:
                before[column], after[column] = old, new
        if after:
            changes.append((row, before, after))
    return changes


def import_entries(
    compared: list[Compared],
    family_ids: dict[str, int],
    *,
    actor: str,
    source: str,
    summary: dict,
) -> list[dict]:
    """The audit rows of one import, all at one moment: the summary, each changed row,
    then what was added to each family."""
    at = datetime.now(UTC)
    entries = [
        audit_entry(
            actor=actor,
            action="import",
            entity="import",
            entity_id=source[:LONGEST_ID],
            after=summary,
            at=at,
        )
    ]
    added: dict[str, Counter] = defaultdict(Counter)
    for kind in compared:
        per_family = FAMILY in kind.identity
        if per_family and not kind.result.new.empty:
            for ref, count in kind.result.new.groupby(FAMILY).size().items():
                added[ref][kind.name] += int(count)
        for row, before, after in _changes(kind):
            named_by = [str(_plain(row[column])) for column in kind.identity if column != FAMILY]
            entries.append(
                audit_entry(
                    actor=actor,
                    action="import",
                    entity=kind.entity,
                    entity_id=" · ".join(named_by or [row[FAMILY]])[:LONGEST_ID],
                    family_id=family_ids.get(row[FAMILY]) if per_family else None,
                    before=before,
                    after=after,
                    at=at,
                )
            )
    for ref in sorted(added):
        entries.append(
            audit_entry(
                actor=actor,
                action="import",
                entity="family",
                entity_id=ref,
                family_id=family_ids.get(ref),
                after={"added": dict(added[ref])},
                at=at,
            )
        )
    return entries
