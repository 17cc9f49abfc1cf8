"""Notes and goals dated before the family's referral are questioned, never saved silently."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.records.families import add_family, add_goal, add_note, before_referral, build_family
from tracker.store.db import write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import FamilyNote, PlanGoal

TODAY = date(2026, 6, 1)
REFERRED = date(2026, 1, 12)


@pytest.fixture
def family(engine):
    data = build_family(
        family_ref="F1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=REFERRED,
    )
    with write_session(engine) as session:
        return add_family(session, actor="tester", data=data, key_worker_id=None)


def test_the_question_names_both_dates(family):
    assert before_referral(family, date(2020, 3, 3), "note") == (
        "This note is dated 03 Mar 2020, before the referral on 12 Jan 2026. Is that right?"
    )
    assert before_referral(family, REFERRED, "goal") is None  # the day itself is fine
    assert before_referral(family, date(2026, 2, 1), "goal") is None


def note(session, family, written_on: date, **confirm) -> None:
    add_note(
        session,
        family_id=family.id,
        written_on=written_on,
        text="First visit",
        author="Ann",
        today=TODAY,
        actor="ann",
        **confirm,
    )


def goal(session, family, set_on: date, **confirm) -> None:
    add_goal(
        session,
        family_id=family.id,
        text="Keep the flat",
        domain=None,
        set_on=set_on,
        today=TODAY,
        actor="ann",
        **confirm,
    )


@pytest.mark.parametrize(
    ("write", "field", "model"),
    [(note, "written_on", FamilyNote), (goal, "set_on", PlanGoal)],
    ids=["note", "goal"],
)
def test_an_early_date_is_refused_until_confirmed(engine, family, write, field, model):
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        write(session, family, date(2020, 3, 3))
    assert refused.value.problems[field].endswith(
        "dated 03 Mar 2020, before the referral on 12 Jan 2026. Is that right?"
    )
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(model)).scalar() == 0
    with write_session(engine) as session:
        write(session, family, date(2020, 3, 3), date_confirmed=True)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(model)).scalar() == 1


@pytest.mark.parametrize("write", [note, goal], ids=["note", "goal"])
def test_confirming_never_lets_a_future_date_through(engine, family, write):
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        write(session, family, date(2026, 6, 2), date_confirmed=True)
    assert list(refused.value.problems.values()) == ["The date cannot be in the future."]
