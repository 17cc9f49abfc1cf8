"""Caseload: my families (or, for a manager, everyone's), which reviews are due and whose
are overdue, and adding, naming, closing or moving a family."""

import pandas as pd
import streamlit as st

from pages.common import (
    family_choices,
    family_picker,
    instruments,
    link_if_open,
    reading,
    require,
    require_page,
    save,
    show_problems,
    today,
    viewer_caseload,
)
from tracker.measures.caseload import (
    DUE_SOON_DAYS,
    STATUS_BASELINE_NEEDED,
    STATUS_DUE_SOON,
    STATUS_OVERDUE,
    overdue_by_worker,
)
from tracker.measures.cohort import filter_choices
from tracker.people.access import allowed
from tracker.records.families import (
    add_family,
    build_family,
    close_family,
    family_by_ref,
    key_workers,
    reassign_family,
    rename_family,
)
from tracker.render.plain_text import markdown_literal
from tracker.store.errors import RecordInvalid
from tracker.store.models import Family, family_label, longest
from tracker.store.vocabulary import AGE_GROUPS, CLOSURE_REASONS, REFERRAL_SOURCES, TIERS_OF_NEED

# Status cells carry words and a colour, so they read in greyscale and for colour-blind users.
STATUS_STYLES = {
    STATUS_OVERDUE: "background-color: #f8d0d0; font-weight: 600",
    STATUS_DUE_SOON: "background-color: #fde3bf",
    STATUS_BASELINE_NEEDED: "background-color: #d6e6f5",
}

# Field names in validation messages, as the add-family form labels them.
ADD_FAMILY_LABELS = {
    "family_ref": "Family reference",
    "short_name": "Short name",
    "area": "Area",
    "tier_of_need": "Tier of need",
    "referral_source": "Referred by",
    "referral_date": "Referral date",
    "age_group": "Age of the youngest child",
    "presenting_issues": "Presenting issues",
    "key_worker": "Key worker",
}

SHORT_NAME_HELP = (
    'What you call the family, such as "Smith household" or initials. Staff see it beside '
    "the reference; it is never published and never goes to researchers."
)
# A save that changes how families are listed reruns the page, and says so at the top.
SAVED = "caseload-saved"

viewer = require_page(__file__)
st.title(
    "Caseload" if viewer.key_worker_id is None else f"{markdown_literal(viewer.name)}'s caseload"
)
if saved := st.session_state.pop(SAVED, None):
    st.success(saved)
# Managers see every worker's families, so which worker holds each, and whose are overdue.
sees_staff = allowed(viewer, "view_staff")

show_closed = st.toggle("Include closed families", value=False)
families = viewer_caseload(viewer, include_closed=show_closed)

overdue = int((families["status"] == STATUS_OVERDUE).sum())
due_soon = int((families["status"] == STATUS_DUE_SOON).sum())
badges = st.container(horizontal=True)
with badges:
    if overdue:
        st.badge(
            f"{overdue} review{'s' if overdue != 1 else ''} overdue",
            color="red",
            icon=":material/warning:",
        )
    if due_soon:
        st.badge(
            f"{due_soon} due in the next {DUE_SOON_DAYS} days",
            color="orange",
            icon=":material/schedule:",
        )
    if not overdue and not due_soon:
        st.badge(
            "No reviews due in the next two weeks", color="green", icon=":material/check_circle:"
        )

if sees_staff and overdue:
    with st.expander("Whose reviews are overdue", icon=":material/group:", expanded=True):
        by_worker = overdue_by_worker(families, today=today())
        labels = family_choices(families)
        # A small table that wraps, so every family shows, on a tablet too.
        st.table(
            pd.DataFrame(
                {
                    "Key worker": by_worker["key_worker"],
                    "Overdue reviews": by_worker["overdue"],
                    "Longest wait (days)": by_worker["longest_days_overdue"],
                    "Families, longest wait first": by_worker["family_refs"].map(
                        lambda refs: ", ".join(labels[ref] for ref in refs)
                    ),
                }
            ),
            hide_index=True,
        )
        st.caption("Pick a key worker under Filter and sort to see their families below.")

with st.expander("Filter and sort", expanded=False):
    left, middle, right = st.columns(3)
    search = left.text_input("Family or short name contains", placeholder="e.g. FAM-0001")
    statuses = middle.multiselect("Review status", sorted(families["status"].unique()))
    tiers = right.multiselect("Tier of need", TIERS_OF_NEED)
    areas = left.multiselect("Area", sorted(families["area"].unique()))
    order = middle.selectbox(
        "Sort by",
        [
            "Most urgent first",
            "Next review date",
            "Family reference",
            "Last assessment (newest first)",
        ],
    )
    # Full width, so a chosen worker's name shows whole on a tablet.
    workers_shown = (
        st.multiselect("Key worker", sorted(families["key_worker"].unique())) if sees_staff else []
    )

shown = families
if search:
    words = search.strip()
    shown = shown[
        shown["family_ref"].str.contains(words, case=False, regex=False)
        | shown["short_name"].fillna("").str.contains(words, case=False, regex=False)
    ]
if statuses:
    shown = shown[shown["status"].isin(statuses)]
if tiers:
    shown = shown[shown["tier_of_need"].isin(tiers)]
if areas:
    shown = shown[shown["area"].isin(areas)]
if workers_shown:
    shown = shown[shown["key_worker"].isin(workers_shown)]
sort_columns = {
    "Next review date": (["next_review_due"], [True]),
    "Family reference": (["family_ref"], [True]),
    "Last assessment (newest first)": (["last_assessed_on"], [False]),
}
if order in sort_columns:
    columns, ascending = sort_columns[order]
    shown = shown.sort_values(columns, ascending=ascending, na_position="last")

short_names = {key: spec.short_name for key, spec in instruments().items()}
named = families["short_name"].notna().any()
table = pd.DataFrame(
    {
        "Family": shown["family_ref"],
        # Blank, not "None", for a family without one; no column while none has one.
        **({"Short name": shown["short_name"].fillna("")} if named else {}),
        **({"Key worker": shown["key_worker"]} if sees_staff else {}),
        "Review": shown["status"],
        "Next review due": pd.to_datetime(shown["next_review_due"]),
        "Last assessment": pd.to_datetime(shown["last_assessed_on"]),
        "Tier": shown["tier_of_need"],
        "Area": shown["area"],
        "Instruments": shown["instruments"].map(
            lambda keys: ", ".join(short_names.get(k, k) for k in keys.split(", ") if k)
        ),
        "Open goals": shown["open_goals"],
        "Overdue": shown["overdue"],
    }
)
st.dataframe(
    table.style.map(lambda status: STATUS_STYLES.get(status, ""), subset=["Review"]),
    hide_index=True,
    width="stretch",
    column_config={
        "Next review due": st.column_config.DateColumn(format="D MMM YYYY"),
        "Last assessment": st.column_config.DateColumn(format="D MMM YYYY"),
        "Overdue": st.column_config.CheckboxColumn(help="The next review date has passed"),
    },
)
st.caption(
    f"{len(shown)} of {len(families)} families shown. Reviews fall due one month after "
    "the baseline, then every three months."
)

if not shown.empty:
    picked = family_picker("Work with a family", family_choices(shown), key="caseload-family")
    links = st.container(horizontal=True)
    with links:
        link_if_open(
            viewer,
            "pages/record_scores.py",
            label="Record scores",
            icon=":material/edit_note:",
            query_params={"family": picked},
        )
        link_if_open(
            viewer,
            "pages/family_journey.py",
            label="See the journey",
            icon=":material/star:",
            query_params={"family": picked},
        )

st.divider()
add_column, close_column = st.columns(2)

with add_column, st.expander("Add a new family", icon=":material/person_add:"):
    with reading() as session:
        workers = key_workers(session.connection())
        known_areas = filter_choices(session.connection())["area"]
    with st.form("add-family", clear_on_submit=False):
        family_ref = st.text_input(
            "Family reference",
            max_chars=longest(Family.family_ref),
            help="A pseudonymous reference, never a name.",
        )
        area = st.selectbox(
            "Area",
            known_areas,
            index=None,
            accept_new_options=True,
            placeholder="Choose or type an area",
        )
        tier = st.selectbox("Tier of need", TIERS_OF_NEED, index=None)
        source = st.selectbox(
            "Referred by",
            REFERRAL_SOURCES,
            index=None,
            accept_new_options=True,
            placeholder="Choose or type",
        )
        referral_date = st.date_input(
            "Referral date", value=today(), max_value=today(), format="DD/MM/YYYY"
        )
        age_group = st.selectbox("Age of the youngest child", AGE_GROUPS, index=None)
        disability = st.radio(
            "A child has a disability", ["Not known", "Yes", "No"], horizontal=True
        )
        short_name = st.text_input(
            "Short name (optional)", max_chars=longest(Family.short_name), help=SHORT_NAME_HELP
        )
        issues = st.text_input(
            "Presenting issues",
            max_chars=longest(Family.presenting_issues),
            placeholder="e.g. school attendance; housing",
        )
        if viewer.key_worker_id is None:
            worker_name = st.selectbox("Key worker", workers["name"].tolist(), index=None)
        else:
            worker_name = None
        consent = st.radio(
            "Consent to share data for research", ["Not asked yet", "Yes", "No"], horizontal=True
        )
        submitted = st.form_submit_button("Add family", type="primary")
    if submitted:
        require("add_family")
        worker_ids = dict(zip(workers["name"], workers["id"], strict=True))

        def add(session) -> None:
            data = build_family(
                family_ref=family_ref,
                short_name=short_name,
                area=area or "",
                tier_of_need=tier or "",
                referral_source=source or "",
                referral_date=referral_date,
                age_group=age_group,
                presenting_issues=issues.strip() or None,
                child_disability={"Yes": True, "No": False}.get(disability),
                consent_to_share={"Yes": True, "No": False}.get(consent),
                consent_on=today() if consent != "Not asked yet" else None,
            )
            key_worker_id = viewer.key_worker_id or (
                int(worker_ids[worker_name]) if worker_name else None
            )
            if key_worker_id is None:
                raise RecordInvalid({"key_worker": "Choose the family's key worker."})
            add_family(session, data=data, key_worker_id=key_worker_id, actor=viewer.actor)

        save(
            add,
            done=f"Added {family_ref.strip()}. Record their baseline next.",
            labels=ADD_FAMILY_LABELS,
        )

with add_column, st.expander("Give a family a short name", icon=":material/badge:"):
    with st.form("name-family"):
        ref = st.selectbox(
            "Family to name",
            families["family_ref"].tolist(),
            index=None,
            format_func=family_choices(families).get,
        )
        new_name = st.text_input(
            "Short name",
            max_chars=longest(Family.short_name),
            help=SHORT_NAME_HELP + " Leave it empty to take a short name away.",
        )
        naming = st.form_submit_button("Save short name")
    if naming:
        if ref is None:
            show_problems({"family": "Choose the family to name."})
        else:
            with reading() as session:
                family = family_by_ref(session.connection(), ref)
            require("edit_family", family=family)

            def renamed() -> None:
                label = family_label(ref, new_name.strip())
                st.session_state[SAVED] = (
                    f"{ref} is now shown as {label}."
                    if new_name.strip()
                    else f"{ref} has no short name now."
                )
                st.rerun()

            save(
                lambda session: rename_family(
                    session, family_id=family.id, short_name=new_name, actor=viewer.actor
                ),
                done=renamed,
                labels={"short_name": "Short name"},
            )

if allowed(viewer, "close_family"):
    with close_column, st.expander("Close a family's case", icon=":material/task_alt:"):
        open_refs = families.loc[families["closed_on"].isna(), "family_ref"].tolist()
        with st.form("close-family"):
            ref = st.selectbox("Family", open_refs, index=None)
            closed_on = st.date_input(
                "Closing date", value=today(), max_value=today(), format="DD/MM/YYYY"
            )
            reason = st.selectbox(
                "How did it end?",
                list(CLOSURE_REASONS),
                format_func=CLOSURE_REASONS.get,
                index=None,
            )
            note = st.text_area(
                "Why? (needed unless the plan was wholly achieved)",
                max_chars=longest(Family.closure_note),
            )
            closing = st.form_submit_button("Close case")
        if closing:
            if ref is None:
                show_problems({"family": "Choose the family to close."})
            else:
                with reading() as session:
                    family = family_by_ref(session.connection(), ref)
                require("close_family", family=family)
                save(
                    lambda session: close_family(
                        session,
                        actor=viewer.actor,
                        family_id=family.id,
                        closed_on=closed_on,
                        closure_reason=reason or "",
                        closure_note=note,
                        today=today(),
                    ),
                    # Without a reason the save is refused, and this is never shown.
                    done=f"Closed {ref}: {CLOSURE_REASONS.get(reason, '').lower()}.",
                )

if allowed(viewer, "reassign_family"):
    with (
        close_column,
        st.expander("Move a family to another key worker", icon=":material/swap_horiz:"),
    ):
        open_refs = families.loc[families["closed_on"].isna(), "family_ref"].tolist()
        with reading() as session:
            workers = key_workers(session.connection())
        with st.form("reassign-family"):
            ref = st.selectbox("Family to move", open_refs, index=None)
            worker_name = st.selectbox("New key worker", workers["name"].tolist(), index=None)
            moving = st.form_submit_button("Move family")
        if moving:
            if ref is None or worker_name is None:
                show_problems(
                    {
                        key: text
                        for key, text, chosen in (
                            ("family", "Choose the family to move.", ref),
                            ("key_worker", "Choose the new key worker.", worker_name),
                        )
                        if chosen is None
                    }
                )
            else:
                with reading() as session:
                    family = family_by_ref(session.connection(), ref)
                require("reassign_family", family=family)
                worker_ids = dict(zip(workers["name"], workers["id"], strict=True))
                save(
                    lambda session: reassign_family(
                        session,
                        family_id=family.id,
                        key_worker_id=int(worker_ids[worker_name]),
                        actor=viewer.actor,
                    ),
                    done=f"{ref} is now on {worker_name}'s caseload.",
                )
