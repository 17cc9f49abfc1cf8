"""What an import writes in the audit trail: every value it changed, and what it added.

Each replaced row is one audit row naming its family, the row (its identity, as the file
names it) and, for each value that changed, the stored value before and the imported one
after. New rows are counted per family, one audit row for each family the import added
to, so a county's first load adds one row per family, not one per score. A summary row
names the files and the counts, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
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


class AuditTally:
    """What the audit trail will say of an import, gathered as each comparison is made, so a
    file compared a chunk at a time keeps only the changed rows and counts per family."""

    def __init__(self):
        # New rows per family and kind, a small frame per comparison (a dict of counters
        # per family took hundreds of megabytes for a national register).
        self.added: list[pd.DataFrame] = []
        # Each changed row: its entity, how it is named, its family (or None), before, after.
        self.changes: list[tuple[str, str, str | None, dict, dict]] = []

    def take(self, kind: Compared) -> None:
        per_family = FAMILY in kind.identity
        if per_family and not kind.result.new.empty:
            counts = kind.result.new.groupby(FAMILY).size()
            self.added.append(pd.DataFrame({"kind": kind.name, "count": counts}))
        for row, before, after in _changes(kind):
            named_by = [str(_plain(row[column])) for column in kind.identity if column != FAMILY]
            entity_id = " · ".join(named_by or [row[FAMILY]])[:LONGEST_ID]
            family = row[FAMILY] if per_family else None
            self.changes.append((kind.entity, entity_id, family, before, after))


def import_entries(
    tally: AuditTally,
    family_ids: dict[str, int],
    *,
    actor: str,
    source: str,
    summary: dict,
) -> Iterator[dict]:
    """The audit rows of one import, all at one moment: the summary, each changed row,
    then what was added to each family (made as they are stored, not all held at once)."""
    at = datetime.now(UTC)
    yield audit_entry(
        actor=actor,
        action="import",
        entity="import",
        entity_id=source[:LONGEST_ID],
        after=summary,
        at=at,
    )
    for entity, entity_id, family, before, after in tally.changes:
        yield audit_entry(
            actor=actor,
            action="import",
            entity=entity,
            entity_id=entity_id,
            family_id=None if family is None else family_ids.get(family),
            before=before,
            after=after,
            at=at,
        )
    if not tally.added:
        return
    added = pd.concat(tally.added).groupby([FAMILY, "kind"], sort=False)["count"].sum()
    kinds = list(dict.fromkeys(added.index.get_level_values("kind")))
    table = added.unstack("kind").reindex(columns=kinds).sort_index()
    for ref, counts in zip(table.index, table.itertuples(index=False), strict=True):
        yield audit_entry(
            actor=actor,
            action="import",
            entity="family",
            entity_id=ref,
            family_id=family_ids.get(ref),
            after={"added": {k: int(n) for k, n in zip(kinds, counts, strict=True) if n == n}},
            at=at,
        )
