"""The store: settings, the database engine and sessions, the tables and their migrations.

Everything above it reads and writes through these names; only this package knows
whether the database is SQLite or PostgreSQL.
"""

from tracker.store.db import begin_write, make_engine, read_frame, read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.settings import Settings, get_settings

__all__ = [
    "RecordInvalid",
    "Settings",
    "begin_write",
    "get_settings",
    "make_engine",
    "read_frame",
    "read_session",
    "write_session",
]
