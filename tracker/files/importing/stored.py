"""What is stored already, read in the files' own terms.

Each reader gives the stored rows of one kind with their ids, their columns named as the
file names them, so incoming and stored rows compare column for column.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.files.canonical import ASSESSMENT_IDENTITY, ASSESSMENT_VALUES, SCORES, FileKind
from tracker.store.db import read_frame
from tracker.store.models import Assessment, Family


def stored_rows(
    connection: Connection, kind: FileKind, *, where: sa.ColumnElement | None = None
) -> pd.DataFrame:
    """Every stored row of a kind (or those ``where`` picks): its id, identity and values."""
    columns = [*kind.identity, *kind.values]
    statement = kind.select(kind.table.id, *(kind.fields[column] for column in columns))
    if where is not None:
        statement = statement.where(where)
    return read_frame(connection, statement, ["id", *columns])


def stored_assessments(
    connection: Connection, instruments: Iterable[str] | None = None
) -> pd.DataFrame:
    """The stored assessments of these instruments (of every one, for None): id, identity
    and occasion."""
    columns = [*ASSESSMENT_IDENTITY, *ASSESSMENT_VALUES]
    statement = (
        sa.select(Assessment.id, *(SCORES.fields[column] for column in columns))
        .select_from(Assessment)
        .join(Family)
    )
    if instruments is not None:
        statement = statement.where(Assessment.instrument.in_(list(instruments)))
    return read_frame(connection, statement, ["id", *columns])
