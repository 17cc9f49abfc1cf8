"""Key workers' and panel members' questionnaires: checked in plain words naming the field,
stored for managers only, audited, and listed by period."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from tracker.people.access import MANAGER, PRACTITIONER, AccessDenied, Viewer
from tracker.records.stakeholder_feedback import Questionnaire, add_feedback, feedback_by_period
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AuditLog, StakeholderFeedback

TODAY = date(2025, 6, 1)
MANAGER_VIEWER = Viewer(name="Manager", role=MANAGER, username="manager")
ANSWERS = Questionnaire(
    period_start=date(2025, 1, 1),
    period_end=date(2025, 3, 31),
    role="panel_member",
    pathway_score=3,
    multi_agency_score=2,
    respondent=" JB ",
    comment=" Health were slow to join the plan. ",
)


def add(engine, answers: Questionnaire, viewer: Viewer = MANAGER_VIEWER) -> None:
    with write_session(engine) as session:
        add_feedback(session, viewer, answers, today=TODAY)


def problems_of(engine, **changes) -> dict[str, str]:
    with pytest.raises(RecordInvalid) as refusal:
        add(engine, replace(ANSWERS, **changes))
    return refusal.value.problems


def test_answers_are_stored_trimmed_and_audited(engine):
    add(engine, ANSWERS)
    with read_session(engine) as session:
        row = session.execute(sa.select(StakeholderFeedback)).scalar_one()
        audit = session.execute(
            sa.select(AuditLog).where(AuditLog.action == "stakeholder_feedback_added")
        ).scalar_one()
    assert (row.respondent, row.comment, row.entered_by) == (
        "JB",
        "Health were slow to join the plan.",
        "manager",
    )
    assert (row.pathway_score, row.multi_agency_score) == (3, 2)
    assert audit.entity_id == str(row.id)
    assert json.loads(audit.after)["role"] == "panel_member"


def test_an_anonymous_questionnaire_without_a_comment_is_kept(engine):
    add(engine, replace(ANSWERS, respondent="  ", comment=None))
    with read_session(engine) as session:
        row = session.execute(sa.select(StakeholderFeedback)).scalar_one()
    assert (row.respondent, row.comment) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"period_start": None}, "period_start", "first day of the period"),
        ({"period_end": None}, "period_end", "last day of the period"),
        ({"period_end": date(2024, 12, 31)}, "period_end", "ends before it starts"),
        ({"period_end": date(2025, 6, 2)}, "period_end", "cannot end in the future"),
        ({"role": "family"}, "role", "Key worker, Panel member"),
        ({"pathway_score": 5}, "pathway_score", "1 Poor, 2 Fair, 3 Good, 4 Very good"),
        ({"multi_agency_score": None}, "multi_agency_score", "Choose a rating"),
        ({"comment": "x" * 2001}, "comment", "2,000 characters"),
        ({"respondent": "x" * 121}, "respondent", "120 characters"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_wrong_answer_is_named_and_nothing_is_stored(engine, changes, field, words):
    problems = problems_of(engine, **changes)
    assert words in problems[field], problems
    with read_session(engine) as session:
        assert session.execute(sa.select(sa.func.count(StakeholderFeedback.id))).scalar_one() == 0


def test_only_a_manager_may_enter_feedback(engine):
    practitioner = Viewer(name="Ann", role=PRACTITIONER, key_worker_id=1)
    with pytest.raises(AccessDenied):
        add(engine, ANSWERS, viewer=practitioner)


def test_the_list_is_by_period_latest_first_then_by_role(engine):
    earlier = replace(ANSWERS, period_start=date(2024, 10, 1), period_end=date(2024, 12, 31))
    add(engine, replace(ANSWERS, role="panel_member"))
    add(engine, earlier)
    add(engine, replace(ANSWERS, role="key_worker", respondent=None))
    with read_session(engine) as session:
        rows = feedback_by_period(session.connection())
    assert list(zip(rows["period_end"], rows["role"], strict=True)) == [
        (date(2025, 3, 31), "key_worker"),
        (date(2025, 3, 31), "panel_member"),
        (date(2024, 12, 31), "panel_member"),
    ]
