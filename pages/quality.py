"""Quality assurance: closure audits, the case-file sample and the team's feedback.

Managers only (``quality_assurance``). Each tab's writes re-check the role in tracker.
"""

import pandas as pd
import streamlit as st

from pages.common import reading, require_page, save, today
from pages.quality_feedback import feedback_tab
from pages.quality_sampling import sampling_tab
from tracker.people.access import Viewer
from tracker.records.closure_audits import (
    COMMENT_FIELDS,
    COMMENT_MOST,
    SCORE_FIELDS,
    complete_audit,
    completed_audits,
    outstanding_audits,
)
from tracker.render.plain_text import markdown_literal
from tracker.store.models import family_label
from tracker.store.vocabulary import (
    AUDIT_SCALE,
    CLOSURE_AUDIT_HEADINGS,
    CLOSURE_AUDIT_QUESTIONS,
    CLOSURE_REASONS,
)

# Said once, after the rerun that takes a completed audit off the list.
DONE = "closure-audit-done"


def _label(row) -> str:
    return f"{family_label(row.family_ref, row.short_name)}, closed {row.closed_on:%d %b %Y}"


def _waiting_table(waiting: pd.DataFrame) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "Family": [
                    family_label(ref, name)
                    for ref, name in zip(waiting["family_ref"], waiting["short_name"], strict=True)
                ],
                "Closed on": [f"{day:%d %b %Y}" for day in waiting["closed_on"]],
                "How it ended": [CLOSURE_REASONS.get(r, "") for r in waiting["closure_reason"]],
                "Waiting (days)": waiting["age_days"],
            }
        ),
        hide_index=True,
    )


def _audit_form(viewer: Viewer, audit) -> None:
    """One question per row: a score on the short scale and a comment."""
    with st.form(f"closure-audit-{audit.id}"):
        reason = CLOSURE_REASONS.get(audit.closure_reason, "").lower()
        st.markdown(f"**Audit of {markdown_literal(_label(audit))}: {reason}**")
        answers = {}
        for key, question in CLOSURE_AUDIT_QUESTIONS.items():
            answers[SCORE_FIELDS[key]] = st.radio(
                question,
                list(AUDIT_SCALE),
                format_func=lambda score: f"{score} · {AUDIT_SCALE[score]}",
                index=None,
                horizontal=True,
                key=f"audit-{audit.id}-{key}-score",
            )
            answers[COMMENT_FIELDS[key]] = st.text_area(
                f"Comment: {CLOSURE_AUDIT_HEADINGS[key].lower()}",
                max_chars=COMMENT_MOST,
                key=f"audit-{audit.id}-{key}-comment",
                height=80,
            )
        completing = st.form_submit_button(
            "Complete audit", type="primary", key=f"complete-audit-{audit.id}"
        )
    if completing:

        def done() -> None:
            st.session_state[DONE] = (
                f"Closure audit of {markdown_literal(_label(audit))} completed."
            )
            st.rerun()

        save(
            lambda session: complete_audit(session, viewer, int(audit.id), answers, audit.version),
            done=done,
        )


def _completed(done: pd.DataFrame) -> None:
    st.header(f"Completed ({len(done)})")
    if done.empty:
        st.caption("None completed yet.")
        return
    table = pd.DataFrame(
        {
            "Family": [
                family_label(ref, name)
                for ref, name in zip(done["family_ref"], done["short_name"], strict=True)
            ],
            "Closed on": [f"{day:%d %b %Y}" for day in done["closed_on"]],
            "Completed": [f"{pd.Timestamp(at):%d %b %Y}" for at in done["completed_at"]],
            "By": done["completed_by"],
        }
    )
    for key, heading in CLOSURE_AUDIT_HEADINGS.items():
        table[heading] = [AUDIT_SCALE.get(score, "") for score in done[SCORE_FIELDS[key]]]
    st.dataframe(table, hide_index=True)
    rows = {row.id: row for row in done.itertuples(index=False)}
    chosen = st.selectbox(
        "Read a completed audit's comments",
        list(rows),
        format_func=lambda audit_id: _label(rows[audit_id]),
        index=None,
    )
    if chosen is not None:
        for key, question in CLOSURE_AUDIT_QUESTIONS.items():
            score = AUDIT_SCALE.get(getattr(rows[chosen], SCORE_FIELDS[key]), "")
            st.markdown(f"**{question}** {score}")
            st.text(getattr(rows[chosen], COMMENT_FIELDS[key]) or "No comment.")


def closure_audits_tab(viewer: Viewer) -> None:
    st.caption(
        "Every case that closes without its plan wholly achieved is audited, to learn why. "
        "Score each question from 1 (not at all) to 4 (fully) and say why in the comment."
    )
    if message := st.session_state.pop(DONE, None):
        st.success(message)
    with reading() as session:
        waiting = outstanding_audits(session.connection(), today=today())
        done = completed_audits(session.connection())
    st.header(f"Waiting ({len(waiting)})")
    if waiting.empty:
        st.info("No closure audits are waiting.")
    else:
        _waiting_table(waiting)
        rows = {row.id: row for row in waiting.itertuples(index=False)}
        chosen = st.selectbox(
            "Audit to complete",
            list(rows),
            format_func=lambda audit_id: _label(rows[audit_id]),
            key="audit-to-complete",
        )
        _audit_form(viewer, rows[chosen])
    _completed(done)


viewer = require_page(__file__)
st.title("Quality assurance")
audits_tab, sample_tab, feedback_tab_ = st.tabs(
    ["Closure audits", "Case-file sample", "Team feedback"]
)
with audits_tab:
    closure_audits_tab(viewer)
with sample_tab:
    sampling_tab(viewer)
with feedback_tab_:
    feedback_tab(viewer)
