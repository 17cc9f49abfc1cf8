"""What every table module shares: the constraint naming convention, how a check on a
controlled value or a score range is written, and the longest a text column holds."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel

# Named constraints let Alembic's batch mode rebuild SQLite tables reliably.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def utc_now() -> datetime:
    return datetime.now(UTC)


def longest(column: sa.orm.InstrumentedAttribute) -> int:
    """The most characters a text column holds: forms, checks and the importer ask here,
    so a limit changes in the model alone."""
    return column.type.length


def score_between(column: str, low: int, high: int) -> str:
    return f"{column} IS NULL OR {column} BETWEEN {low} AND {high}"
