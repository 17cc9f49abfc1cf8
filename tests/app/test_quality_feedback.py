"""The Quality assurance page's "Team feedback" tab: a manager records one questionnaire,
a form with a box missing says which, and what was recorded is listed by period and role."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.store.models import AuditLog, StakeholderFeedback

PAGE = "pages/quality.py"


def fill(app, *, start: date | None, end: date | None, role: str | None):
    app.date_input(key="feedback-start").set_value(start)
    app.date_input(key="feedback-end").set_value(end)
    if role:
        app.radio(key="feedback-role").set_value(role)
    app.radio(key="feedback-pathway_score").set_value(3)
    app.radio(key="feedback-multi_agency_score").set_value(2)
    app.text_input(key="feedback-respondent").set_value("JB")
    app.text_area(key="feedback-comment").set_value("Health joined the plan late.")
    by_label(app.button, "Save the answers").click().run()
    assert not app.exception
    return app


def test_a_manager_records_a_panel_members_answers(manager, sample_engine):
    start, end = date.today() - timedelta(days=90), date.today() - timedelta(days=1)
    app = fill(open_app(manager, PAGE), start=start, end=end, role="panel_member")
    assert not app.error
    assert f"Saved a panel member's answers for {start:%d %b %Y} to {end:%d %b %Y}." in [
        s.value for s in app.success
    ]
    assert app.text_input(key="feedback-respondent").value == "", "the form starts afresh"
    table = next(frame.value for frame in app.dataframe if "Multi-agency working" in frame.value)
    mine = table[table["Name or initials"] == "JB"]
    assert mine[["Who", "Pathway", "Multi-agency working"]].values.tolist() == [
        ["Panel member", "3 Good", "2 Fair"]
    ]
    with sample_engine.connect() as connection:
        row = connection.execute(
            sa.select(StakeholderFeedback).where(StakeholderFeedback.respondent == "JB")
        ).one()
        assert (row.period_start, row.role, row.comment, row.entered_by) == (
            start,
            "panel_member",
            "Health joined the plan late.",
            manager.actor,
        )
        assert (
            connection.execute(
                sa.select(sa.func.count()).where(AuditLog.action == "stakeholder_feedback_added")
            ).scalar_one()
            == 1
        )


def test_a_missing_answer_is_named_and_nothing_is_saved(manager, sample_engine):
    with sample_engine.connect() as connection:
        before = connection.execute(sa.select(sa.func.count(StakeholderFeedback.id))).scalar_one()
    app = fill(open_app(manager, PAGE), start=date(2025, 4, 1), end=date(2025, 3, 31), role=None)
    (problem,) = [e.value for e in app.error]
    assert "**Feedback period to:** The period ends before it starts." in problem
    assert "**Who answered:** Choose one of: Key worker, Panel member." in problem
    assert app.text_input(key="feedback-respondent").value == "JB", "what was typed is kept"
    with sample_engine.connect() as connection:
        after = connection.execute(sa.select(sa.func.count(StakeholderFeedback.id))).scalar_one()
    assert after == before
