"""The "Team feedback" tab of Quality assurance: a key worker's or panel member's answers to
the period's questionnaire, entered by a manager, and what has been recorded so far.
Not a page: pages/quality.py draws it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import reading, require, save, show_table, today
from tracker.people.access import Viewer
from tracker.records.stakeholder_feedback import Questionnaire, add_feedback, feedback_by_period
from tracker.store.models import StakeholderFeedback, longest
from tracker.store.vocabulary import FEEDBACK_SCALE, STAKEHOLDER_ROLES

QUESTIONS = {
    "pathway_score": "How well did the referral pathway work?",
    "multi_agency_score": "How good was multi-agency working?",
}
LABELS = {
    "period_start": "Feedback period from",
    "period_end": "Feedback period to",
    "role": "Who answered",
    "respondent": "Name or initials",
    "comment": "Comment",
    **QUESTIONS,
}
SAVED = "feedback-saved"
# The form's boxes, emptied once its answers are saved (kept when a box needs fixing).
FIELDS = ("start", "end", "role", "respondent", *QUESTIONS, "comment")


def _rating(point: int) -> str:
    return f"{point} {FEEDBACK_SCALE[point]}"


def feedback_tab(viewer: Viewer) -> None:
    """The form, then the table of questionnaires by period and role."""
    st.write(
        "Key workers and panel members answer a short questionnaire each period. Enter each "
        "person's answers here, or import them as stakeholder_feedback.csv on Import and export."
    )
    if message := st.session_state.pop(SAVED, None):
        for field in FIELDS:
            st.session_state.pop(f"feedback-{field}", None)
        st.success(message, icon=":material/check_circle:")
    with st.form("stakeholder-feedback"):
        left, right = st.columns(2)
        start = left.date_input(
            LABELS["period_start"],
            value=None,
            max_value=today(),
            format="DD/MM/YYYY",
            key="feedback-start",
        )
        end = right.date_input(
            LABELS["period_end"],
            value=None,
            max_value=today(),
            format="DD/MM/YYYY",
            key="feedback-end",
        )
        role = st.radio(
            LABELS["role"],
            list(STAKEHOLDER_ROLES),
            format_func=STAKEHOLDER_ROLES.get,
            index=None,
            horizontal=True,
            key="feedback-role",
        )
        respondent = st.text_input(
            "Name or initials (optional)",
            max_chars=longest(StakeholderFeedback.respondent),
            key="feedback-respondent",
        )
        ratings = {
            field: st.radio(
                question,
                list(FEEDBACK_SCALE),
                format_func=_rating,
                index=None,
                horizontal=True,
                key=f"feedback-{field}",
            )
            for field, question in QUESTIONS.items()
        }
        comment = st.text_area(
            "Comment (optional)",
            max_chars=longest(StakeholderFeedback.comment),
            key="feedback-comment",
        )
        submitted = st.form_submit_button("Save the answers", type="primary")
    if submitted:
        require("quality_assurance")
        answers = Questionnaire(
            period_start=start,
            period_end=end,
            role=role,
            respondent=respondent,
            comment=comment,
            **ratings,
        )

        def done() -> None:
            who = STAKEHOLDER_ROLES[role].lower()
            st.session_state[SAVED] = (
                f"Saved a {who}'s answers for {start:%d %b %Y} to {end:%d %b %Y}."
            )
            st.rerun()

        save(
            lambda session: add_feedback(session, viewer, answers, today=today()),
            done=done,
            labels=LABELS,
        )
    _recorded()


def _recorded() -> None:
    with reading() as session:
        rows = feedback_by_period(session.connection())
    st.header("Recorded so far")
    if rows.empty:
        st.caption("No questionnaires recorded yet.")
        return
    table = pd.DataFrame(
        {
            "Period": [
                f"{start:%d %b %Y} to {end:%d %b %Y}"
                for start, end in zip(rows["period_start"], rows["period_end"], strict=True)
            ],
            "Who": rows["role"].map(STAKEHOLDER_ROLES),
            "Name or initials": rows["respondent"],
            "Pathway": rows["pathway_score"].map(_rating),
            "Multi-agency working": rows["multi_agency_score"].map(_rating),
            "Comment": rows["comment"],
        }
    )
    show_table(table)
