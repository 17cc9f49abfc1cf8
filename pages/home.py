"""Home: what the store holds and where to go next."""

import streamlit as st

from pages.common import (
    CACHE_TTL_SECONDS,
    app_page,
    engine,
    link_if_open,
    may_open,
    reading,
    require_page,
    today,
    viewer_caseload,
)
from tracker.measures.caseload import STATUS_DUE_SOON, STATUS_OVERDUE
from tracker.measures.overview import service_overview
from tracker.people.access import Viewer, allowed
from tracker.records.closure_audits import outstanding_audits
from tracker.render.plain_text import markdown_literal
from tracker.store.models import family_label
from tracker.store.settings import get_settings


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def overview(database_url: str) -> dict[str, int]:
    del database_url  # part of the cache key: one cache entry per store
    with engine().connect() as connection:
        return service_overview(connection)


# How many waiting closure audits Home names one by one; the rest are counted.
AUDITS_LISTED = 5


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def closure_audits_waiting(viewer: Viewer) -> None:
    """For managers: the closure audits waiting, each with its age, and the way to them."""
    if not allowed(viewer, "quality_assurance"):
        return
    with reading() as session:
        waiting = outstanding_audits(session.connection(), today=today())
    st.subheader(f"Closure audits waiting: {len(waiting)}")
    if waiting.empty:
        st.write("Every case closed without its plan wholly achieved has been audited.")
        return
    oldest = int(waiting["age_days"].max())
    st.write(f"The oldest has waited {_days(oldest)}.")
    lines = [
        f"- {markdown_literal(family_label(row.family_ref, row.short_name))}, closed "
        f"{row.closed_on:%d %b %Y}: waiting {_days(int(row.age_days))}"
        for row in waiting.head(AUDITS_LISTED).itertuples(index=False)
    ]
    if len(waiting) > AUDITS_LISTED:
        lines.append(f"- and {len(waiting) - AUDITS_LISTED} more")
    st.markdown("\n".join(lines))
    link_if_open(
        viewer,
        "pages/quality.py",
        label="Complete them in Quality assurance",
        icon=":material/fact_check:",
    )


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
    closure_audits_waiting(viewer)
