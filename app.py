"""Distance Travelled: the Streamlit entry point.

It sets up the page, checks the database is ready, asks who is using the
app (until sign-in arrives), and builds the navigation. Each page re-checks
access itself; the navigation only decides what is offered.
"""

import streamlit as st

from pages.common import engine, entry_point_running
from tracker import migrate
from tracker.access import MANAGER, PRACTITIONER, Viewer, allowed
from tracker.db import read_session
from tracker.families import key_workers

st.set_page_config(page_title="Distance Travelled", page_icon="⭐", layout="wide")

if migrate.current_revision(engine()) != migrate.head_revision():
    st.error(
        "The database is not ready. Run `tracker init` (or `make run`) to create or "
        "upgrade it, then reload this page."
    )
    st.stop()

with read_session(engine()) as session:
    workers = key_workers(session.connection())

MANAGER_CHOICE = "Service manager (all families)"
choices = [*workers["name"].tolist(), MANAGER_CHOICE]
current = st.session_state.get("viewer")
default = choices.index(current.name) if current and current.name in choices else 0
with st.sidebar:
    who = st.selectbox(
        "Who is using the app?",
        choices,
        index=default,
        help="Sign-in is coming; for now, pick yourself.",
    )
if who == MANAGER_CHOICE:
    viewer = Viewer(name=who, role=MANAGER)
else:
    worker = workers[workers["name"] == who].iloc[0]
    viewer = Viewer(name=who, role=PRACTITIONER, key_worker_id=int(worker["id"]))
st.session_state["viewer"] = viewer

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/caseload.py", title="Caseload", icon=":material/groups:"),
    st.Page("pages/record_scores.py", title="Record scores", icon=":material/edit_note:"),
    st.Page("pages/family_journey.py", title="Family journey", icon=":material/star:"),
]
if allowed(viewer, "view_cohort"):
    pages.append(st.Page("pages/cohort.py", title="Cohort", icon=":material/monitoring:"))
if allowed(viewer, "import_data"):
    pages.append(st.Page("pages/data.py", title="Import and export", icon=":material/swap_vert:"))
if allowed(viewer, "view_report_card"):
    pages.append(st.Page("pages/report_card.py", title="Report card", icon=":material/summarize:"))
with entry_point_running():
    st.navigation(pages).run()
