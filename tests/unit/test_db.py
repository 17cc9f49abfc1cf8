"""The store: SQLite tuning, migrations matching the models, and constraints."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from tracker import migrate
from tracker.db import make_engine, write_session
from tracker.models import Assessment, Family


def test_sqlite_connections_are_tuned(engine):
    with engine.connect() as connection:

        def pragma(name):
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30000


def test_busy_timeout_comes_from_settings(database_url, monkeypatch):
    monkeypatch.setenv("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "1234")
    with make_engine(database_url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_default_store_is_a_sqlite_file_under_data(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from tracker.settings import get_settings

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
