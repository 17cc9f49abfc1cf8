"""Sessions that end: an account disabled, demoted or moved loses its session on the next
page run, every session has an absolute lifetime, and a viewer nobody signed in is not
trusted.

A disabled manager once kept the audit trail and the backup button until the idle timeout.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tracker.people.access import Viewer
from tracker.people.accounts import set_active, set_role
from tracker.people.sessions import StoredAccount, session_end_reason, stored_account
from tracker.records.families import key_workers
from tracker.store.db import read_session, write_session
from tracker.store.models import AppUser, AuditLog
from tracker.store.settings import get_settings

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NOW = 1_800_000_000.0
MANNY = Viewer(name="Manny", role="manager", key_worker_id=None, user_id=7, username="manny")
MANNY_STORED = StoredAccount(active=True, role="manager", key_worker_id=None)


def reason(viewer=MANNY, account=MANNY_STORED, *, signed_in=NOW - 60, active=NOW - 60):
    return session_end_reason(
        viewer,
        account,
        signed_in_at=signed_in,
        last_active=active,
        now=NOW,
        settings=get_settings(),
    )


def test_a_fresh_session_of_an_unchanged_account_goes_on():
    assert reason() is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"active": False}, "disabled"),
        ({"role": "commissioner"}, "changed"),
        ({"key_worker_id": 3}, "changed"),
    ],
)
def test_a_changed_account_ends_the_session(change, words):
    stored = StoredAccount(**{**MANNY_STORED.__dict__, **change})
    assert words in reason(account=stored)


def test_a_deleted_account_or_an_untrusted_viewer_ends_the_session():
    assert reason(account=None)
    assert reason(viewer=Viewer(name="Manny", role="manager", username="manny"))
    assert reason(signed_in=None)


def test_idle_and_absolute_lifetimes(monkeypatch):
    monkeypatch.setenv("TRACKER_IDLE_TIMEOUT_MINUTES", "10")
    monkeypatch.setenv("TRACKER_SESSION_MAX_HOURS", "2")
    assert reason(active=NOW - 9 * 60) is None
    assert "10 minutes" in reason(active=NOW - 11 * 60)
    busy_all_day = reason(signed_in=NOW - 2 * 3600 - 1, active=NOW - 5)
    assert "2 hours" in busy_all_day


def test_the_account_is_read_by_its_id(sample_engine):
    with read_session(sample_engine) as session:
        user = session.execute(
            sa.select(AppUser).where(AppUser.username == "demo-manager")
        ).scalar_one()
        assert stored_account(session, user.id) == StoredAccount(
            True, "manager", user.key_worker_id
        )
        assert stored_account(session, user.id + 1000) is None


# ------------------------------------------------------------------ through the app


def signed_in(username: str, password: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    next(t for t in app.text_input if t.label == "Username").set_value(username)
    next(t for t in app.text_input if t.label == "Password").set_value(password)
    next(b for b in app.button if b.label == "Sign in").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Signed in as" in app.sidebar.caption[0].value
    return app


def is_signed_out(app: AppTest) -> bool:
    return any(t.label == "Username" for t in app.text_input) and not app.sidebar.caption


def sign_outs(engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(AuditLog.after).where(AuditLog.action == "sign_out").order_by(AuditLog.id)
            ).scalars()
        )


def change_account(engine, change: str) -> None:
    with write_session(engine) as session:
        if change == "disabled":
            set_active(session, username="demo-manager", active=False, actor="test")
        elif change == "demoted":
            set_role(session, username="demo-manager", role="commissioner", actor="test")
        else:  # moved to another key worker's caseload
            workers = key_workers(session.connection())["name"].tolist()
            set_role(
                session,
                username="demo-manager",
                role="practitioner",
                key_worker=workers[-1],
                actor="test",
            )


@pytest.mark.parametrize("change", ["disabled", "demoted", "moved"])
def test_a_change_to_the_account_ends_its_open_session(change, sample_engine, demo_password):
    app = signed_in("demo-manager", demo_password)
    app.switch_page("pages/audit.py").run()
    assert app.title[0].value == "Audit trail"
    change_account(sample_engine, change)
    app.run()
    assert is_signed_out(app)
    assert not any(title.value == "Audit trail" for title in app.title)
    assert app.info, "the person is told why"
    assert len(sign_outs(sample_engine)) == 1, "the forced sign-out is audited"


def test_a_session_ends_after_its_absolute_lifetime(sample_engine, demo_password, monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_MAX_HOURS", "12")
    app = signed_in("demo-manager", demo_password)
    app.session_state["signed_in_at"] = time.time() - 12 * 3600 - 5
    app.run()  # active a moment ago, so only the absolute lifetime can end it
    assert is_signed_out(app)
    assert "12 hours" in app.info[0].value
    assert "12 hours" in sign_outs(sample_engine)[-1]


def test_a_viewer_nobody_signed_in_is_not_trusted(sample_engine):
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["viewer"] = Viewer(name="Intruder", role="manager", username="demo-manager")
    app.session_state["signed_in_at"] = app.session_state["last_active"] = time.time()
    app.run()
    assert not app.exception
    assert is_signed_out(app)
    assert not app.metric
