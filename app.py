"""Distance Travelled: the Streamlit entry point.

Page config and the database connection live here; everything the page
shows comes from the ``tracker`` package.
"""

import streamlit as st

from tracker.db import make_engine
from tracker.overview import service_overview

st.set_page_config(page_title="Distance Travelled", page_icon="⭐", layout="wide")


@st.cache_resource
def get_engine():
    return make_engine()


@st.cache_data(ttl=30)
def overview() -> dict[str, int]:
    with get_engine().connect() as connection:
        return service_overview(connection)


st.title("Distance Travelled")
st.caption("How far families have come with early help, in their own and their key worker's view.")
counts = overview()
columns = st.columns(4)
columns[0].metric("Families", counts["families"])
columns[1].metric("Open cases", counts["open_families"])
columns[2].metric("Key workers", counts["key_workers"])
columns[3].metric("Assessments", counts["assessments"])
if not counts["families"]:
    st.info("No families yet. Run `tracker init --sample` to load the sample cohort.")
