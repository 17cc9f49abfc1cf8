"""No traceback reaches a browser: an unexpected failure shows plain words and a reference
that the operator finds, with the whole error, in the server's log.

The failure is real, not staged by replacing part of the app: a table the pages read is
taken away from under a signed-in manager.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import sqlalchemy as sa
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from tracker.people.accounts import create_user
from tracker.store.db import write_session

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LEAKS = ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "SELECT", "Error:", 'File "')


def signed_in(username: str, password: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    next(t for t in app.text_input if t.label == "Username").set_value(username)
    next(t for t in app.text_input if t.label == "Password").set_value(password)
    next(b for b in app.button if b.label == "Sign in").click().run()
    return app


def everything_shown(app: AppTest) -> str:
    kinds = ("error", "warning", "info", "markdown", "caption", "title", "header", "exception")
    return "\n".join(
        str(getattr(element, "value", element)) for kind in kinds for element in getattr(app, kind)
    )


def test_a_failing_page_shows_a_reference_and_logs_the_error(sample_engine, demo_password, caplog):
    app = signed_in("demo-manager", demo_password)
    assert app.metric, "Home showed the service's figures"
    with sample_engine.begin() as connection:
        # Children first: PostgreSQL refuses to drop a table others still point at.
        for table in ("score", "invitation_try", "invitation", "journey", "assessment"):
            connection.execute(sa.text(f"DROP TABLE {table}"))
    st.cache_data.clear()  # so Home reads the store again
    with caplog.at_level(logging.ERROR):
        app.run()
    shown = everything_shown(app)
    assert not app.exception
    assert not [leak for leak in LEAKS if leak in shown], shown
    found = re.search(r"reference ([0-9A-F]{8})", app.error[-1].value)
    assert found, app.error[-1].value
    logged = [r for r in caplog.records if found.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info, "the log has the reference and the whole error"


def test_an_over_long_username_gives_no_traceback(sample_engine):
    app = signed_in("x" * 200, "anything at all")
    shown = everything_shown(app)
    assert not app.exception
    assert not [leak for leak in LEAKS if leak in shown], shown
    assert "do not match" in app.error[0].value


def test_production_hides_error_details(engine, monkeypatch):
    with write_session(engine) as session:
        create_user(
            session,
            username="alice",
            display_name="Alice",
            role="admin",
            password=None,
            actor="test",
        )
    monkeypatch.setenv("TRACKER_ENV", "production")
    before = config.get_option("client.showErrorDetails")
    try:
        app = AppTest.from_file(APP, default_timeout=60).run()
        assert not app.exception
        assert config.get_option("client.showErrorDetails") == "none"
    finally:
        config.set_option("client.showErrorDetails", before)
