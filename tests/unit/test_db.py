"""The store: SQLite tuning, migrations matching the models, and constraints."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from tracker.store import migrate
from tracker.store.db import make_engine, write_session
from tracker.store.models import Assessment, Family


@pytest.mark.sqlite_only
def test_sqlite_connections_are_tuned(engine):
    with engine.connect() as connection:

        def pragma(name):
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30000


@pytest.mark.sqlite_only
def test_busy_timeout_comes_from_settings(database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "1234")
    with make_engine(database_url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_default_store_is_a_sqlite_file_under_data(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from tracker.store.settings import get_settings

    url = get_settings().database_url
    assert url.startswith("sqlite:///") and url.endswith("/data/tracker.db")


def test_migrations_reach_head_and_match_the_models(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent(engine):
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(sa.exc.IntegrityError), write_session(engine) as session:
        session.add(
            Assessment(
                family_id=999,
                instrument="taf-dtt",
                occasion="baseline",
                assessed_on=date(2025, 1, 1),
                rater="worker",
            )
        )


@pytest.mark.parametrize(("column", "value"), [("occasion", "party"), ("rater", "aunt")])
def test_controlled_values_are_checked_by_the_database(engine, column, value):
    with write_session(engine) as session:
        family = Family(
            family_ref="F1",
            area="A",
            tier_of_need="tier 2",
            referral_source="GP",
            referral_date=date(2025, 1, 1),
        )
        session.add(family)
    fields = {"occasion": "baseline", "rater": "worker", column: value}
    with pytest.raises(sa.exc.IntegrityError), write_session(engine) as session:
        session.add(
            Assessment(
                family_id=family.id, instrument="taf-dtt", assessed_on=date(2025, 1, 1), **fields
            )
        )


def test_a_referral_outcome_is_checked_by_the_database_on_every_route(engine):
    """Migration 0010 adds the check without rebuilding ``family``: a trigger on SQLite."""
    with write_session(engine) as session:
        session.add(
            Family(
                family_ref="F1",
                area="A",
                tier_of_need="tier 2",
                referral_source="GP",
                referral_date=date(2025, 1, 1),
                referral_outcome="accepted",
            )
        )
    for statement in (
        sa.update(Family).values(referral_outcome="maybe"),
        sa.insert(Family).values(
            family_ref="F2",
            area="A",
            tier_of_need="tier 2",
            referral_source="GP",
            referral_date=date(2025, 1, 1),
            referral_outcome="maybe",
        ),
    ):
        with pytest.raises(sa.exc.IntegrityError), write_session(engine) as session:
            session.connection().execute(statement)
    with write_session(engine) as session:
        session.connection().execute(sa.update(Family).values(referral_outcome=None))


def test_a_failed_write_session_leaves_nothing_behind(engine):
    with pytest.raises(RuntimeError), write_session(engine) as session:
        session.add(
            Family(
                family_ref="F1",
                area="A",
                tier_of_need="tier 2",
                referral_source="GP",
                referral_date=date(2025, 1, 1),
            )
        )
        session.flush()
        raise RuntimeError("boom")
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(Family.id))).scalar_one() == 0


def test_upgrading_from_the_first_migration_keeps_the_data(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO key_worker (name, background, dedicated) "
                "VALUES ('Ann', 'health', true)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO family (family_ref, area, tier_of_need, referral_source, "
                "referral_date, key_worker_id) "
                "VALUES ('F1', 'North', 'tier 2', 'GP', '2025-01-06', "
                "(SELECT id FROM key_worker WHERE name = 'Ann'))"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO assessment (family_id, instrument, instrument_version, occasion, "
                "assessed_on, rater, entered_at, version) VALUES ((SELECT id FROM family), "
                "'taf-dtt', 1, 'baseline', '2025-02-01', 'worker', '2025-02-01 10:00:00', 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO score (assessment_id, domain, value) VALUES "
                "((SELECT id FROM assessment), 'housing', 4)"
            )
        )
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        family = connection.execute(
            sa.text(
                "SELECT family_ref, closure_note, consent_to_share, referral_outcome, "
                "first_contact_on FROM family"
            )
        ).one()
        score = connection.execute(sa.text("SELECT domain, value FROM score")).one()
    assert tuple(family) == ("F1", None, None, None, None)
    assert tuple(score) == ("housing", 4)
    engine.dispose()


@pytest.mark.postgres_only
def test_postgres_engines_check_connections_and_size_their_pool(database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_DB_POOL_SIZE", "3")
    monkeypatch.setenv("TRACKER_DB_MAX_OVERFLOW", "2")
    engine = make_engine(database_url)
    assert engine.pool._pre_ping is True
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 2)
    engine.dispose()
