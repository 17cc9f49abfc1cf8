"""Efficiency: the managers' second dashboard beside the report card's outcomes — open
cases per key worker, cases closed per month and reviews overdue per worker."""

import pandas as pd
import streamlit as st

from pages.common import (
    family_choices,
    reading,
    require_page,
    table_downloads,
    today,
    viewer_caseload,
)
from tracker.measures.caseload import DUE_SOON_DAYS, overdue_by_worker
from tracker.measures.efficiency import (
    CLOSURE_GROUPS,
    MONTHS_SHOWN,
    NOT_WHOLLY_ACHIEVED,
    closed_per_month,
    closures,
    open_cases_by_worker,
)
from tracker.render.efficiency_charts import closures_chart
from tracker.store.settings import get_settings
from tracker.store.vocabulary import CLOSURE_REASONS

viewer = require_page(__file__)
day = today()
min_group = get_settings().min_group
st.title("Efficiency")
st.caption(
    f"How the work is spread and how it flows, on {day:%d %b %Y}. For managers: these "
    "figures name key workers, so they are never published. Outcomes are on the Report card."
)
families = viewer_caseload(viewer, include_closed=True)
# The tables are small and wrap (st.table), so every column and row shows on a tablet too.


def notes(what: str) -> tuple[str, ...]:
    return (what, f"Made on {day:%d %b %Y} for managers; it names key workers.")


st.header("Open cases per key worker")
st.caption(
    "Each key worker's open cases, and how many of them still need a baseline, are past "
    f"their review date or fall due in the next {DUE_SOON_DAYS} days."
)
by_worker = open_cases_by_worker(families)
if by_worker.empty:
    st.info("There are no open cases.")
else:
    open_table = pd.DataFrame(
        {
            "Key worker": by_worker["key_worker"],
            "Open cases": by_worker["open_cases"],
            "Baseline needed": by_worker["baseline_needed"],
            "Review overdue": by_worker["overdue"],
            f"Due in {DUE_SOON_DAYS} days": by_worker["due_soon"],
        }
    )
    st.table(open_table, hide_index=True)
    st.caption(f"{int(by_worker['open_cases'].sum())} open cases in all.")
    table_downloads(
        open_table, "efficiency-open-cases", min_group, notes("Open cases per key worker.")
    )

st.header("Cases closed per month")
st.caption(
    f"Cases closed in each of the last {MONTHS_SHOWN} months, this month so far included, "
    f"by how they ended. Each case in “{NOT_WHOLLY_ACHIEVED}” ("
    + "; ".join(CLOSURE_REASONS[key].lower() for key in CLOSURE_GROUPS[NOT_WHOLLY_ACHIEVED])
    + ") gets a closure audit."
)
with reading() as session:
    per_month = closed_per_month(closures(session.connection(), viewer), today=day)
month_table = pd.DataFrame(
    {
        "Month": per_month["month"].dt.strftime("%b %Y"),
        **{group: per_month[group] for group in CLOSURE_GROUPS},
        "Total": per_month["total"],
    }
)
if per_month["total"].sum():
    st.plotly_chart(closures_chart(per_month), width="stretch")
st.table(month_table, hide_index=True)
table_downloads(
    month_table,
    "efficiency-closed-per-month",
    min_group,
    notes(f"Cases closed per month, the last {MONTHS_SHOWN} months, by how they ended."),
)

st.header("Reviews overdue per key worker")
st.caption(
    "Whose reviews are past their date, most first, as on the Caseload page: reviews fall "
    "due one month after the baseline, then every three months."
)
overdue = overdue_by_worker(families, today=day)
if overdue.empty:
    st.success("No reviews are overdue.", icon=":material/check_circle:")
else:
    labels = family_choices(families)
    overdue_table = pd.DataFrame(
        {
            "Key worker": overdue["key_worker"],
            "Overdue reviews": overdue["overdue"],
            "Longest wait (days)": overdue["longest_days_overdue"],
            "Families, longest wait first": overdue["family_refs"].map(
                lambda refs: ", ".join(labels[ref] for ref in refs)
            ),
        }
    )
    st.table(overdue_table, hide_index=True)
    table_downloads(
        overdue_table,
        "efficiency-reviews-overdue",
        min_group,
        notes("Reviews overdue per key worker."),
    )
