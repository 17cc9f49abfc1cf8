"""The cohort page's timing: drawn by Streamlit's AppTest for a manager, cold then warm.

It runs as its own process (``python -m bench.page``, started by the bench) so
that Streamlit and the page's caches stay out of the bench's memory figure. The
store and group size come from ``DATABASE_URL`` and ``TRACKER_MIN_GROUP``, as the
app reads them; the two times are printed as one JSON object.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import streamlit as st
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from bench.timing import timed
from tracker.people.access import MANAGER, Viewer
from tracker.people.auth import viewer_for
from tracker.store.db import make_engine, write_session
from tracker.store.models import AppUser

APP = Path(__file__).resolve().parent.parent / "app.py"


def bench_manager() -> Viewer:
    """A manager's account in the bench's database: the app trusts only real accounts."""
    with write_session(make_engine()) as session:
        user = AppUser(username="bench", display_name="Benchmark manager", role=MANAGER)
        session.add(user)
        session.flush()
        return viewer_for(user)


def page_times() -> tuple[float, float]:
    """The cohort page drawn for a manager: first (empty caches), then again."""
    # Clearing caches outside a script run makes Streamlit warn each time; that is expected.
    set_log_level("error")
    app = AppTest.from_file(str(APP), default_timeout=600)
    app.session_state["viewer"] = bench_manager()
    app.session_state["signed_in_at"] = app.session_state["last_active"] = time.time()
    app.run()
    app.switch_page("pages/cohort.py")

    def draw() -> None:
        app.run()
        if app.exception or not app.metric:
            shown = [*app.exception, *app.error]
            problem = shown[0].value if shown else "no figures drawn"
            raise SystemExit(f"the cohort page failed: {problem}")

    def empty_caches() -> None:
        st.cache_data.clear()
        st.cache_resource.clear()

    cold = timed(draw, before=empty_caches)
    draw()
    warm = timed(draw)
    return cold, warm


if __name__ == "__main__":
    cold, warm = page_times()
    print(json.dumps({"page_cold_s": cold, "page_warm_s": warm}))
