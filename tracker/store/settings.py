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
# The longest a self-rating link may last, in days, whatever TRACKER_INVITE_DAYS says.
MAX_EXPIRES_DAYS = 60


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
    # Sessions and sign-in (docs/security.md).
    idle_timeout_minutes: int
    session_max_hours: int
    sign_in_attempts_per_client: int
    sign_in_window_minutes: int
    # Uploads: every refusal names the file and the limit (docs/security.md).
    upload_max_mb: int
    zip_max_members: int
    zip_max_unpacked_mb: int
    zip_max_ratio: int
    import_max_rows: int
    import_max_columns: int
    import_max_problems: int
    # The instrument the cohort page opens on; unset, the one with most families.
    main_instrument: str | None
    # Self-rating links (docs/security.md): the address families open, how long a link
    # lasts, and the limits every app server shares.
    public_url: str
    invite_days: int
    invite_tries_per_client: int
    invite_tries_per_link: int
    invite_window_minutes: int


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
        idle_timeout_minutes=int(os.environ.get("TRACKER_IDLE_TIMEOUT_MINUTES", "30")),
        session_max_hours=int(os.environ.get("TRACKER_SESSION_MAX_HOURS", "12")),
        sign_in_attempts_per_client=int(os.environ.get("TRACKER_SIGN_IN_ATTEMPTS", "20")),
        sign_in_window_minutes=int(os.environ.get("TRACKER_SIGN_IN_WINDOW_MINUTES", "15")),
        upload_max_mb=int(os.environ.get("TRACKER_UPLOAD_MAX_MB", "200")),
        # A workbook is a zip too: one with many tabs and comments has a hundred parts.
        zip_max_members=int(os.environ.get("TRACKER_ZIP_MAX_MEMBERS", "200")),
        zip_max_unpacked_mb=int(os.environ.get("TRACKER_ZIP_MAX_UNPACKED_MB", "200")),
        zip_max_ratio=int(os.environ.get("TRACKER_ZIP_MAX_RATIO", "100")),
        # Rows of one workbook sheet (Excel's grid ends at 1,048,576). A CSV file is held
        # to its size instead, so a national import of millions of rows is not refused.
        import_max_rows=int(os.environ.get("TRACKER_IMPORT_MAX_ROWS", "1048576")),
        import_max_columns=int(os.environ.get("TRACKER_IMPORT_MAX_COLUMNS", "200")),
        import_max_problems=int(os.environ.get("TRACKER_IMPORT_MAX_PROBLEMS", "1000")),
        main_instrument=os.environ.get("TRACKER_MAIN_INSTRUMENT") or None,
        public_url=os.environ.get("TRACKER_PUBLIC_URL") or "http://localhost:8501",
        invite_days=int(os.environ.get("TRACKER_INVITE_DAYS", "14")),
        # Refused tries (a wrong, used or cancelled link) from one address: guessing.
        invite_tries_per_client=int(os.environ.get("TRACKER_INVITE_TRIES_PER_CLIENT", "20")),
        # Every use of one link, draft saves included: a rating of 22 areas with some
        # going back takes about 60.
        invite_tries_per_link=int(os.environ.get("TRACKER_INVITE_TRIES_PER_LINK", "200")),
        invite_window_minutes=int(os.environ.get("TRACKER_INVITE_WINDOW_MINUTES", "15")),
    )
