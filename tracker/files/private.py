"""Files we write that hold people's records: readable by their owner alone, from the start.

A backup or an export is created empty with mode 600 before any data goes into it, so
there is no moment when another account on the machine could open it. Whatever was at
the path before (an older export, say, made readable by all) is removed first rather than
written through.
"""

from __future__ import annotations

from pathlib import Path

from tracker.store.db import create_owner_only


def fresh_owner_only(path: Path) -> Path:
    """An empty file at ``path`` that only its owner can read or write."""
    path.unlink(missing_ok=True)
    create_owner_only(path)
    return path
