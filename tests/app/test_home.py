"""Signing in: the demo banner, the sign-in form, refusals, lockout, idle timeout, sign-out."""

from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import by_label

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
