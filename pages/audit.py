"""Audit trail: who did what and when. Read-only: the app offers no way to change it."""

from datetime import date, timedelta

import streamlit as st

from pages.common import audited, engine, require_page, show_table
from tracker.files.audit_export import audit_csv
from tracker.people.audit import ACTIONS, audit_frame

viewer = require_page(__file__)
st.title("Audit trail")
st.caption(
    "Every change, sign-in, import, export, backup and restore, and who opened which "
    "family's record, newest first. Times are UTC. Nothing here can be edited or deleted: "
    "the database refuses it, and each row is chained to the one before by a hash that "
    "`tracker audit verify` checks."
)
left, middle, right = st.columns(3)
actor = left.text_input("Who (username)").strip() or None
action = middle.selectbox("What", ["Any", *ACTIONS])
since = right.date_input(
    "Since", value=date.today() - timedelta(days=30), max_value=date.today(), format="DD/MM/YYYY"
)
with engine().connect() as connection:
    rows = audit_frame(
        connection, actor=actor, action=None if action == "Any" else action, since=since
    )
st.write(f"{len(rows):,} entries.")
show_table(rows)
st.download_button(
    "Download as CSV",
    audited(viewer, "export", "audit trail (csv)", lambda: audit_csv(rows)),
    file_name="audit-trail.csv",
    mime="text/csv",
    icon=":material/download:",
)
