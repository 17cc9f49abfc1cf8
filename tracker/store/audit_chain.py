"""The audit trail's hash chain: what one row's hash covers, written down once.

Each audit row stores the hash of its own content together with the hash of the row
before it, so changing, deleting or reordering a stored row breaks the chain from that
row on. The migration that added the chain and the code that writes and checks it all
hash through ``row_hash``; changing what it covers would break every stored chain.

The content is serialised so that it reads back identically from SQLite and PostgreSQL:
the time in UTC to the microsecond (SQLite hands back a naive time, stored as UTC;
PostgreSQL an aware one), and ``before``/``after`` as the JSON text that was stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

# The "previous hash" of the first row.
GENESIS = "0" * 64
# What a row's hash covers, in this order.
CONTENT = ("at", "actor", "action", "entity", "entity_id", "family_id", "before", "after")


def utc_text(moment: datetime) -> str:
    """A moment as UTC text with fixed precision; a naive time is taken to be UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(previous: str, row: Mapping) -> str:
    """The SHA-256 of the previous row's hash and this row's content, as hex."""
    content = [previous, utc_text(row["at"]), *(row[name] for name in CONTENT[1:])]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
