"""What the audit trail's rows need to be read as sentences: the names behind its ids.

A row stores who acted by username and what changed by id (a user, a key worker, a
family, a goal). ``tracker.render.history_text`` turns rows into sentences with these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.store.models import AppUser, Family, KeyWorker, PlanGoal


@dataclass(frozen=True)
class AuditNames:
    """People by username and by account id, families, key workers and goals by id.

    ``families`` is empty when every row is about one family already in view, so the
    sentences need not name it each time.
    """

    people: Mapping[str, str] = field(default_factory=dict)
    accounts: Mapping[str, str] = field(default_factory=dict)
    families: Mapping[int, str] = field(default_factory=dict)
    key_workers: Mapping[int, str] = field(default_factory=dict)
    goals: Mapping[str, str] = field(default_factory=dict)
    instruments: Mapping[str, Instrument] = field(default_factory=dict)


def audit_names(
    connection: Connection, instruments: Mapping[str, Instrument], *, family_id: int | None = None
) -> AuditNames:
    """The names for every row of the trail, or (``family_id``) for one family's rows."""
    users = connection.execute(sa.select(AppUser.id, AppUser.username, AppUser.display_name))
    people, accounts = {}, {}
    for user_id, username, display_name in users:
        people[username] = accounts[str(user_id)] = display_name or username
    goals = sa.select(PlanGoal.id, PlanGoal.text)
    families = {}
    if family_id is None:
        families = dict(connection.execute(sa.select(Family.id, Family.family_ref)).all())
    else:
        goals = goals.where(PlanGoal.family_id == family_id)
    return AuditNames(
        people=people,
        accounts=accounts,
        families=families,
        key_workers=dict(connection.execute(sa.select(KeyWorker.id, KeyWorker.name)).all()),
        goals={str(goal_id): text for goal_id, text in connection.execute(goals)},
        instruments=dict(instruments),
    )
