"""Headline counts of what the store holds, for the home page."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.store.models import Assessment, Family, KeyWorker


def service_overview(connection: Connection) -> dict[str, int]:
    def count(statement) -> int:
        return int(connection.execute(statement).scalar_one())

    return {
        "families": count(sa.select(sa.func.count(Family.id))),
        "open_families": count(
            sa.select(sa.func.count(Family.id)).where(Family.closed_on.is_(None))
        ),
        "key_workers": count(sa.select(sa.func.count(KeyWorker.id))),
        "assessments": count(sa.select(sa.func.count(Assessment.id))),
    }
