"""Writing what an import decided, in bulk, inside its one transaction.

Rows arrive named as the files name them; each kind's table says which of its columns
are stored in its own table and under what name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.files.canonical import FileKind
from tracker.instruments.loader import load_instruments
from tracker.store.models import Assessment


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as plain Python values, with every missing value as None."""
    subset = frame[columns].astype(object)
    subset = subset.where(subset.notna(), None)
    return subset.to_dict("records")


def insert(connection: Connection, table, frame: pd.DataFrame, columns: list[str]) -> None:
    """Insert the rows in bulk (``executemany``, or COPY on PostgreSQL), a column at a time.

    Values go through each column type's own bind processor and Python-side defaults
    are filled in, so what is stored is what ``sa.insert`` would store; building a
    dict per row and converting value by value took most of a county import's writing.
    One batch is one moment, so a callable default (``entered_at``) is called once.
    """
    if frame.empty:
        return
    dialect = connection.dialect
    target = table.__table__
    cells = {}
    for name in columns:
        values = frame[name]
        if isinstance(target.c[name].type, sa.Integer) and pd.api.types.is_float_dtype(values):
            # A blank makes pandas hold whole numbers as floats; COPY refuses "1.0".
            values = values.astype("Int64")
        values = values.astype(object)
        values = values.where(values.notna(), None).tolist()
        process = target.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        cells[name] = [process(value) for value in values] if process else values
    for column in target.c:
        default = column.default
        if column.name in cells or default is None:
            continue
        value = default.arg(None) if default.is_callable else default.arg
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        cells[column.name] = [process(value) if process else value] * len(frame)
    quote = dialect.identifier_preparer.quote
    into = f"{quote(target.name)} ({', '.join(quote(name) for name in cells)})"
    rows = zip(*cells.values(), strict=True)
    if dialect.name == "postgresql":
        _copy(connection, into, rows, blank=any("" in values for values in cells.values()))
        return
    marker = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {into} VALUES ({', '.join([marker] * len(cells))})", list(rows)
    )


def _copy(connection: Connection, into: str, rows, *, blank: bool) -> None:
    """COPY, PostgreSQL's bulk load: the rows as one block of CSV text, where an empty
    cell is NULL. With an empty text among the values, row by row, which tells them apart."""
    with connection.connection.cursor() as cursor:
        if blank:
            with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        with cursor.copy(f"COPY {into} FROM STDIN (FORMAT csv)") as copy:
            copy.write(text.getvalue())


def insert_assessments(connection: Connection, new: pd.DataFrame, family_ids: dict) -> None:
    """New assessments (named as the files name them), each at its instrument's version."""
    versions = {key: spec.version for key, spec in load_instruments().items()}
    new = new.assign(
        family_id=new["family_ref"].map(family_ids),
        instrument_version=new["instrument"].map(versions),
    )
    columns = ["family_id", "instrument", "instrument_version", "occasion", "assessed_on", "rater"]
    insert(connection, Assessment, new, columns)


def update(connection: Connection, table, frame: pd.DataFrame, columns: list[str]) -> None:
    if frame.empty:
        return
    statement = (
        sa.update(table)
        .where(table.__table__.c.id == sa.bindparam("row_id"))
        .values({column: sa.bindparam(f"new_{column}") for column in columns})
    )
    renamed = frame.rename(columns={"id": "row_id", **{c: f"new_{c}" for c in columns}})
    connection.execute(statement, _records(renamed, ["row_id", *[f"new_{c}" for c in columns]]))


def insert_rows(
    connection: Connection, kind: FileKind, frame: pd.DataFrame, links: Sequence[str] = ()
) -> None:
    """A kind's new rows: the ids that link them (``family_id``...), then its own columns."""
    own = kind.own_columns
    insert(connection, kind.table, frame.rename(columns=own), [*links, *own.values()])


def update_rows(
    connection: Connection, kind: FileKind, frame: pd.DataFrame, links: Sequence[str] = ()
) -> None:
    """A kind's replaced rows, by their stored ``id``: the links and the values it may change."""
    own = kind.own_columns
    values = [own[column] for column in kind.values if column in own]
    update(connection, kind.table, frame.rename(columns=own), [*links, *values])
