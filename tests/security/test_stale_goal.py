"""Two people change one goal from pages opened at the same time: the second is told.

Before goals carried a version, the last save won and the first person's change vanished
without a trace on the page.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.records.families import add_family, add_goal, build_family, goals, update_goal
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import PlanGoal

TODAY = date(2025, 6, 1)


@pytest.fixture
def goal_id(engine) -> tuple[int, int]:
    with write_session(engine) as session:
        data = build_family(
            family_ref="F-GOAL",
            area="Northfield",
            tier_of_need="tier 2",
            referral_source="School",
            referral_date=date(2025, 1, 6),
        )
        family = add_family(session, actor="tester", data=data, key_worker_id=None)
        goal = add_goal(
            session,
            actor="tester",
            family_id=family.id,
            text="Get to school on time",
            domain=None,
            set_on=date(2025, 2, 1),
            today=TODAY,
        )
    return family.id, goal.id


def test_a_change_from_a_stale_page_is_refused_and_the_first_change_stays(engine, goal_id):
    family_id, goal = goal_id
    # Both pages read the goal before either saves.
    with read_session(engine) as session:
        first_seen = session.get(PlanGoal, goal)
    with read_session(engine) as session:
        second_seen = session.get(PlanGoal, goal)

    with write_session(engine) as session:
        update_goal(
            session,
            actor="first",
            goal=session.merge(first_seen),
            status="wholly_achieved",
            status_on=date(2025, 5, 1),
            today=TODAY,
        )
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        update_goal(
            session,
            actor="second",
            goal=second_seen,
            status="not_achieved",
            status_on=date(2025, 5, 2),
            today=TODAY,
        )
    assert "Someone else updated this goal" in refused.value.problems["goal"]
    assert "wholly achieved" in refused.value.problems["goal"]

    with read_session(engine) as session:
        stored = goals(session.connection(), family_id)
        changes = (
            session.execute(
                sa.text("SELECT actor FROM audit_log WHERE entity = 'goal' AND action = 'update'")
            )
            .scalars()
            .all()
        )
    assert stored[["status", "status_on"]].values.tolist() == [
        ["wholly_achieved", date(2025, 5, 1)]
    ]
    assert changes == ["first"]


def test_the_version_the_page_showed_decides_not_the_one_read_at_save(engine, goal_id):
    family_id, goal = goal_id
    with read_session(engine) as session:
        shown = int(goals(session.connection(), family_id)["version"].iloc[0])
    with write_session(engine) as session:
        update_goal(
            session,
            actor="first",
            goal=session.get(PlanGoal, goal),
            status="partially_achieved",
            status_on=date(2025, 5, 1),
            today=TODAY,
        )
    with pytest.raises(RecordInvalid), write_session(engine) as session:
        update_goal(
            session,
            actor="second",
            goal=session.get(PlanGoal, goal),
            status="open",
            status_on=date(2025, 5, 2),
            today=TODAY,
            expected_version=shown,
        )
    with write_session(engine) as session:
        update_goal(
            session,
            actor="second",
            goal=session.get(PlanGoal, goal),
            status="open",
            status_on=date(2025, 5, 2),
            today=TODAY,
            expected_version=shown + 1,
        )
    with read_session(engine) as session:
        assert goals(session.connection(), family_id)["status"].tolist() == ["open"]
