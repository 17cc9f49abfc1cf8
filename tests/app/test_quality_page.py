"""Quality assurance, Closure audits tab: a manager completes the audit a closure opened."""

from __future__ import annotations

from datetime import date

import pytest

import pages.common
from pages.common import APP_PAGES
from tests.app.conftest import close_first_open_family, open_app
from tracker.store.db import read_session
from tracker.store.models import ClosureAudit
from tracker.store.vocabulary import AUDIT_SCALE, CLOSURE_AUDIT_QUESTIONS

PAGE = "pages/quality.py"


def closed_not_achieved(engine) -> tuple[str, int]:
    """Close one open sample family as "plan not achieved": its reference and audit's id."""
    return close_first_open_family(
        engine, "not_achieved", "The family moved between schools twice."
    )


def stored(engine, audit_id: int) -> ClosureAudit:
    with read_session(engine) as session:
        return session.get(ClosureAudit, audit_id)


def test_a_manager_completes_a_closure_audit(manager, sample_engine):
    family_ref, audit_id = closed_not_achieved(sample_engine)
    app = open_app(manager, PAGE)
    assert not app.exception, [e.value for e in app.exception]
    tabs = [tab.label for tab in app.tabs]
    assert tabs[:3] == ["Closure audits", "Case-file sample", "Team feedback"]
    waiting = next(f.value for f in app.dataframe if "Waiting (days)" in f.value.columns)
    mine = waiting[waiting["Family"].str.startswith(family_ref)]
    assert mine["Closed on"].tolist() == [f"{date.today():%d %b %Y}"]
    assert mine["How it ended"].tolist() == ["Plan not achieved"]
    assert mine["Waiting (days)"].tolist() == [0]

    app.selectbox(key="audit-to-complete").set_value(audit_id).run()
    for place, key in enumerate(CLOSURE_AUDIT_QUESTIONS):
        app.radio(key=f"audit-{audit_id}-{key}-score").set_value(1 + place % 4)
    app.text_area(key=f"audit-{audit_id}-reason-comment").input("Housing moves broke the plan.")
    app.button(key=f"complete-audit-{audit_id}").click().run()

    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert any("completed" in message.value for message in app.success)
    audit = stored(sample_engine, audit_id)
    assert (audit.reason_score, audit.plan_right_score, audit.differently_score) == (1, 2, 1)
    assert audit.reason_comment == "Housing moves broke the plan."
    assert audit.completed_by == "manny"
    tables = [frame.value for frame in app.dataframe]
    still = [t for t in tables if "Waiting (days)" in t.columns]
    assert not any(t["Family"].str.startswith(family_ref).any() for t in still)
    done = next(t for t in tables if "Completed" in t.columns)
    row = done[done["Family"].str.startswith(family_ref)]
    assert row["Within our reach"].tolist() == [AUDIT_SCALE[1]]


def test_an_unanswered_question_is_named_and_nothing_is_saved(manager, sample_engine):
    _, audit_id = closed_not_achieved(sample_engine)
    app = open_app(manager, PAGE)
    app.selectbox(key="audit-to-complete").set_value(audit_id).run()
    for key in list(CLOSURE_AUDIT_QUESTIONS)[1:]:
        app.radio(key=f"audit-{audit_id}-{key}-score").set_value(4)
    app.button(key=f"complete-audit-{audit_id}").click().run()
    assert not app.exception
    assert CLOSURE_AUDIT_QUESTIONS["reason"] in app.error[0].value
    assert stored(sample_engine, audit_id).completed_at is None


@pytest.mark.parametrize("role", ["practitioner", "commissioner"])
def test_practitioners_and_commissioners_are_refused_the_page(
    role, request, monkeypatch, sample_engine
):
    viewer = request.getfixturevalue(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_app(viewer, PAGE)
    # Navigation out of the way: the page itself refuses.
    monkeypatch.setattr(pages.common, "offered_pages", lambda viewer: list(APP_PAGES))
    app = open_app(viewer, PAGE)
    assert not app.exception, [e.value for e in app.exception]
    assert "does not allow" in app.error[0].value
    assert not app.tabs
