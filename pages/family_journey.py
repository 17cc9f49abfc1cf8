"""Family journey: the star, what changed, goals and notes, and a summary for the family."""

from datetime import date

import pandas as pd
import streamlit as st

from pages.common import (
    audited,
    chosen_family,
    instruments,
    reading,
    record_view,
    require,
    require_page,
    save,
    today,
)
from pages.family_invitations import ask_the_family
from pages.family_pathway import pathway_section
from tracker.measures.audit_names import audit_names
from tracker.measures.journey import (
    build_journey,
    compared_days,
    family_scores,
    overall_over_time,
    progress,
    values_by_assessment,
    views_differ,
)
from tracker.people.audit import audit_frame
from tracker.records.families import (
    add_goal,
    add_note,
    before_referral,
    goals,
    notes,
    update_goal,
)
from tracker.render.charts import (
    StarTrace,
    numbered_spokes,
    overall_line,
    spoke_key,
    star_chart,
)
from tracker.render.history_text import sentence
from tracker.render.journey_tables import (
    change_table,
    every_assessment,
    family_view_names,
    self_completed_lines,
)
from tracker.render.plain_text import markdown_literal
from tracker.render.summary import family_summary_html
from tracker.store.errors import RecordInvalid
from tracker.store.models import FamilyNote, PlanGoal, longest
from tracker.store.vocabulary import CLOSURE_REASONS, GOAL_STATUSES, RATER_NAMES

viewer = require_page(__file__)
st.title("Family journey")
family = chosen_family(viewer, "view_family")
if family is None:
    st.stop()
record_view(viewer, family)

facts = [family.tier_of_need, family.area, f"referred {family.referral_date:%d %b %Y}"]
if family.closed_on:
    facts.append(
        f"closed {family.closed_on:%d %b %Y}: "
        f"{CLOSURE_REASONS.get(family.closure_reason, '').lower()}"
    )
st.caption(" · ".join(facts))

available = instruments()
with reading() as session:
    connection = session.connection()
    scores_by_instrument = {key: family_scores(connection, family.id, key) for key in available}
    family_goals = goals(connection, family.id)
    family_notes = notes(connection, family.id)
    changes = audit_frame(connection, family_id=family.id, leave_out=("view",))
    names = audit_names(connection, available, family_id=family.id)
used = [key for key, frame in scores_by_instrument.items() if not frame.empty]
ask_the_family(viewer, family, available, used)
pathway_section(viewer, family)

# After a save the page is drawn afresh; the confirmation waits here for the tab it is
# about, with the form (now saved) to empty.
SAVED = "journey-saved"
FORMS = {
    "goal": {"goal-text": "", "goal-area": None, "goal-date": None},
    "note": {"note-text": "", "note-date": None},
}


def saved(form: str, message: str) -> None:
    st.session_state[SAVED] = (form, message)
    st.session_state.pop(f"ask-{form}", None)
    st.rerun()


def show_saved(form: str) -> None:
    """The last save's confirmation, once, in its own tab; its form starts empty again."""
    if (st.session_state.get(SAVED) or ("",))[0] != form:
        return
    _, message = st.session_state.pop(SAVED)
    for key, empty in FORMS.get(form, {}).items():
        st.session_state[key] = today() if key.endswith("-date") else empty
    st.success(message, icon=":material/check_circle:")


def save_dated(form: str, day: date, write, message: str, labels: dict[str, str]) -> None:
    """Save now, or first ask (``confirm_date``) when the date is before the referral."""
    question = before_referral(family, day, form)
    if question:
        st.session_state[f"ask-{form}"] = {"question": question, "day": day}
        return
    save(lambda session: write(session, False), done=lambda: saved(form, message), labels=labels)


def confirm_date(form: str, write, message: str, labels: dict[str, str]) -> None:
    """The question about an early date, until the worker answers it."""
    asked = st.session_state.get(f"ask-{form}")
    if not asked:
        return
    st.warning(asked["question"], icon=":material/event:")
    answers = st.container(horizontal=True)
    if answers.button(f"Yes, save the {form}", key=f"ask-{form}-yes", type="primary"):
        require("edit_family", family=family)
        save(lambda session: write(session, True), done=lambda: saved(form, message), labels=labels)
    if answers.button("No, let me change the date", key=f"ask-{form}-no"):
        st.session_state.pop(f"ask-{form}")
        st.rerun()


star_tab, goals_tab, notes_tab, summary_tab, history_tab = st.tabs(
    ["Star and changes", "Goals", "Notes", "Family summary", "History"]
)

journey = None
with star_tab:
    if not used:
        st.info("No scores yet. Record a baseline to start the star.")
    else:
        key = st.selectbox("Instrument", used, format_func=lambda k: available[k].name)
        instrument = available[key]
        scores = scores_by_instrument[key]
        journey = build_journey(scores, instrument)
        values = values_by_assessment(scores)
        traces = [
            StarTrace(
                f"{row.label} ({row.assessed_on:%d %b %Y}, {RATER_NAMES[row.rater]})",
                values[row.assessment_id],
            )
            for row in journey.timeline.itertuples(index=False)
        ]
        own_views = scores[scores["rater"] == "family"]
        has_family_view = not own_views.empty
        show_family = st.toggle(
            "Show the family's own ratings too",
            # On when the family sent a view from their own phone: that is why it is here.
            value=bool(own_views["self_completed"].any()),
            disabled=not has_family_view,
            help=None
            if has_family_view
            else "The family has not scored themselves on this tool yet.",
        )
        highlight = None
        own_names = {}
        if show_family:
            own_names = family_view_names(build_journey(scores, instrument, raters=("family",)))
            traces += [
                StarTrace(name, values[assessment_id], family_view=True)
                for assessment_id, name in own_names.items()
            ]
            highlight = views_differ(scores)
        st.plotly_chart(
            star_chart(traces, instrument, title=instrument.name, highlight=highlight),
            width="stretch",
        )
        for line in self_completed_lines(scores, own_names):
            st.caption(line)
        if numbered_spokes(instrument):
            st.caption(f"The areas: {spoke_key(instrument)}.")
        st.caption("An area not scored leaves a gap in its shape.")
        if highlight:
            labels = {d.key: d.label for d in instrument.domains}
            own_day, other_day = compared_days(scores)
            st.info(
                f"The family ({own_day:%d %b %Y}) and the worker ({other_day:%d %b %Y}) "
                "see these differently, 2 or more points apart: "
                + ", ".join(labels[k] for k in highlight)
                + ". Worth talking through."
            )
        st.header("What changed")
        if journey.latest_id is None:
            st.caption("Only the baseline so far: changes appear after the first review.")
        else:
            st.caption("From the baseline to the latest assessment; + means better.")
        # A plain table wraps long area names, so nothing is cut off on a tablet.
        st.table(change_table(journey, instrument), hide_index=True)
        if len(journey.columns) > 2:
            with st.expander("Every assessment, side by side"):
                st.dataframe(
                    every_assessment(journey, instrument),
                    hide_index=True,
                    width="stretch",
                    height="content",
                    column_config={"Area": st.column_config.TextColumn(pinned=True)},
                )
        points = overall_over_time(scores, journey.timeline)
        if len(points) >= 2:
            st.plotly_chart(overall_line(points, instrument), width="stretch")

with goals_tab:
    show_saved("goal")
    if family_goals.empty:
        st.caption("No plan goals yet.")
    else:
        st.table(
            {
                "Goal": family_goals["text"].tolist(),
                "Status": family_goals["status"].map(GOAL_STATUSES).tolist(),
                "Set on": [f"{day:%d %b %Y}" for day in family_goals["set_on"]],
                "Status since": [
                    "" if pd.isna(day) else f"{day:%d %b %Y}" for day in family_goals["status_on"]
                ],
            },
            hide_index=True,
        )
    left, right = st.columns(2)
    goal_labels = {"text": "Goal", "set_on": "Agreed on"}
    with left:
        with st.form("add-goal"):
            st.markdown("**Add a goal**")
            text = st.text_input(
                "Goal, in the family's words", max_chars=longest(PlanGoal.text), key="goal-text"
            )
            domain_options = {
                d.key: d.label for k in (used or list(available)) for d in available[k].domains
            }
            domain = st.selectbox(
                "Area it belongs to (optional)",
                list(domain_options),
                format_func=domain_options.get,
                index=None,
                key="goal-area",
            )
            st.session_state.setdefault("goal-date", today())
            set_on = st.date_input(
                "Agreed on", max_value=today(), format="DD/MM/YYYY", key="goal-date"
            )
            added = st.form_submit_button("Add goal")

        def write_goal(session, confirmed: bool) -> None:
            add_goal(
                session,
                family_id=family.id,
                text=text,
                domain=domain,
                set_on=set_on,
                today=today(),
                actor=viewer.actor,
                date_confirmed=confirmed,
            )

        goal_saved = f"Goal added: “{text.strip()}”, agreed on {set_on:%d %b %Y}."
        if added:
            require("edit_family", family=family)
            save_dated("goal", set_on, write_goal, goal_saved, goal_labels)
        confirm_date("goal", write_goal, goal_saved, goal_labels)
    if not family_goals.empty:
        # The versions this person saw: on the run a submit starts, the page has already read
        # the goals afresh, so the check must use what the previous run showed.
        versions_key = f"goal-versions-{family.id}"
        shown_versions = dict(zip(family_goals["id"], family_goals["version"], strict=True))
        seen_versions = st.session_state.get(versions_key, shown_versions)
        st.session_state[versions_key] = shown_versions
        texts = dict(zip(family_goals["id"], family_goals["text"], strict=True))
        with right, st.form("update-goal"):
            st.markdown("**Update a goal**")
            goal_id = st.selectbox("Goal", list(texts), format_func=texts.get)
            status = st.selectbox("Status", list(GOAL_STATUSES), format_func=GOAL_STATUSES.get)
            status_on = st.date_input(
                "As of", value=today(), max_value=today(), format="DD/MM/YYYY"
            )
            if st.form_submit_button("Update goal"):
                require("edit_family", family=family)

                def change_status(session) -> None:
                    goal = session.get(PlanGoal, goal_id)
                    if goal is None or goal.family_id != family.id:
                        raise RecordInvalid({"goal": "That goal is not this family's."})
                    update_goal(
                        session,
                        goal=goal,
                        status=status,
                        status_on=status_on,
                        today=today(),
                        actor=viewer.actor,
                        expected_version=seen_versions.get(goal_id),
                    )

                save(
                    change_status,
                    done=lambda: saved(
                        "goal",
                        f"Goal updated: “{texts[goal_id]}” is now {GOAL_STATUSES[status].lower()}.",
                    ),
                    labels={"status_on": "As of"},
                )

with notes_tab:
    show_saved("note")
    timeline_rows = [
        (row.written_on, row.author or "", row.text) for row in family_notes.itertuples(index=False)
    ]
    for key in used:
        frame = scores_by_instrument[key]
        labels = {d.key: d.label for d in available[key].domains}
        for row in frame.dropna(subset=["note"]).itertuples(index=False):
            timeline_rows.append(
                (row.assessed_on, "score note", f"{labels.get(row.domain, row.domain)}: {row.note}")
            )
    timeline_rows.sort(key=lambda item: item[0], reverse=True)
    note_labels = {"text": "New note", "written_on": "Date"}
    with st.form("add-note"):
        note_text = st.text_area("New note", max_chars=longest(FamilyNote.text), key="note-text")
        st.session_state.setdefault("note-date", today())
        written_on = st.date_input("Date", max_value=today(), format="DD/MM/YYYY", key="note-date")
        noted = st.form_submit_button("Add note")

    def write_note(session, confirmed: bool) -> None:
        add_note(
            session,
            family_id=family.id,
            written_on=written_on,
            text=note_text,
            author=viewer.name,
            today=today(),
            actor=viewer.actor,
            date_confirmed=confirmed,
        )

    note_saved = f"Note saved, dated {written_on:%d %b %Y}."
    if noted:
        require("edit_family", family=family)
        save_dated("note", written_on, write_note, note_saved, note_labels)
    confirm_date("note", write_note, note_saved, note_labels)
    if not timeline_rows:
        st.caption("No notes yet.")
    for written, author, text in timeline_rows:
        # The note as typed: Markdown in it must not load images or become links.
        st.markdown(f"**{written:%d %b %Y}** · {markdown_literal(author)}")
        st.text(text)

with summary_tab:
    if journey is None:
        st.info("The summary needs at least a baseline.")
    else:
        st.write(
            "A one-page summary in plain words for the family to keep. It shows the "
            "family reference and, if you type it, a first name: nothing else."
        )
        own_view = (scores["rater"] == "family").any() and st.radio(
            "Whose scores",
            [False, True],
            format_func=lambda own: "The family's own" if own else "The key worker's or agreed",
            horizontal=True,
        )
        shown = build_journey(scores, instrument, raters=("family",)) if own_view else journey
        first_name = st.text_input("First name to greet (not saved)", max_chars=40)
        steps = list(shown.timeline.itertuples(index=False))
        summary = family_summary_html(
            family_ref=family.family_ref,
            first_name=first_name,
            instrument=instrument,
            traces=[StarTrace(row.label, values[row.assessment_id]) for row in steps],
            trace_dates=[f"{row.assessed_on:%d %b %Y}" for row in steps],
            trace_raters=[row.rater for row in steps],
            progress=progress(shown, instrument),
            goals=family_goals,
            today=today(),
        )
        st.download_button(
            "Download the summary (HTML, prints on A4)",
            audited(
                viewer,
                "export",
                f"family summary {family.family_ref}",
                lambda: summary,
                family=family,
            ),
            file_name=f"progress-{family.family_ref}.html",
            mime="text/html",
            icon=":material/download:",
            on_click="ignore",
        )
        # A frame keeps the printable page's own styles (A4 body, list columns) from
        # leaking into the app and shows it as printed. It is drawn only while shown:
        # a frame laid out hidden (in a closed expander) measures itself far too tall.
        if st.toggle("Show the summary here"):
            st.iframe(summary, alt="Preview of the family's one-page summary")

with history_tab:
    if changes.empty:
        st.caption("No recorded changes yet.")
    else:
        st.caption(
            "Every change to this family's scores, goals, notes and details, made here "
            "or by an import, and every download about them, newest first."
        )
        st.markdown(
            "\n".join(
                f"- {markdown_literal(sentence(row, names))}" for row in changes.to_dict("records")
            )
        )
