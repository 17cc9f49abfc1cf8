"""Settings in one place, read from the environment.

Everything that differs between a laptop demo and a county deployment is read
here, so no other module looks at ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STORE_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = STORE_DIR.parent
PROJECT_ROOT = PACKAGE_DIR.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    instruments_dir: Path
    min_group: int
    sqlite_busy_timeout_ms: int
    pseudonym_key: str | None
    environment: str
    pool_size: int
    max_overflow: int


def default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'data' / 'tracker.db'}"


def get_settings() -> Settings:
    """Read the settings afresh, so tests can change the environment between calls."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or default_database_url(),
        instruments_dir=Path(
            os.environ.get("TRACKER_INSTRUMENTS_DIR") or PACKAGE_DIR / "instruments"
        ),
        min_group=int(os.environ.get("TRACKER_MIN_GROUP", "5")),
        sqlite_busy_timeout_ms=int(os.environ.get("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "30000")),
        # The secret behind pseudonymised references; it is never exported.
        pseudonym_key=os.environ.get("TRACKER_PSEUDONYM_KEY") or None,
        environment=os.environ.get("TRACKER_ENV", "development"),
        # Per app process. Keep replicas x (pool_size + max_overflow) under the server's
        # max_connections (see docs/deploy.md).
        pool_size=int(os.environ.get("TRACKER_DB_POOL_SIZE", "5")),
        max_overflow=int(os.environ.get("TRACKER_DB_MAX_OVERFLOW", "5")),
    )
