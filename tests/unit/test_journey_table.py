"""The ``journey`` table: after every write it holds exactly what ``journeys`` computes from
the stored assessments, on both stores. The expected rows are computed the plain way, one
instrument and one rater view at a time, and key ids are also worked out by hand."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from tests.unit.helpers import new_family
from tracker.files.backup import backup, restore
from tracker.instruments.loader import get_instrument
from tracker.measures.scoring import journeys
from tracker.records.assessments import AssessmentDraft, VersionConflict, save_assessment
from tracker.store import journeys as journey_store
from tracker.store import migrate
from tracker.store.db import begin_write, make_engine, write_session
from tracker.store.journeys import (
    JOURNEY_VIEWS,
    Journey,
    journeys_out_of_step,
    rebuild_journeys,
    refresh_journeys,
    view_of,
)
from tracker.store.models import Assessment, Family

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")
TODAY = date(2025, 12, 1)
COLUMNS = [
    "family_id",
    "instrument",
    "raters",
    "journey",
    "baseline_id",
    "baseline_on",
    "first_review_id",
    "first_review_on",
    "latest_id",
    "latest_on",
]


def plain(value):
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp | date):
        return pd.Timestamp(value).date()
    return value if isinstance(value, str) else int(value)


def stored_rows(connection) -> list[tuple]:
    rows = connection.execute(sa.select(*Journey.__table__.c)).all()
    return sorted(tuple(plain(value) for value in row) for row in rows)


def expected_rows(connection) -> list[tuple]:
    """``journeys`` called as the cohort calls it: per instrument, per rater view."""
    assessments = pd.DataFrame(
        connection.execute(
            sa.select(
                Assessment.id.label("assessment_id"),
                Assessment.family_id,
                Assessment.instrument,
                Assessment.occasion,
                Assessment.assessed_on,
                Assessment.rater,
            )
        ).all(),
        columns=["assessment_id", "family_id", "instrument", "occasion", "assessed_on", "rater"],
    )
    rows = []
    for instrument in assessments["instrument"].unique():
        for raters, view in JOURNEY_VIEWS.items():
            chosen = assessments[
                (assessments["instrument"] == instrument) & assessments["rater"].isin(raters)
            ].drop(columns="instrument")
            found = journeys(chosen).assign(instrument=instrument, raters=view)
            rows += [tuple(plain(value) for value in row) for row in found[COLUMNS].values]
    return sorted(rows)


def assert_in_step(engine) -> list[tuple]:
    with engine.connect() as connection:
        stored = stored_rows(connection)
        assert stored == expected_rows(connection)
        assert journeys_out_of_step(connection).empty
    return stored


def save(engine, family_id: int, instrument=TAF, assessment_id=None, version=None, **fields):
    values = {
        "family_id": family_id,
        "instrument": instrument.key,
        "occasion": "baseline",
        "assessed_on": date(2025, 2, 1),
        "rater": "worker",
        "values": dict.fromkeys(instrument.domain_keys, 3.0),
    } | fields
    with write_session(engine) as session:
        return save_assessment(
            session,
            AssessmentDraft(**values),
            instrument=instrument,
            entered_by="Ann",
            today=TODAY,
            assessment_id=assessment_id,
            expected_version=version,
        )


def row_of(rows: list[tuple], family_id: int, instrument: str, raters: str, journey: int):
    return next(row for row in rows if row[:4] == (family_id, instrument, raters, journey))


def ends(row: tuple) -> tuple:
    """A row's baseline, first review and latest ids."""
    return row[4], row[6], row[8]


WORKER = JOURNEY_VIEWS[("worker", "joint")]


def test_views_are_named_whatever_order_the_raters_come_in():
    assert view_of(("joint", "worker")) == view_of(["worker", "joint"]) == "worker,joint"
    assert view_of(("family",)) == "family"
    assert view_of(("worker",)) is None
    assert view_of(("worker", "joint", "family")) is None


def test_every_save_keeps_the_family_journeys_in_step(engine):
    family = new_family(engine)
    other = new_family(engine, "F2")
    baseline = save(engine, family)
    rows = assert_in_step(engine)
    # Awaiting review: no first review, no latest.
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 1)) == (baseline, None, None)

    review = save(engine, family, occasion="review", assessed_on=date(2025, 4, 1), rater="joint")
    later = save(engine, family, occasion="review", assessed_on=date(2025, 6, 1))
    rows = assert_in_step(engine)
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 1)) == (baseline, review, later)

    # The later review is moved before the first: the order, so first and latest, swap.
    save(
        engine,
        family,
        assessment_id=later,
        version=1,
        occasion="review",
        assessed_on=date(2025, 3, 1),
    )
    rows = assert_in_step(engine)
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 1)) == (baseline, later, review)

    # The family's own view is a journey of its own; the worker's view is unchanged.
    own = save(engine, family, rater="family")
    rows = assert_in_step(engine)
    assert ends(row_of(rows, family, "taf-dtt", "family", 1)) == (own, None, None)
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 1)) == (baseline, later, review)

    # Another instrument, and another family: their own rows; F1's TAF rows stay.
    star = save(engine, family, instrument=STAR)
    other_baseline = save(engine, other, assessed_on=date(2025, 3, 3))
    rows = assert_in_step(engine)
    assert ends(row_of(rows, family, STAR.key, WORKER, 1)) == (star, None, None)
    assert ends(row_of(rows, other, "taf-dtt", WORKER, 1)) == (other_baseline, None, None)
    assert len(rows) == 4


def test_a_re_referral_baseline_starts_journey_two(engine):
    family = new_family(engine)
    baseline = save(engine, family)
    review = save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    with begin_write(engine) as connection:
        connection.execute(
            sa.update(Family).where(Family.id == family).values(re_referred_on=date(2025, 7, 1))
        )
    again = save(engine, family, assessed_on=date(2025, 7, 10))
    again_review = save(engine, family, occasion="review", assessed_on=date(2025, 9, 1))
    rows = assert_in_step(engine)
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 1)) == (baseline, review, review)
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 2)) == (again, again_review, again_review)
    assert len(rows) == 2


def test_a_refused_save_leaves_the_table_as_it_was(engine):
    family = new_family(engine)
    save(engine, family)
    review = save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    before = assert_in_step(engine)
    with pytest.raises(VersionConflict):
        save(
            engine,
            family,
            assessment_id=review,
            version=7,
            occasion="review",
            assessed_on=date(2025, 5, 1),
        )
    assert assert_in_step(engine) == before


def test_deleting_a_family_deletes_its_journeys(engine):
    family = new_family(engine)
    other = new_family(engine, "F2")
    save(engine, family)
    save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    save(engine, other)
    with begin_write(engine) as connection:
        connection.execute(sa.delete(Family).where(Family.id == family))
    rows = assert_in_step(engine)
    assert [row[0] for row in rows] == [other]


def test_refresh_recomputes_only_the_families_named(engine):
    family = new_family(engine)
    other = new_family(engine, "F2")
    baseline = save(engine, family)
    save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    save(engine, other)
    save(engine, other, occasion="review", assessed_on=date(2025, 4, 1))
    tampered = sa.update(Journey).values(latest_id=baseline)
    with begin_write(engine) as connection:
        connection.execute(tampered)
        refresh_journeys(connection, [other])
        out = journeys_out_of_step(connection)
        assert out["family_id"].tolist() == [family]
        refresh_journeys(connection, [])  # nothing named, nothing done
        assert out["family_id"].tolist() == journeys_out_of_step(connection)["family_id"].tolist()
        refresh_journeys(connection, [family, family])
    assert_in_step(engine)


def test_a_tampered_row_is_reported_and_rebuild_repairs_it(engine):
    family = new_family(engine)
    baseline = save(engine, family)
    review = save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    save(engine, family, instrument=STAR)
    with begin_write(engine) as connection:
        # The attack: latest points back at the baseline, so the change would read as none.
        connection.execute(
            sa.update(Journey).where(Journey.instrument == "taf-dtt").values(latest_id=baseline)
        )
        out = journeys_out_of_step(connection)
        assert len(out) == 1
        row = out.iloc[0]
        assert (row["family_id"], row["instrument"], row["raters"], row["journey"]) == (
            family,
            "taf-dtt",
            WORKER,
            1,
        )
        assert (row["latest_id_stored"], row["latest_id_fresh"]) == (baseline, review)
        # A row gone, and a row nobody computed, are reported too.
        connection.execute(sa.delete(Journey).where(Journey.instrument == STAR.key))
        connection.execute(
            sa.insert(Journey).values(
                family_id=family,
                instrument="taf-dtt",
                raters=WORKER,
                journey=2,
                baseline_id=review,
                baseline_on=date(2025, 4, 1),
            )
        )
        out = journeys_out_of_step(connection).sort_values(["instrument", "journey"])
        assert list(zip(out["instrument"], out["journey"], strict=True)) == [
            (STAR.key, 1),
            ("taf-dtt", 1),
            ("taf-dtt", 2),
        ]
        assert out["baseline_id_stored"].isna().tolist() == [True, False, False]
        assert out["baseline_id_fresh"].isna().tolist() == [False, False, True]
        assert rebuild_journeys(connection) == 2
    assert len(assert_in_step(engine)) == 2


@pytest.mark.parametrize("chunk", [7, journey_store.CHUNK_FAMILIES])
def test_the_vectorised_refresh_matches_journeys_over_the_whole_sample(
    sample_engine, monkeypatch, chunk
):
    # Chunks of 7 families: the sample's families span many chunks, on every path.
    monkeypatch.setattr(journey_store, "CHUNK_FAMILIES", chunk)
    with begin_write(sample_engine) as connection:
        count = rebuild_journeys(connection)
    rows = assert_in_step(sample_engine)
    assert count == len(rows) > 100
    assert {row[2] for row in rows} == set(JOURNEY_VIEWS.values())
    assert max(row[3] for row in rows) >= 2  # the sample has re-referrals
    with begin_write(sample_engine) as connection:
        connection.execute(
            sa.update(Journey)
            .where(Journey.latest_id.is_not(None))
            .values(latest_id=Journey.baseline_id)
        )
        assert len(journeys_out_of_step(connection)) == sum(row[8] is not None for row in rows)
        families = connection.execute(sa.select(Family.id)).scalars().all()
        refresh_journeys(connection, reversed(families))
    assert assert_in_step(sample_engine) == rows


def test_the_migration_fills_the_table_from_what_was_stored(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0010")
    with begin_write(engine) as connection:
        family_id = connection.execute(
            sa.insert(Family)
            .values(
                family_ref="F1",
                area="A",
                tier_of_need="tier 2",
                referral_source="GP",
                referral_date=date(2025, 1, 1),
            )
            .returning(Family.id)
        ).scalar_one()
        ids = [
            connection.execute(
                sa.insert(Assessment)
                .values(
                    family_id=family_id,
                    instrument="taf-dtt",
                    occasion=occasion,
                    assessed_on=day,
                    rater=rater,
                    entered_at=pd.Timestamp("2025-01-01", tz="UTC").to_pydatetime(),
                )
                .returning(Assessment.id)
            ).scalar_one()
            for occasion, day, rater in [
                ("baseline", date(2025, 2, 1), "worker"),
                ("baseline", date(2025, 2, 1), "joint"),
                ("review", date(2025, 5, 1), "worker"),
                ("baseline", date(2025, 2, 3), "family"),
            ]
        ]
    migrate.upgrade(engine)
    rows = assert_in_step(engine)
    # Joint wins the baseline day; the family's own view is its own journey.
    assert [(row[2], *ends(row)) for row in rows] == [
        ("family", ids[3], None, None),
        (WORKER, ids[1], ids[2], ids[2]),
    ]
    engine.dispose()


def test_a_restore_leaves_the_table_in_step(engine, tmp_path: Path, request):
    family = new_family(engine)
    baseline = save(engine, family)
    save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    with begin_write(engine) as connection:
        connection.execute(sa.update(Journey).values(latest_id=baseline))
    copy = backup(engine, tmp_path / "copy.backup")
    if engine.dialect.name == "sqlite":
        target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        target_url, name = server.new_database()
        request.addfinalizer(lambda: server.drop_database(name))
    target = make_engine(target_url)
    assert restore(target, copy)
    restored = assert_in_step(target)
    target.dispose()
    with begin_write(engine) as connection:
        assert not journeys_out_of_step(connection).empty
        rebuild_journeys(connection)
    assert assert_in_step(engine) == restored


def test_a_rebuild_leaves_the_schema_and_its_foreign_keys_as_they_were(engine):
    family = new_family(engine)
    baseline = save(engine, family)
    save(engine, family, occasion="review", assessed_on=date(2025, 4, 1))
    with begin_write(engine) as connection:
        assert rebuild_journeys(connection) == 1
        refresh_journeys(connection, [family])
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    with pytest.raises(sa.exc.IntegrityError), begin_write(engine) as connection:
        connection.execute(sa.delete(Assessment).where(Assessment.id == baseline))
    with begin_write(engine) as connection:
        connection.execute(sa.delete(Family).where(Family.id == family))
    assert assert_in_step(engine) == []


def test_two_saves_for_one_family_at_once_both_count(engine):
    family = new_family(engine)
    baseline = save(engine, family)
    second, failed = [], []

    def save_the_second() -> None:
        try:
            second.append(save(engine, family, occasion="review", assessed_on=date(2025, 5, 1)))
        except Exception as error:
            failed.append(error)

    thread = threading.Thread(target=save_the_second)
    with write_session(engine) as session:
        first = save_assessment(
            session,
            AssessmentDraft(
                family_id=family,
                instrument=TAF.key,
                occasion="review",
                assessed_on=date(2025, 4, 1),
                rater="worker",
                values=dict.fromkeys(TAF.domain_keys, 3.0),
            ),
            instrument=TAF,
            entered_by="Ann",
            today=TODAY,
        )
        thread.start()
        thread.join(timeout=1.0)
        # The second save waits for this one's transaction, then reads what it committed.
        assert thread.is_alive()
    thread.join()
    assert failed == []
    rows = assert_in_step(engine)
    assert ends(row_of(rows, family, "taf-dtt", WORKER, 1)) == (baseline, first, second[0])
