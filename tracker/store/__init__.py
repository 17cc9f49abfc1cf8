"""The store: settings, the database engine and sessions, the tables and their migrations.

Everything above it reads and writes through these names; only this package knows
whether the database is SQLite or PostgreSQL. The names are loaded on first use, so
that importing a light submodule (the vocabulary, say) does not load pandas and
SQLAlchemy: ``tracker --help`` imports this package and must start at once.
"""

from importlib import import_module

# Each re-exported name, and the submodule that defines it.
_HOMES = {
    "begin_write": "tracker.store.db",
    "make_engine": "tracker.store.db",
    "read_frame": "tracker.store.db",
    "read_session": "tracker.store.db",
    "write_session": "tracker.store.db",
    "RecordInvalid": "tracker.store.errors",
    "Settings": "tracker.store.settings",
    "get_settings": "tracker.store.settings",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
