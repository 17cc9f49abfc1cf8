"""Each family's journeys, and the ``journey`` table that keeps them on every write.

The rule that picks a journey's baseline, first review and latest assessment lives here,
in the store, so that every write of an assessment (the records, the importer, a restore)
can recompute its family's rows in the same transaction; the cohort then reads one row per
family and journey instead of working them out from every assessment.

Frames here: ``assessments`` holds ``assessment_id, family_id, occasion, assessed_on,
rater``, already restricted to one instrument and the chosen raters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

import tracker.store.columns  # noqa: F401  (the constraint names, before the table is defined)
from tracker.store.db import read_frame
from tracker.store.vocabulary import DEFAULT_RATERS, RATER_PRECEDENCE

JOURNEY_COLUMNS = [
    "family_id",
    "journey",
    "baseline_id",
    "baseline_on",
    "first_review_id",
    "first_review_on",
    "latest_id",
    "latest_on",
]
PAIR_COLUMNS = [column for column in JOURNEY_COLUMNS if column != "journey"]

# The rater views the table keeps: the cohort's default view and the family's own.
JOURNEY_VIEWS: dict[tuple[str, ...], str] = {
    DEFAULT_RATERS: ",".join(DEFAULT_RATERS),
    ("family",): "family",
}
KEY_COLUMNS = ["family_id", "instrument", "raters", "journey"]
_VALUES = JOURNEY_COLUMNS[2:]
TABLE_COLUMNS = [*KEY_COLUMNS, *_VALUES]
OUT_OF_STEP_COLUMNS = [
    *KEY_COLUMNS,
    *(f"{name}_stored" for name in _VALUES),
    *(f"{name}_fresh" for name in _VALUES),
]
_DATES = ["baseline_on", "first_review_on", "latest_on"]
# Families recomputed at a time: a national cohort's assessments never sit in memory at once.
CHUNK_FAMILIES = 50_000


class Journey(SQLModel, table=True):
    """One family's journey with one instrument in one rater view (see ``journeys``)."""

    __tablename__ = "journey"
    __table_args__ = (
        sa.Index("ix_journey_instrument_raters_journey", "instrument", "raters", "journey"),
    )

    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", primary_key=True)
    instrument: str = Field(max_length=64, primary_key=True)
    raters: str = Field(max_length=20, primary_key=True)
    journey: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    baseline_id: int = Field(foreign_key="assessment.id")
    baseline_on: date
    first_review_id: int | None = Field(default=None, foreign_key="assessment.id")
    first_review_on: date | None = None
    latest_id: int | None = Field(default=None, foreign_key="assessment.id")
    latest_on: date | None = None


# The assessment columns the rule reads, named here so this module needs no other model.
# The date is read as the driver gives it (ISO text on SQLite): ``journeys`` parses a whole
# column at once, faster than converting it a value at a time.
_ASSESSMENT = sa.table(
    "assessment",
    sa.column("id", sa.Integer),
    sa.column("family_id", sa.Integer),
    sa.column("instrument", sa.String),
    sa.column("occasion", sa.String),
    sa.column("assessed_on", sa.String),
    sa.column("rater", sa.String),
)
_READ = ["assessment_id", "family_id", "instrument", "occasion", "assessed_on", "rater"]


def view_of(raters: Iterable[str]) -> str | None:
    """The stored view for these raters, in any order; None when the table keeps no such view."""
    chosen = frozenset(raters)
    return next((view for key, view in JOURNEY_VIEWS.items() if frozenset(key) == chosen), None)


def _ordered(assessments: pd.DataFrame) -> pd.DataFrame:
    """Calendar days decide order and ties, whatever time a caller attached; joint first."""
    return assessments.assign(
        assessed_on=pd.to_datetime(assessments["assessed_on"]).dt.normalize(),
        precedence=assessments["rater"].map(RATER_PRECEDENCE),
    )


def _one_per_journey(later: pd.DataFrame, newest: bool, name: str) -> pd.DataFrame:
    """Per family and journey, the newest (or oldest) assessment after its baseline."""
    return (
        later.sort_values(
            ["family_id", "journey", "assessed_on", "precedence"],
            ascending=[True, True, not newest, True],
        )
        .drop_duplicates(["family_id", "journey"], keep="first")
        .loc[:, ["family_id", "journey", "assessment_id", "assessed_on"]]
        .rename(columns={"assessment_id": f"{name}_id", "assessed_on": f"{name}_on"})
    )


def journeys(assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per family and journey: its baseline, first review and latest assessment.

    Each day with a ``baseline`` assessment starts a journey (the first is journey 1; a
    later one is a re-referral). A journey runs from its baseline to its latest
    assessment of any occasion dated after the baseline and before the next baseline; a
    journey with none is awaiting review and has null review and latest. When two chosen
    raters scored on the same day, the joint rating is taken.
    """
    if assessments.empty:
        return pd.DataFrame(columns=JOURNEY_COLUMNS)
    frame = _ordered(assessments)
    starts = (
        frame[frame["occasion"] == "baseline"]
        .sort_values(["family_id", "assessed_on", "precedence"])
        .drop_duplicates(["family_id", "assessed_on"], keep="first")
        .loc[:, ["family_id", "assessment_id", "assessed_on"]]
        .rename(columns={"assessment_id": "baseline_id", "assessed_on": "baseline_on"})
    )
    starts["journey"] = starts.groupby("family_id").cumcount() + 1
    starts["next_baseline_on"] = starts.groupby("family_id")["baseline_on"].shift(-1)
    later = frame.merge(starts, on="family_id")
    later = later[
        (later["assessed_on"] > later["baseline_on"])
        & (later["next_baseline_on"].isna() | (later["assessed_on"] < later["next_baseline_on"]))
    ]
    found = starts.merge(
        _one_per_journey(later, newest=False, name="first_review"),
        on=["family_id", "journey"],
        how="left",
    ).merge(
        _one_per_journey(later, newest=True, name="latest"), on=["family_id", "journey"], how="left"
    )
    return found.loc[:, JOURNEY_COLUMNS].reset_index(drop=True)


def _among(column, family_ids: list[int]):
    """``column IN (...)`` with the ids written into the SQL as numbers: a county's ids are
    more than SQLite takes as parameters."""
    ids = sa.bindparam("family_ids", value=family_ids, expanding=True, literal_execute=True)
    return column.in_(ids)


def _family_chunks(connection: Connection, family_ids: list[int] | None) -> Iterator[Callable]:
    """The families a chunk at a time, each chunk as a condition on a ``family_id`` column,
    so memory stays flat however many families there are. Every family when None, by
    ranges of their ids."""
    if family_ids is None:
        family = sa.table("family", sa.column("id", sa.Integer))
        family_ids = connection.execute(sa.select(family.c.id).order_by(family.c.id)).scalars()
        family_ids = family_ids.all()
        for start in range(0, len(family_ids), CHUNK_FAMILIES):
            chunk = family_ids[start : start + CHUNK_FAMILIES]
            yield lambda column, low=chunk[0], high=chunk[-1]: column.between(low, high)
        return
    for start in range(0, len(family_ids), CHUNK_FAMILIES):
        chunk = family_ids[start : start + CHUNK_FAMILIES]
        yield lambda column, chunk=chunk: _among(column, chunk)


def _stored_assessments(connection: Connection, condition: Callable) -> pd.DataFrame:
    columns = _ASSESSMENT.c
    statement = sa.select(
        columns.id,
        columns.family_id,
        columns.instrument,
        columns.occasion,
        columns.assessed_on,
        columns.rater,
    ).where(condition(columns.family_id))
    return read_frame(connection, statement, _READ)


def _computed(assessments: pd.DataFrame) -> pd.DataFrame:
    """The table's rows for these assessments: ``journeys`` once per view, every family and
    instrument at once (each family-and-instrument pair stands in for a family)."""
    found = []
    for raters, view in JOURNEY_VIEWS.items():
        chosen = assessments[assessments["rater"].isin(raters)]
        if chosen.empty:
            continue
        pair = chosen.groupby(["family_id", "instrument"], sort=True).ngroup()
        pairs = chosen.loc[:, ["family_id", "instrument"]].assign(pair=pair)
        pairs = pairs.drop_duplicates("pair")
        rows = journeys(chosen.assign(family_id=pair)).rename(columns={"family_id": "pair"})
        rows = rows.merge(pairs, on="pair").assign(raters=view)
        found.append(rows.loc[:, TABLE_COLUMNS])
    if not found:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    return pd.concat(found, ignore_index=True)


def _cells(rows: pd.DataFrame) -> list[list]:
    """Each column as plain Python values (dates as ISO text, which both stores read)."""
    cells = []
    for name in TABLE_COLUMNS:
        values = rows[name]
        if name in _DATES:
            values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
            cells.append(values.astype(object).where(values.notna(), None).tolist())
        elif name in ("instrument", "raters"):
            cells.append(values.astype(str).tolist())
        else:
            cells.append(values.astype("Int64").to_numpy(dtype=object, na_value=None).tolist())
    return cells


def _insert(connection: Connection, rows: pd.DataFrame) -> None:
    """The rows in one bulk write: COPY on PostgreSQL, one ``executemany`` on SQLite."""
    if rows.empty:
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    into = f"{quote(Journey.__tablename__)} ({', '.join(quote(c) for c in TABLE_COLUMNS)})"
    values = zip(*_cells(rows), strict=True)
    if dialect.name == "postgresql":
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {into} FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
        return
    marker = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {into} VALUES ({', '.join([marker] * len(TABLE_COLUMNS))})", list(values)
    )


def refresh_journeys(connection: Connection, family_ids: Iterable[int] | None = None) -> None:
    """Recompute the journey rows of these families (every family when None), every
    instrument and view, inside the caller's transaction.

    Call it after the assessments are written and before the audit record, whose lock it
    must not wait for while holding its own. The rows name their assessments, so one a
    journey names cannot be deleted while the row stands: delete the family's journey
    rows, then the assessment, then refresh.
    """
    ids = None if family_ids is None else sorted({int(i) for i in family_ids})
    if ids == []:
        return
    if connection.dialect.name == "postgresql":
        # Refreshes take turns (readers never wait): a second one then reads the assessments
        # the first committed, instead of writing rows computed without them.
        connection.exec_driver_sql(
            f"LOCK TABLE {Journey.__tablename__} IN SHARE ROW EXCLUSIVE MODE"
        )
    # The foreign keys stay in place, even for a national rebuild: dropping them for speed
    # (about a third faster at 400,000 families) would lock the family and assessment
    # tables against every reader, every page, until the commit.
    if ids is None:
        connection.execute(sa.delete(Journey))
    for condition in _family_chunks(connection, ids):
        rows = _computed(_stored_assessments(connection, condition))
        if ids is not None:
            connection.execute(sa.delete(Journey).where(condition(Journey.family_id)))
        # In the primary key's order, so each insert lands beside the one before.
        _insert(connection, rows.sort_values(KEY_COLUMNS))


def rebuild_journeys(connection: Connection) -> int:
    """Refresh every family's journeys; how many rows the table then holds."""
    refresh_journeys(connection)
    return connection.execute(sa.select(sa.func.count()).select_from(Journey)).scalar_one()


def _by_key(rows: pd.DataFrame) -> dict[tuple, tuple]:
    """Each journey's values by its key, as plain Python values (dates as ISO text)."""
    if rows.empty:
        return {}
    width = len(KEY_COLUMNS)
    return {row[:width]: row[width:] for row in zip(*_cells(rows), strict=True)}


def _out_of_step(stored: pd.DataFrame, fresh: pd.DataFrame) -> list[tuple]:
    stored, fresh = _by_key(stored), _by_key(fresh)
    missing = (None,) * len(_VALUES)
    return [
        (*key, *stored.get(key, missing), *fresh.get(key, missing))
        for key in sorted(stored.keys() | fresh.keys())
        if stored.get(key) != fresh.get(key)
    ]


def journeys_out_of_step(connection: Connection) -> pd.DataFrame:
    """The journeys where the table and a fresh computation from the assessments differ:
    one row per journey key, each value as ``<name>_stored`` and ``<name>_fresh`` (None on
    the side that lacks the row; dates as ISO text). Empty when the table is in step."""
    table = Journey.__table__
    found = []
    for condition in _family_chunks(connection, None):
        stored = sa.select(*table.c).where(condition(table.c.family_id))
        found += _out_of_step(
            read_frame(connection, stored, list(table.c.keys())),
            _computed(_stored_assessments(connection, condition)),
        )
    whole = [name for name in OUT_OF_STEP_COLUMNS if name.endswith("_id") or name == "journey"]
    return pd.DataFrame(found, columns=OUT_OF_STEP_COLUMNS).astype(dict.fromkeys(whole, "Int64"))
