"""Audit trail: who did what and when. Read-only: the app offers no way to change it."""

from datetime import date, timedelta

import streamlit as st

from pages.common import audited, instruments, reading, require_page
from tracker.files.audit_export import audit_csv
from tracker.measures.audit_names import audit_names
from tracker.people.audit import ACTIONS, audit_frame
from tracker.render.history_text import history_table
from tracker.render.history_words import ACTION_LABELS

viewer = require_page(__file__)
st.title("Audit trail")
st.caption(
    "Every change, sign-in, import, export, backup and restore, and who opened which "
    "family's record, newest first. Times are UTC. Nothing here can be edited or deleted: "
    "the database refuses it, and each entry is chained to the one before by a hash that "
    "`tracker audit verify` checks (it names entries by the number in the last column)."
)
left, middle, right = st.columns(3)
actor = left.text_input("Who (username)").strip() or None
action = middle.selectbox(
    "What", [None, *ACTIONS], format_func=lambda a: ACTION_LABELS.get(a, "Any")
)
since = right.date_input(
    "Since", value=date.today() - timedelta(days=30), max_value=date.today(), format="DD/MM/YYYY"
)
with reading() as session:
    connection = session.connection()
    rows = audit_frame(connection, actor=actor, action=action, since=since)
    names = audit_names(connection, instruments())
st.write(f"{len(rows):,} entries.")
st.dataframe(
    history_table(rows, names).assign(Entry=rows["row"]),
    hide_index=True,
    width="stretch",
    column_config={
        "What happened": st.column_config.TextColumn(width="large"),
        "Entry": st.column_config.NumberColumn(format="%d", help="Its number in the chain"),
    },
)
st.download_button(
    "Download as CSV",
    audited(viewer, "export", "audit trail (csv)", lambda: audit_csv(rows)),
    file_name="audit-trail.csv",
    mime="text/csv",
    icon=":material/download:",
    help="Every entry as stored, for checking: the raw fields, not the sentences.",
    on_click="ignore",
)
