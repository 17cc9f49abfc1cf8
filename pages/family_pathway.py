"""The journey page's "Referral pathway": the panel's dates, the multi-agency package, what
became of the referral and the first contact. Not a page: pages/family_journey.py draws it.
"""

from __future__ import annotations

import streamlit as st

from pages.common import require, save, today
from tracker.people.access import AccessDenied, Viewer, authorise
from tracker.records.pathway import agency_list, pathway_of, update_pathway
from tracker.store.models import Family, longest
from tracker.store.vocabulary import REFERRAL_OUTCOMES

LABELS = {
    "panel_referral_on": "Referred to panel on",
    "panel_decision_on": "Panel decided on",
    "first_contact_on": "First contact on",
    "referral_outcome": "Referral outcome",
    "signposted_to": "Signposted to",
    "multi_agency_package": "Multi-agency package",
    "agencies": "Agencies in the package",
    "family": "Referral pathway",
}
ANSWERS = {None: "Not recorded", True: "Yes", False: "No"}
SAVED = "pathway-saved"


def pathway_section(viewer: Viewer, family: Family) -> None:
    """The section, for those the policy lets record this family's pathway."""
    try:
        authorise(viewer, "edit_pathway", family=family)
    except AccessDenied:
        return
    # What this person was shown, for the save to check against: on the run a submit starts
    # the family has been read afresh, so the check uses what the previous run showed.
    seen_key = f"pathway-seen-{family.id}"
    shown = pathway_of(family)
    seen = st.session_state.get(seen_key, shown)
    st.session_state[seen_key] = shown
    with st.expander("Referral pathway", icon=":material/route:", key="referral-pathway"):
        saved = st.session_state.pop(SAVED, None)
        if saved and saved[0] == family.id:
            st.success(saved[1], icon=":material/check_circle:")
        fields = _form(family)
        if fields is None:
            return
        require("edit_pathway", family=family)

        def write(session) -> None:
            changed = update_pathway(session, viewer, family.id, fields, today=today(), seen=seen)
            words = "Referral pathway saved." if changed else "Nothing had changed."
            st.session_state[SAVED] = (family.id, words)

        save(write, done=st.rerun, labels=LABELS)


def _form(family: Family) -> dict | None:
    """The form, filled with what is stored; its answers once Save is pressed."""
    key = f"pathway-{family.id}"
    with st.form(key):
        st.caption(
            "For the report card: panel referrals, multi-agency packages, referrals that were "
            "not for this service, and how soon the family was first contacted."
        )
        left, middle, right = st.columns(3)
        dates = {
            field: column.date_input(
                LABELS[field],
                value=getattr(family, field),
                max_value=today(),
                format="DD/MM/YYYY",
                key=f"{key}-{field}",
            )
            for column, field in zip(
                (left, middle, right),
                ("panel_referral_on", "panel_decision_on", "first_contact_on"),
                strict=True,
            )
        }
        outcomes = [None, *REFERRAL_OUTCOMES]
        outcome = st.radio(
            LABELS["referral_outcome"],
            outcomes,
            index=outcomes.index(family.referral_outcome),
            format_func=lambda value: REFERRAL_OUTCOMES.get(value, "Not recorded"),
            horizontal=True,
            key=f"{key}-outcome",
        )
        signposted = st.text_input(
            "Signposted to (for an inappropriate referral)",
            value=family.signposted_to or "",
            max_chars=longest(Family.signposted_to),
            key=f"{key}-signposted",
        )
        package = st.radio(
            LABELS["multi_agency_package"],
            list(ANSWERS),
            index=list(ANSWERS).index(family.multi_agency_package),
            format_func=ANSWERS.get,
            horizontal=True,
            key=f"{key}-package",
        )
        agencies = st.text_area(
            "Agencies in the package (one per line)",
            value="\n".join(agency_list(family.agencies)),
            max_chars=longest(Family.agencies),
            key=f"{key}-agencies",
        )
        if not st.form_submit_button("Save pathway", type="primary"):
            return None
    return {
        **dates,
        "referral_outcome": outcome,
        "signposted_to": signposted,
        "multi_agency_package": package,
        "agencies": agencies,
    }
