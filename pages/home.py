"""Home: what the store holds and where to go next."""

import streamlit as st

from pages.common import (
    CACHE_TTL_SECONDS,
    app_page,
    engine,
    link_if_open,
    may_open,
    require_page,
    viewer_caseload,
)
from tracker.measures.caseload import STATUS_DUE_SOON, STATUS_OVERDUE
from tracker.measures.overview import service_overview
from tracker.render.plain_text import markdown_literal
from tracker.store.settings import get_settings


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def overview(database_url: str) -> dict[str, int]:
    del database_url  # part of the cache key: one cache entry per store
    with engine().connect() as connection:
        return service_overview(connection)


viewer = require_page(__file__)
st.title("Distance Travelled")
st.caption("How far families have come with early help, in their own and their key worker's view.")
counts = overview(get_settings().database_url)
columns = st.columns(4)
columns[0].metric("Families", counts["families"])
columns[1].metric("Open cases", counts["open_families"])
columns[2].metric("Key workers", counts["key_workers"])
columns[3].metric("Assessments", counts["assessments"])
if not counts["families"]:
    st.info("No families yet. Run `tracker init --sample` to load the sample cohort.")

if not may_open(viewer, app_page("pages/caseload.py")):
    st.header(f"Hello, {markdown_literal(viewer.name.split(' ')[0])}")
    for page, label in (
        ("pages/cohort.py", "Cohort: distance travelled"),
        ("pages/report_card.py", "Report card"),
        ("pages/admin.py", "Administration"),
        ("pages/audit.py", "Audit trail"),
    ):
        link_if_open(viewer, page, label=label)
else:
    mine = viewer_caseload(viewer)
    overdue = int((mine["status"] == STATUS_OVERDUE).sum())
    due_soon = int((mine["status"] == STATUS_DUE_SOON).sum())
    st.header(
        f"Hello, {markdown_literal(viewer.name.split(' ')[0])}"
        if viewer.key_worker_id
        else "Your service"
    )
    st.write(f"{len(mine)} open families on {'your' if viewer.key_worker_id else 'the'} caseload.")
    badges = st.container(horizontal=True)
    if overdue:
        badges.badge(
            f"{overdue} review{'s' if overdue != 1 else ''} overdue",
            color="red",
            icon=":material/warning:",
        )
    if due_soon:
        badges.badge(
            f"{due_soon} due in the next 14 days", color="orange", icon=":material/schedule:"
        )
    st.page_link("pages/caseload.py", label="Open the caseload", icon=":material/groups:")
