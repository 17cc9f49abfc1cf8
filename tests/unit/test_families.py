"""Adding and closing families, goals and notes: plain-words validation."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from tracker.records.families import (
    add_family,
    add_goal,
    add_note,
    build_family,
    close_family,
    family_by_ref,
    goals,
    notes,
    reassign_family,
    rename_family,
    update_goal,
)
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import (
    AuditLog,
    Family,
    FamilyNote,
    KeyWorker,
    PlanGoal,
    family_label,
    longest,
)

TODAY = date(2025, 6, 1)


@pytest.fixture
def family(engine):
    data = build_family(
        family_ref="F1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=date(2025, 1, 6),
    )
    with write_session(engine) as session:
        return add_family(session, actor="tester", data=data, key_worker_id=None)


def test_family_form_problems_are_named_per_field():
    with pytest.raises(RecordInvalid) as refused:
        build_family(
            family_ref=" ",
            area="",
            tier_of_need="tier 4",
            referral_source="GP",
            referral_date=date(2999, 1, 1),
            age_group="adult",
        )
    assert set(refused.value.problems) == {
        "family_ref",
        "area",
        "tier_of_need",
        "referral_date",
        "age_group",
    }


def test_a_reference_cannot_be_used_twice(engine, family):
    data = build_family(
        family_ref="F1",
        area="A",
        tier_of_need="tier 3",
        referral_source="GP",
        referral_date=date(2025, 1, 1),
    )
    with pytest.raises(RecordInvalid, match="already used"), write_session(engine) as session:
        add_family(session, actor="tester", data=data, key_worker_id=None)


def test_closing_needs_a_note_unless_wholly_achieved(engine, family):
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        close_family(
            session,
            actor="tester",
            family_id=family.id,
            closed_on=date(2025, 5, 1),
            closure_reason="partially_achieved",
            closure_note="  ",
            today=TODAY,
        )
    assert "say briefly why" in refused.value.problems["closure_note"]
    with write_session(engine) as session:
        close_family(
            session,
            actor="tester",
            family_id=family.id,
            closed_on=date(2025, 5, 1),
            closure_reason="wholly_achieved",
            closure_note="",
            today=TODAY,
        )
    with read_session(engine) as session:
        closed = family_by_ref(session.connection(), "F1")
    assert (closed.closed_on, closed.closure_reason, closed.closure_note) == (
        date(2025, 5, 1),
        "wholly_achieved",
        None,
    )
    with pytest.raises(RecordInvalid, match="already closed"), write_session(engine) as session:
        close_family(
            session,
            actor="tester",
            family_id=family.id,
            closed_on=date(2025, 5, 2),
            closure_reason="wholly_achieved",
            closure_note="",
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("closed_on", "reason", "field"),
    [
        (date(2025, 7, 1), "wholly_achieved", "closed_on"),
        (date(2024, 12, 1), "wholly_achieved", "closed_on"),
        (date(2025, 5, 1), "bored", "closure_reason"),
    ],
)
def test_closing_checks_dates_and_reason(engine, family, closed_on, reason, field):
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        close_family(
            session,
            actor="tester",
            family_id=family.id,
            closed_on=closed_on,
            closure_reason=reason,
            closure_note="x",
            today=TODAY,
        )
    assert field in refused.value.problems


def add_workers(engine, *names: str) -> list[int]:
    with write_session(engine) as session:
        workers = [KeyWorker(name=name) for name in names]
        session.add_all(workers)
        session.flush()
        return [worker.id for worker in workers]


def test_reassigning_moves_the_case_and_is_audited(engine, family):
    first, second = add_workers(engine, "Ann", "Ben")
    with write_session(engine) as session:
        reassign_family(session, family_id=family.id, key_worker_id=first, actor="manny")
    with write_session(engine) as session:
        reassign_family(session, family_id=family.id, key_worker_id=second, actor="manny")
    with read_session(engine) as session:
        assert family_by_ref(session.connection(), "F1").key_worker_id == second
        changes = session.exec(
            sa.select(AuditLog.before, AuditLog.after)
            .where(AuditLog.entity == "family", AuditLog.action == "update")
            .order_by(AuditLog.id)
        ).all()
    assert [(json.loads(b), json.loads(a)) for b, a in changes] == [
        ({"key_worker_id": None}, {"key_worker_id": first}),
        ({"key_worker_id": first}, {"key_worker_id": second}),
    ]


def test_reassigning_refuses_closed_cases_and_unknown_or_same_workers(engine, family):
    (worker,) = add_workers(engine, "Ann")
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        reassign_family(session, family_id=family.id, key_worker_id=worker + 99, actor="manny")
    assert refused.value.problems == {"key_worker": "Choose a key worker from the list."}
    with write_session(engine) as session:
        reassign_family(session, family_id=family.id, key_worker_id=worker, actor="manny")
    with pytest.raises(RecordInvalid, match="already has"), write_session(engine) as session:
        reassign_family(session, family_id=family.id, key_worker_id=worker, actor="manny")
    with write_session(engine) as session:
        close_family(
            session,
            actor="tester",
            family_id=family.id,
            closed_on=date(2025, 5, 1),
            closure_reason="wholly_achieved",
            closure_note="",
            today=TODAY,
        )
    (other,) = add_workers(engine, "Ben")
    with pytest.raises(RecordInvalid, match="only open cases"), write_session(engine) as session:
        reassign_family(session, family_id=family.id, key_worker_id=other, actor="manny")
    with read_session(engine) as session:
        assert family_by_ref(session.connection(), "F1").key_worker_id == worker


def test_goals_are_added_and_updated(engine, family):
    with write_session(engine) as session:
        goal = add_goal(
            session,
            actor="tester",
            family_id=family.id,
            text=" Get to school on time ",
            domain="participation_learning_education_work",
            set_on=date(2025, 2, 1),
            today=TODAY,
        )
    with write_session(engine) as session:
        update_goal(
            session,
            actor="tester",
            goal=session.get(PlanGoal, goal.id),
            status="wholly_achieved",
            status_on=date(2025, 5, 1),
            today=TODAY,
        )
    with read_session(engine) as session:
        stored = goals(session.connection(), family.id)
    assert stored[["text", "status", "status_on"]].values.tolist() == [
        ["Get to school on time", "wholly_achieved", date(2025, 5, 1)]
    ]
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        update_goal(
            session,
            actor="tester",
            goal=session.get(PlanGoal, goal.id),
            status="open",
            status_on=date(2025, 1, 1),
            today=TODAY,
        )
    assert "before the goal was set" in refused.value.problems["status_on"]
    with pytest.raises(RecordInvalid), write_session(engine) as session:
        add_goal(
            session,
            actor="tester",
            family_id=family.id,
            text="  ",
            domain=None,
            set_on=TODAY,
            today=TODAY,
        )


def test_notes_are_kept_newest_first(engine, family):
    with write_session(engine) as session:
        add_note(
            session,
            actor="tester",
            family_id=family.id,
            written_on=date(2025, 2, 1),
            text="First visit",
            author="Ann",
            today=TODAY,
        )
        add_note(
            session,
            actor="tester",
            family_id=family.id,
            written_on=date(2025, 3, 1),
            text="School call",
            author="Ann",
            today=TODAY,
        )
    with read_session(engine) as session:
        stored = notes(session.connection(), family.id)
    assert stored["text"].tolist() == ["School call", "First visit"]
    with pytest.raises(RecordInvalid), write_session(engine) as session:
        add_note(
            session,
            actor="tester",
            family_id=family.id,
            written_on=TODAY,
            text="",
            author="Ann",
            today=TODAY,
        )


def _write_goal(session, family, text):
    add_goal(
        session, actor="t", family_id=family.id, text=text, domain=None, set_on=TODAY, today=TODAY
    )


def _write_note(session, family, text):
    add_note(
        session,
        actor="t",
        family_id=family.id,
        written_on=TODAY,
        text=text,
        author="Ann",
        today=TODAY,
    )


def _close_with_note(session, family, text):
    close_family(
        session,
        actor="t",
        family_id=family.id,
        closed_on=TODAY,
        closure_reason="partially_achieved",
        closure_note=text,
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("write", "column", "field"),
    [
        (_write_goal, PlanGoal.text, "text"),
        (_write_note, FamilyNote.text, "text"),
        (_close_with_note, Family.closure_note, "closure_note"),
    ],
    ids=["goal", "note", "closure note"],
)
def test_text_may_fill_its_column_and_no_more(engine, family, write, column, field):
    """The form's limit is the column's: the longest text fits, one more character is
    refused with the number in the words, before the database could cut it."""
    most = longest(column)
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        write(session, family, "x" * (most + 1))
    assert f"{most:,} characters" in refused.value.problems[field]
    with write_session(engine) as session:
        write(session, family, "x" * most)


def _family_fields(**changes) -> dict:
    return {
        "family_ref": "F9",
        "area": "Northfield",
        "tier_of_need": "tier 2",
        "referral_source": "School",
        "referral_date": date(2025, 1, 6),
        **changes,
    }


def test_a_short_name_is_optional_trimmed_and_no_longer_than_its_column():
    assert build_family(**_family_fields()).short_name is None
    assert build_family(**_family_fields(short_name="   ")).short_name is None
    assert build_family(**_family_fields(short_name=" Smith household ")).short_name == (
        "Smith household"
    )
    most = longest(Family.short_name)
    assert build_family(**_family_fields(short_name="x" * most)).short_name == "x" * most
    with pytest.raises(RecordInvalid) as refused:
        build_family(**_family_fields(short_name="x" * (most + 1)))
    assert refused.value.problems == {
        "short_name": f"Keep the short name to {most} characters or fewer."
    }


def test_renaming_a_family_is_checked_and_audited(engine, family):
    most = longest(Family.short_name)
    with pytest.raises(RecordInvalid) as refused, write_session(engine) as session:
        rename_family(session, family_id=family.id, short_name="x" * (most + 1), actor="ann")
    assert f"{most} characters" in refused.value.problems["short_name"]
    with write_session(engine) as session:
        rename_family(session, family_id=family.id, short_name=" J.K. ", actor="ann")
    with write_session(engine) as session:  # the same name again changes nothing
        rename_family(session, family_id=family.id, short_name="J.K.", actor="ann")
    with write_session(engine) as session:
        rename_family(session, family_id=family.id, short_name="", actor="bob")
    with read_session(engine) as session:
        assert session.get(Family, family.id).short_name is None
        changes = session.execute(
            sa.select(AuditLog.actor, AuditLog.before, AuditLog.after)
            .where(AuditLog.entity == "family", AuditLog.action == "update")
            .order_by(AuditLog.id)
        ).all()
    assert [(actor, json.loads(before), json.loads(after)) for actor, before, after in changes] == [
        ("ann", {"short_name": None}, {"short_name": "J.K."}),
        ("bob", {"short_name": "J.K."}, {"short_name": None}),
    ]


def test_a_family_is_labelled_by_its_reference_then_its_short_name():
    assert family_label("FAM-000001") == "FAM-000001"
    assert family_label("FAM-000001", None) == "FAM-000001"
    assert family_label("FAM-000001", "Smith household") == "FAM-000001 (Smith household)"
    assert family_label("FAM-000001", float("nan")) == "FAM-000001", "as pandas holds a blank"
