"""Record scores: a baseline or review with the family, or a correction to an earlier one.

Each area is a row of buttons, one per point of the scale, plus N/A. The scales, the
section counts, the comparison with last time and what still stops the save are one
fragment, so a tap reruns only that (about 0.2 s) and nothing jumps. The Notes and Save
sit outside it: saving runs the whole app again, with its sign-in checks, and reads the
scores from session state.
"""

import time
from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pages.common import (
    chosen_family,
    instruments,
    reading,
    record_view,
    require_page,
    save,
    session_end_now,
    today,
)
from tracker.instruments.loader import Domain, Instrument, Section
from tracker.records.assessments import (
    AssessmentDraft,
    StoredAssessment,
    VersionConflict,
    big_change_threshold,
    big_changes,
    check_draft,
    clashing_assessment,
    comparison_raters,
    confirmation_problems,
    family_assessments,
    load_assessment,
    previous_assessment,
    save_assessment,
    suggest_occasion,
    unconfirmed_changes,
)
from tracker.render.plain_text import markdown_literal
from tracker.render.scoring import (
    NOT_APPLICABLE,
    NOT_SCORED,
    assessment_table,
    comparison_table,
    number,
    point_meaning,
    point_names,
    score_text,
)
from tracker.store.models import Score, longest
from tracker.store.vocabulary import OCCASION_LABELS, OCCASIONS, RATER_LABELS, RATERS

NEW, CORRECTING = "Recording a new assessment", "Correcting an earlier one"
NA = "na"  # the N/A button's value; a score is a number, an unscored area None

viewer = require_page(__file__)
# Streamlit draws a chosen button's label at 4.47:1 on its tint, just short of WCAG AA's
# 4.5:1; a shade darker passes.
st.html(
    "<style>[data-testid='stButtonGroup'] button[data-selected='true'] "
    "{ color: #a52a37 !important; }</style>"
)
st.title("Record scores")
flash = st.session_state.pop("record-flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")

family = chosen_family(viewer, "edit_family")
if family is None:
    st.stop()
record_view(viewer, family)
if family.closed_on:
    st.info(
        f"This case closed on {family.closed_on:%d %b %Y}. You can still record a closure "
        "or follow-up assessment."
    )

available = instruments()
with reading() as session:
    connection = session.connection()
    in_use = [key for key in available if not family_assessments(connection, family.id, key).empty]
keys = sorted(available, key=lambda key: (key not in in_use, key))
instrument: Instrument = available[
    st.selectbox(
        "Instrument",
        keys,
        format_func=lambda key: available[key].name,
        help="Tools already used with this family are listed first.",
    )
]
which_key = f"record-which-{family.id}-{instrument.key}"


def correct(assessment_id: int) -> None:
    """Open this assessment for correcting (a button's callback, so before any widget)."""
    st.session_state.pop("record-saved", None)
    st.session_state["record-mode"] = CORRECTING
    st.session_state[which_key] = assessment_id


def record_another() -> None:
    st.session_state.pop("record-saved", None)
    st.session_state["record-mode"] = NEW


def show_saved(saved: StoredAssessment) -> None:
    """What was just saved, read-only, instead of a form that would clash with it."""
    st.header("The assessment you saved")
    st.caption(
        f"{OCCASION_LABELS[saved.occasion]} · {saved.assessed_on:%d %b %Y} · "
        f"{RATER_LABELS[saved.rater]} · saved by "
        f"{'you' if saved.entered_by in (None, viewer.actor) else saved.entered_by}"
    )
    table = assessment_table(saved, instrument)
    if "Note" in table:
        table["Note"] = table["Note"].map(markdown_literal)  # people's own words
    st.table(
        table,
        hide_index=True,
        alt=f"The scores saved for {family.family_ref}",
    )
    row = st.container(horizontal=True)
    row.button("Correct it", icon=":material/edit:", on_click=correct, args=(saved.id,))
    row.button("Record another assessment", icon=":material/add:", on_click=record_another)


just_saved = st.session_state.get("record-saved")
if just_saved is not None and just_saved[:2] == (family.id, instrument.key):
    with reading() as session:
        shown = load_assessment(session.connection(), just_saved[2])
    if shown is not None:
        show_saved(shown)
        st.stop()
    st.session_state.pop("record-saved")


def score_key(form_id: str, domain_key: str) -> str:
    return f"{form_id}:{domain_key}:score"


def sure_key(form_id: str, domain_key: str, value: float) -> str:
    """The "Yes, this is right" tick for one score: a different score asks again."""
    return f"{form_id}:{domain_key}:sure:{number(value)}"


mode = st.radio("What are you doing?", [NEW, CORRECTING], horizontal=True, key="record-mode")
if mode == CORRECTING:
    with reading() as session:
        earlier = family_assessments(session.connection(), family.id, instrument.key)
    if earlier.empty:
        st.info("There is nothing to correct yet for this instrument.")
        st.stop()
    labels = {
        int(row.id): f"{OCCASION_LABELS[row.occasion]} · {row.assessed_on:%d %b %Y} · "
        f"{RATER_LABELS[row.rater].lower()}"
        for row in earlier.itertuples(index=False)
    }
    if st.session_state.get(which_key) not in labels:
        st.session_state[which_key] = list(labels)[-1]
    editing_id = st.selectbox(
        "Which assessment?", list(labels), format_func=labels.get, key=which_key
    )
    form_id = f"edit-{editing_id}"
    if f"{form_id}:loaded" not in st.session_state:
        with reading() as session:
            stored = load_assessment(session.connection(), editing_id)
        st.session_state[f"{form_id}:occasion"] = stored.occasion
        st.session_state[f"{form_id}:date"] = stored.assessed_on
        st.session_state[f"{form_id}:rater"] = stored.rater
        for domain in instrument.domains:
            value = stored.values.get(domain.key)
            if domain.key in stored.values:
                st.session_state[score_key(form_id, domain.key)] = NA if value is None else value
            if value is not None:  # a big change already saved was confirmed then
                st.session_state[sure_key(form_id, domain.key, value)] = True
            st.session_state[f"{form_id}:{domain.key}:note"] = stored.notes.get(domain.key, "")
        st.session_state[f"{form_id}:version"] = stored.version
        st.session_state[f"{form_id}:loaded"] = True
else:
    nonce = st.session_state.setdefault("record-nonce", 0)
    form_id = f"new-{family.id}-{instrument.key}-{nonce}"
    editing_id = None
    if f"{form_id}:occasion" not in st.session_state:
        with reading() as session:
            st.session_state[f"{form_id}:occasion"] = suggest_occasion(
                session.connection(), family.id, instrument.key
            )

# Widgets take their starting values from session state only, so nothing chosen is reset.
st.session_state.setdefault(f"{form_id}:date", today())
st.session_state.setdefault(f"{form_id}:rater", "worker")

top = st.columns(3)
occasion = top[0].selectbox(
    "Occasion", OCCASIONS, key=f"{form_id}:occasion", format_func=OCCASION_LABELS.get
)
assessed_on = top[1].date_input(
    "Date", max_value=today(), format="DD/MM/YYYY", key=f"{form_id}:date"
)
rater = top[2].radio(
    "Who gave the scores?", RATERS, format_func=RATER_LABELS.get, key=f"{form_id}:rater"
)

st.caption(
    f"Scores run from {instrument.scale_min:g} to {instrument.scale_max:g}"
    f"{' in half points' if instrument.step == 0.5 else ''}; "
    f"{'higher' if instrument.higher_is_better else 'lower'} is better. "
    "Tap a score for each area, or N/A where an area does not apply to this family."
)


def current_draft(base: AssessmentDraft) -> AssessmentDraft:
    """The draft as the form holds it now, read from session state."""
    values, notes = {}, {}
    for domain in instrument.domains:
        score = st.session_state.get(score_key(form_id, domain.key))
        if score == NA:
            values[domain.key] = None
        elif score is not None:
            values[domain.key] = float(score)
        note = st.session_state.get(f"{form_id}:{domain.key}:note", "")
        if note:
            notes[domain.key] = note
    confirmed = frozenset(
        key
        for key, value in values.items()
        if value is not None and st.session_state.get(sure_key(form_id, key, value))
    )
    return replace(base, values=values, notes=notes, confirmed=confirmed)


base = AssessmentDraft(
    family_id=family.id,
    instrument=instrument.key,
    occasion=occasion,
    assessed_on=assessed_on,
    rater=rater,
    values={},
)


def draft_problems(draft: AssessmentDraft) -> dict[str, str]:
    """What stops ``draft`` saving, by field, as the server will judge it on Save."""
    with reading() as session:
        return check_draft(
            session.connection(),
            draft,
            instrument=instrument,
            today=today(),
            assessment_id=editing_id,
        )


problems = draft_problems(current_draft(base))
with reading() as session:
    connection = session.connection()
    previous = previous_assessment(
        connection,
        family_id=family.id,
        instrument=instrument.key,
        before=assessed_on,
        raters=comparison_raters(rater),
        exclude_id=editing_id,
    )
    clash = clashing_assessment(connection, base, editing_id)

tried = st.session_state.get(f"{form_id}:tried", False)
for field in ("occasion", "assessed_on", "rater"):
    if field in problems and (tried or field == "assessed_on"):
        st.error(problems[field], icon=":material/error:")
if clash is not None:
    st.button("Correct that one", icon=":material/edit:", on_click=correct, args=(clash,))

options = [*instrument.points, NA]
names = {**point_names(instrument), NA: NOT_APPLICABLE}


def keep_session_alive() -> None:
    """A tap is activity, but only a full run passes through app.py's checks: end the
    session here by the same rule, or count the tap as activity."""
    if session_end_now(viewer):
        st.rerun()  # the full run signs the person out and says why
    st.session_state["last_active"] = time.time()


def unconfirmed(draft: AssessmentDraft) -> dict[str, str]:
    """Big changes still waiting for a "Yes, this is right"; asked for once Save is tried."""
    if previous is None or not st.session_state.get(f"{form_id}:tried"):
        return {}
    return confirmation_problems(previous.values, draft.values, instrument, draft.confirmed)


def area(domain: Domain, draft: AssessmentDraft, flagged: dict, asked: dict) -> None:
    """What a tap changes in one area: its scale as buttons, what the chosen point means
    and, for a big change since last time, the question; ``asked`` says why it stops the
    save."""
    st.segmented_control(
        domain.label,
        options,
        format_func=names.get,
        key=score_key(form_id, domain.key),
    )
    value = draft.values.get(domain.key)
    if domain.key not in draft.values:
        meaning = f"{NOT_SCORED} yet."
    elif value is None:
        meaning = f"{NOT_APPLICABLE}: this area does not apply to this family."
    else:
        meaning = point_meaning(instrument, domain, value)
    st.caption(meaning)
    if domain.key in flagged:
        before, after = flagged[domain.key]
        st.markdown(
            f":orange[:material/warning: **Big change since last time: "
            f"{before:g} → {after:g}.**] Is it right?"
        )
        st.checkbox(
            "Yes, this is right",
            key=sure_key(form_id, domain.key, after),
        )
    if domain.key in asked:
        st.error(asked[domain.key], icon=":material/error:")


def section_progress(section: Section, draft: AssessmentDraft) -> None:
    done = sum(1 for domain in section.domains if domain.key in draft.values)
    if done == len(section.domains):
        st.markdown(f":material/check_circle: **{section.label}** · all {done} done")
    else:
        st.markdown(
            f":material/radio_button_unchecked: **{section.label}** · "
            f"{done} of {len(section.domains)} done"
        )


def before_you_save(draft: AssessmentDraft) -> None:
    """The comparison with last time, and what still stops the save once Save is tried."""
    st.header("Before you save")  # h2: the next level below the page title
    if previous is None:
        st.caption("There is no earlier assessment by this rater to compare with.")
    else:
        waiting = unconfirmed_changes(previous.values, draft.values, instrument, draft.confirmed)
        if waiting:
            labels = {d.key: d.label for d in instrument.domains}
            st.warning(
                f"Big changes since last time ({big_change_threshold(instrument):g} points "
                "or more): "
                + "; ".join(f"{labels[k]} {a:g} → {b:g}" for k, (a, b) in waiting.items())
                + ". Tick “Yes, this is right” under each one that is right, or correct it. "
                "Getting worse early on is common and fine to record.",
                icon=":material/visibility:",
            )
        st.table(
            comparison_table(previous, draft.values, instrument, draft.confirmed),
            hide_index=True,
            alt="Each area's score last time and now",
        )
    if st.session_state.get(f"{form_id}:tried"):
        problems = draft_problems(draft)
        if problems:
            st.error(
                "Not saved yet. Please check:\n\n"
                + "\n".join(f"- {text}" for text in problems.values())
            )


def frame() -> dict[str, DeltaGenerator]:
    """The form's frame, drawn on full runs only: per section a box with a slot for its
    count, per area a slot for what a tap changes and its Note. No tap redraws the Notes:
    22 popovers were a third of what each tap made the browser redraw."""
    slots = {}
    for section in instrument.sections:
        with st.container(border=True):
            slots[section.key] = st.container()
            for domain in section.domains:
                with st.container(key=f"area-{domain.key}"):
                    slots[domain.key] = st.container()
                    with st.popover("Note", icon=":material/edit_note:"):
                        st.text_area(
                            f"Note on {domain.label}",
                            key=f"{form_id}:{domain.key}:note",
                            max_chars=longest(Score.note),
                        )
    return slots


@st.fragment
def scoring(slots: dict[str, DeltaGenerator]) -> None:
    """The scales, the counts and the comparison: a tap reruns only this, not the app.

    One fragment, not one per area: in the browser, Streamlit's cost for each fragment
    outweighed the elements it saved redrawing (and the counts would go stale).
    """
    keep_session_alive()
    draft = current_draft(base)
    flagged = big_changes(previous.values, draft.values, instrument) if previous else {}
    asked = unconfirmed(draft)
    for section in instrument.sections:
        with slots[section.key]:
            section_progress(section, draft)
        for domain in section.domains:
            with slots[domain.key]:
                area(domain, draft, flagged, asked)
    before_you_save(draft)


scoring(frame())

conflict = st.session_state.get(f"{form_id}:conflict")
if conflict is not None:
    draft = current_draft(base)
    st.error(
        f"Someone else changed this assessment while you were editing it "
        f"(saved by {conflict.entered_by or 'another user'} at "
        f"{conflict.entered_at:%H:%M on %d %b %Y}). Nothing you chose has been lost. "
        "Their version is below. Press Save again to replace it with yours, or use theirs.",
        icon=":material/sync_problem:",
    )
    st.table(
        {
            "Area": [d.label for d in instrument.domains],
            "Their version": [score_text(conflict.values, d.key) for d in instrument.domains],
            "Yours": [score_text(draft.values, d.key) for d in instrument.domains],
        },
        hide_index=True,
    )
    if st.button("Use their version instead"):
        for key in [k for k in st.session_state if str(k).startswith(f"{form_id}:")]:
            del st.session_state[key]
        st.rerun()


def after_save(assessment_id: int) -> None:
    """Show what was saved; the next form starts blank (or reloads the corrected one)."""
    if editing_id is None:
        st.session_state["record-nonce"] = st.session_state.get("record-nonce", 0) + 1
    for key in [k for k in st.session_state if str(k).startswith(f"{form_id}:")]:
        del st.session_state[key]
    st.session_state["record-saved"] = (family.id, instrument.key, assessment_id)
    st.session_state["record-flash"] = (
        f"Saved the {OCCASION_LABELS[occasion].lower()} for {family.family_ref} "
        f"on {assessed_on:%d %b %Y}."
    )
    st.rerun()


if st.button("Save assessment", type="primary", icon=":material/save:"):
    st.session_state[f"{form_id}:tried"] = True
    draft = current_draft(base)
    problems = draft_problems(draft)
    if problems:
        st.rerun()  # redraw with each problem beside its area; nothing chosen is lost
    saved: dict[str, int] = {}

    def write(session) -> None:
        saved["id"] = save_assessment(
            session,
            draft,
            instrument=instrument,
            entered_by=viewer.actor,
            today=today(),
            assessment_id=editing_id,
            expected_version=st.session_state.get(f"{form_id}:version"),
        )

    try:
        save(write, done=lambda: after_save(saved["id"]))
    except VersionConflict as refused:
        st.session_state[f"{form_id}:conflict"] = refused.current
        st.session_state[f"{form_id}:version"] = refused.current.version
        st.rerun()
