"""What the journeys read straight from the server's database, to check the pages against it.

Every figure a journey expects on screen comes from here (or from the ``tracker`` CLI),
computed afresh from the same database the server writes, never typed into the test.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from tracker.cli import main as tracker_cli
from tracker.measures.caseload import caseload
from tracker.measures.journey import family_scores
from tracker.people.access import Viewer
from tracker.records.families import family_by_ref
from tracker.store.db import make_engine
from tracker.store.models import AppUser, Assessment, AuditLog, Family


@dataclass
class Store:
    database_url: str

    def __post_init__(self) -> None:
        self.engine = make_engine(self.database_url)

    def close(self) -> None:
        self.engine.dispose()

    def viewer(self, username: str) -> Viewer:
        with self.engine.connect() as connection:
            user = connection.execute(sa.select(AppUser).where(AppUser.username == username)).one()
        return Viewer(
            name=user.display_name,
            role=user.role,
            key_worker_id=user.key_worker_id,
            user_id=user.id,
            username=user.username,
        )

    def caseload(self, username: str) -> pd.DataFrame:
        with self.engine.connect() as connection:
            return caseload(connection, self.viewer(username), today=date.today())

    def family_id(self, family_ref: str) -> int:
        with self.engine.connect() as connection:
            return family_by_ref(connection, family_ref).id

    def downloads(self, actor: str) -> list[tuple[str, int | None]]:
        """What the audit trail says this person downloaded: (what, family id), oldest first."""
        with self.engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    sa.select(AuditLog.entity_id, AuditLog.family_id)
                    .where(AuditLog.entity == "download", AuditLog.actor == actor)
                    .order_by(AuditLog.id)
                )
            ]

    def assessments(self, family_ref: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count(Assessment.id))
                .join(Family, Family.id == Assessment.family_id)
                .where(Family.family_ref == family_ref)
            ).scalar_one()

    def families_named(self, family_ref: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count(Family.id)).where(Family.family_ref == family_ref)
            ).scalar_one()

    def latest_values(self, family_ref: str, instrument: str) -> dict[str, float | None]:
        """The domain values of the family's latest worker or joint assessment."""
        with self.engine.connect() as connection:
            scores = family_scores(connection, self.family_id(family_ref), instrument)
        scores = scores[scores["rater"].isin(["worker", "joint"])]
        if scores.empty:
            return {}
        latest = scores[scores["assessed_on"] == scores["assessed_on"].max()]
        latest = latest[latest["assessment_id"] == latest["assessment_id"].max()]
        return {
            row.domain: None if pd.isna(row.value) else float(row.value)
            for row in latest.itertuples(index=False)
        }

    def instruments_used(self, family_ref: str) -> set[str]:
        with self.engine.connect() as connection:
            return set(
                connection.execute(
                    sa.select(Assessment.instrument)
                    .join(Family, Family.id == Assessment.family_id)
                    .where(Family.family_ref == family_ref)
                ).scalars()
            )


def cohort_figures(database_url: str, monkeypatch, **options: str) -> dict:
    """``tracker cohort --json`` on the server's database, the CLI's own figures."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TRACKER_MIN_GROUP", raising=False)
    arguments = ["cohort", "--json"]
    for name, value in options.items():
        arguments += [f"--{name.replace('_', '-')}", value]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert tracker_cli(arguments) == 0
    return json.loads(out.getvalue())
