"""Signing in: the demo banner, the sign-in form, refusals, lockout, idle timeout, sign-out."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import by_label, close_first_open_family, open_app
from tracker.records.closure_audits import outstanding_audits
from tracker.render.plain_text import markdown_literal
from tracker.store.db import read_session, write_session
from tracker.store.models import ClosureAudit

ROOT = Path(__file__).resolve().parents[2]


def fresh_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    by_label(app.text_input, "Username").set_value(username)
    by_label(app.text_input, "Password").set_value(password)
    return next(b for b in app.button if b.label == "Sign in").click().run()


def test_the_demo_signs_in_and_shows_the_sample_cohort(demo_password):
    app = fresh_app()
    assert not app.exception
    assert "DEMO" in app.warning[0].value
    sign_in(app, "demo-manager", demo_password)
    assert not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Families"] == "120"
    assert "Signed in as **Demo manager**" in app.sidebar.caption[0].value


def test_a_wrong_password_is_refused_and_five_lock_the_account(demo_password):
    app = fresh_app()
    for _ in range(5):
        sign_in(app, "demo-practitioner", "not the password at all")
        assert "do not match" in app.error[0].value
    sign_in(app, "demo-practitioner", demo_password)
    # Locked: refused in the same words as a wrong password, so nobody learns of the lock.
    assert "do not match" in app.error[0].value
    assert not app.metric


def test_idle_sessions_time_out_and_sign_out_works(demo_password):
    app = fresh_app()
    app.query_params["family"] = "FAM-000001"  # the address of a family page
    sign_in(app, "demo-practitioner", demo_password)
    assert app.metric
    app.session_state["last_active"] = time.time() - 31 * 60
    app.run()
    assert "30 minutes without activity" in app.info[0].value
    assert not app.metric
    assert app.query_params["family"] == "FAM-000001"  # kept, to sign back in to
    sign_in(app, "demo-practitioner", demo_password)
    next(b for b in app.sidebar.button if b.label == "Sign out").click().run()
    assert "You have signed out." in app.info[0].value
    assert "family" not in app.query_params  # nothing left for the next person


def test_production_refuses_to_start_with_demo_accounts(demo_password, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    app = fresh_app()
    assert "demo accounts exist" in app.error[0].value
    assert not app.text_input


def test_managers_see_the_closure_audits_waiting_with_their_ages(
    manager, practitioner, sample_engine
):
    family_ref, audit_id = close_first_open_family(
        sample_engine, "dropped_out", "Stopped answering the door."
    )
    with write_session(sample_engine) as session:
        # Long enough ago to be the oldest waiting, whatever the sample holds.
        session.get(ClosureAudit, audit_id).created_at = datetime.now(UTC) - timedelta(days=4000)
    with read_session(sample_engine) as session:
        waiting = outstanding_audits(session.connection())
    app = open_app(manager)
    assert not app.exception, [e.value for e in app.exception]
    assert f"Closure audits waiting: {len(waiting)}" in [h.value for h in app.subheader]
    text = "\n".join(m.value for m in app.markdown)
    assert "The oldest has waited 4000 days." in text
    assert markdown_literal(family_ref) in text and "waiting 4000 days" in text
    assert "Complete them in Quality assurance" in [link.value for link in app.page_link]

    app = open_app(practitioner)
    assert not app.exception
    assert not any(h.value.startswith("Closure audits") for h in app.subheader)
