"""Closure audits: opened as a case closes without its plan wholly achieved, completed once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.unit.helpers import new_family
from tracker.people.access import AccessDenied, Viewer
from tracker.records.closure_audits import (
    COMMENT_MOST,
    complete_audit,
    completed_audits,
    open_closure_audit,
    outstanding_audits,
)
from tracker.records.families import close_family
from tracker.store.closures import add_closure_audits, closure_audit_due, closures_due
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AuditLog, ClosureAudit, Family
from tracker.store.vocabulary import AUDITED_CLOSURES, CLOSURE_AUDIT_QUESTIONS, CLOSURE_REASONS

TODAY = date(2025, 6, 1)
MANAGER = Viewer(name="Mary Manager", role="manager", username="mary")
ANSWERS = {
    **{f"{key}_score": 3 for key in CLOSURE_AUDIT_QUESTIONS},
    **{f"{key}_comment": f"About {key}." for key in CLOSURE_AUDIT_QUESTIONS},
}


def close(engine, family_id: int, reason: str, on: date = date(2025, 5, 1)) -> None:
    with write_session(engine) as session:
        close_family(
            session,
            family_id=family_id,
            closed_on=on,
            closure_reason=reason,
            closure_note="Not all of it." if reason != "wholly_achieved" else "",
            today=TODAY,
            actor="mary",
        )


def audits(engine) -> list[ClosureAudit]:
    with read_session(engine) as session:
        return list(session.execute(sa.select(ClosureAudit).order_by(ClosureAudit.id)).scalars())


def waiting(engine, today: date = TODAY):
    with read_session(engine) as session:
        return outstanding_audits(session.connection(), today=today)


def complete(engine, audit_id: int, answers=ANSWERS, version: int = 1, viewer=MANAGER) -> None:
    with write_session(engine) as session:
        complete_audit(session, viewer, audit_id, answers, version)


@pytest.mark.parametrize("reason", list(CLOSURE_REASONS))
def test_an_audit_is_opened_exactly_when_the_plan_was_not_wholly_achieved(engine, reason):
    family_id = new_family(engine)
    close(engine, family_id, reason)
    opened = audits(engine)
    if reason in AUDITED_CLOSURES:
        assert [(a.family_id, a.closed_on, a.completed_at) for a in opened] == [
            (family_id, date(2025, 5, 1), None)
        ]
        with read_session(engine) as session:
            rows = session.execute(
                sa.select(AuditLog).where(AuditLog.action == "closure_audit_created")
            ).scalars()
            (row,) = list(rows)
        assert (row.entity, row.entity_id, row.family_id) == (
            "closure_audit",
            str(opened[0].id),
            family_id,
        )
        assert json.loads(row.after)["closure_reason"] == reason
    else:
        assert opened == []


def test_the_audited_reasons_are_the_plans_not_wholly_achieved():
    assert set(AUDITED_CLOSURES) == {"partially_achieved", "not_achieved", "dropped_out"}
    assert set(AUDITED_CLOSURES) <= set(CLOSURE_REASONS)


def test_one_closure_gets_one_audit(engine):
    family_id = new_family(engine)
    close(engine, family_id, "not_achieved")
    with write_session(engine) as session:
        again = open_closure_audit(
            session,
            family_id=family_id,
            closed_on=date(2025, 5, 1),
            closure_reason="not_achieved",
            actor="mary",
        )
    assert again is None
    assert len(audits(engine)) == 1


def test_a_closed_case_cannot_be_closed_again_until_re_referred(engine):
    family_id = new_family(engine)
    close(engine, family_id, "dropped_out")
    with pytest.raises(RecordInvalid, match="already closed"):
        close(engine, family_id, "dropped_out", on=date(2025, 5, 20))
    assert len(audits(engine)) == 1


def test_a_family_re_referred_and_closed_again_gets_a_second_audit(engine):
    family_id = new_family(engine)
    close(engine, family_id, "partially_achieved")
    with write_session(engine) as session:
        session.get(Family, family_id).re_referred_on = date(2025, 5, 10)
    with pytest.raises(RecordInvalid, match="before the family was re-referred"):
        close(engine, family_id, "not_achieved", on=date(2025, 5, 9))
    close(engine, family_id, "not_achieved", on=date(2025, 5, 30))
    assert [a.closed_on for a in audits(engine)] == [date(2025, 5, 1), date(2025, 5, 30)]


def test_outstanding_audits_are_oldest_first_with_their_age_in_days(engine):
    first, second = new_family(engine, "F1"), new_family(engine, "F2")
    close(engine, first, "not_achieved")
    close(engine, second, "dropped_out")
    opened = {
        audit.id: moment
        for audit, moment in zip(
            audits(engine),
            (datetime(2025, 5, 2, 9, tzinfo=UTC), datetime(2025, 5, 20, 23, 30, tzinfo=UTC)),
            strict=True,
        )
    }
    with write_session(engine) as session:
        for audit_id, moment in opened.items():
            session.get(ClosureAudit, audit_id).created_at = moment
    frame = waiting(engine)
    assert frame["family_ref"].tolist() == ["F1", "F2"]
    assert frame["age_days"].tolist() == [30, 12]
    assert frame["closure_reason"].tolist() == ["not_achieved", "dropped_out"]


def test_completing_an_audit_keeps_the_answers_and_takes_it_off_the_list(engine):
    family_id = new_family(engine)
    close(engine, family_id, "not_achieved")
    (audit,) = audits(engine)
    answers = {**ANSWERS, "engagement_score": 1, "differently_comment": "  "}
    complete(engine, audit.id, answers)
    (done,) = audits(engine)
    assert (done.engagement_score, done.reason_score, done.version) == (1, 3, 2)
    assert (done.reason_comment, done.differently_comment) == ("About reason.", None)
    assert done.completed_by == "mary" and done.completed_at is not None
    assert waiting(engine).empty
    with read_session(engine) as session:
        assert completed_audits(session.connection())["id"].tolist() == [audit.id]
        row = session.execute(
            sa.select(AuditLog).where(AuditLog.action == "closure_audit_completed")
        ).scalar_one()
    assert (row.actor, row.family_id, json.loads(row.after)["engagement_score"]) == (
        "mary",
        family_id,
        1,
    )


def test_every_question_needs_a_score_from_1_to_4_and_a_comment_of_bounded_length(engine):
    family_id = new_family(engine)
    close(engine, family_id, "not_achieved")
    (audit,) = audits(engine)
    answers = {
        **ANSWERS,
        "reason_score": None,
        "plan_right_score": 5,
        "engagement_score": True,
        "multi_agency_comment": "x" * (COMMENT_MOST + 1),
    }
    with pytest.raises(RecordInvalid) as refused:
        complete(engine, audit.id, answers)
    problems = refused.value.problems
    assert set(problems) == {
        "reason_score",
        "plan_right_score",
        "engagement_score",
        "multi_agency_comment",
    }
    assert CLOSURE_AUDIT_QUESTIONS["plan_right"] in problems["plan_right_score"]
    assert "1,000 characters" in problems["multi_agency_comment"]
    assert audits(engine)[0].completed_at is None


def test_a_stale_version_is_refused_and_the_first_completion_stands(engine):
    family_id = new_family(engine)
    close(engine, family_id, "dropped_out")
    (audit,) = audits(engine)
    complete(engine, audit.id)
    with pytest.raises(RecordInvalid, match="completed this audit") as refused:
        complete(engine, audit.id, {**ANSWERS, "reason_score": 1}, version=1)
    assert "mary" in refused.value.problems["audit"]
    assert audits(engine)[0].reason_score == 3


def test_only_managers_complete_audits(engine):
    family_id = new_family(engine)
    close(engine, family_id, "dropped_out")
    (audit,) = audits(engine)
    for role in ("practitioner", "commissioner", "admin"):
        with pytest.raises(AccessDenied):
            complete(engine, audit.id, viewer=Viewer(name="X", role=role, key_worker_id=1))
    assert audits(engine)[0].completed_at is None


def test_the_database_refuses_a_score_off_the_scale(engine):
    family_id = new_family(engine)
    close(engine, family_id, "dropped_out")
    (audit,) = audits(engine)
    with pytest.raises(sa.exc.IntegrityError), write_session(engine) as session:
        session.connection().execute(
            sa.update(ClosureAudit).where(ClosureAudit.id == audit.id).values(reason_score=5)
        )


def test_deleting_a_family_deletes_its_audits(engine):
    family_id = new_family(engine)
    close(engine, family_id, "dropped_out")
    with write_session(engine) as session:
        session.connection().execute(sa.delete(Family).where(Family.id == family_id))
    assert audits(engine) == []


def test_many_closures_are_judged_at_once_by_the_one_rule(engine):
    """The importer asks about a whole file's closures in one call: each is due exactly
    when one at a time would say so, once, in the order given."""
    first, second, third = (new_family(engine, ref) for ref in ("F1", "F2", "F3"))
    held_on, later = date(2025, 3, 1), date(2025, 5, 1)
    with engine.begin() as connection:
        add_closure_audits(connection, [(first, held_on)])
        asked = [
            (second, later, "not_achieved"),
            (first, held_on, "not_achieved"),  # audited already
            (first, later, "dropped_out"),  # the same family closed again later
            (third, later, "wholly_achieved"),  # nothing to audit
            (third, None, "not_achieved"),  # not closed
            (second, later, "not_achieved"),  # the same closure twice
        ]
        due = closures_due(connection, asked)
        one_at_a_time = [
            (family, day)
            for family, day, reason in asked
            if closure_audit_due(connection, family, day, reason)
        ]
        ids = add_closure_audits(connection, due)
        stored = connection.execute(
            sa.select(ClosureAudit.id, ClosureAudit.family_id, ClosureAudit.closed_on)
        ).all()
    assert due == [(second, later), (first, later)]
    assert list(dict.fromkeys(one_at_a_time)) == due
    assert {
        (audit_id, family, day) for audit_id, (family, day) in zip(ids, due, strict=True)
    } <= set(stored)
    assert len(stored) == 3
