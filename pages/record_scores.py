"""Record scores: a baseline or review with the family, or a correction to an earlier one."""

import pandas as pd
import streamlit as st

from pages.common import (
    chosen_family,
    instruments,
    reading,
    record_view,
    require_page,
    save,
    today,
)
from tracker.instruments.loader import Instrument
from tracker.records.assessments import (
    AssessmentDraft,
    VersionConflict,
    big_change_threshold,
    big_changes,
    check_draft,
    family_assessments,
    load_assessment,
    previous_assessment,
    save_assessment,
    suggest_occasion,
)
from tracker.store.models import Score, longest
from tracker.store.vocabulary import (
    DEFAULT_RATERS,
    OCCASION_LABELS,
    OCCASIONS,
    RATER_LABELS,
    RATERS,
)

viewer = require_page(__file__)
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

mode = st.radio(
    "What are you doing?",
    ["Recording a new assessment", "Correcting an earlier one"],
    horizontal=True,
)
stored = None
if mode == "Correcting an earlier one":
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
    assessment_id = st.selectbox(
        "Which assessment?", list(labels), format_func=labels.get, index=len(labels) - 1
    )
    form_id = f"edit-{assessment_id}"
    if f"{form_id}:loaded" not in st.session_state:
        with reading() as session:
            stored = load_assessment(session.connection(), assessment_id)
        st.session_state[f"{form_id}:occasion"] = stored.occasion
        st.session_state[f"{form_id}:date"] = stored.assessed_on
        st.session_state[f"{form_id}:rater"] = stored.rater
        for domain in instrument.domains:
            value = stored.values.get(domain.key)
            scored = domain.key in stored.values
            st.session_state[f"{form_id}:{domain.key}:na"] = scored and value is None
            st.session_state[f"{form_id}:{domain.key}:value"] = value
            st.session_state[f"{form_id}:{domain.key}:note"] = stored.notes.get(domain.key, "")
        st.session_state[f"{form_id}:version"] = stored.version
        st.session_state[f"{form_id}:loaded"] = True
    editing_id = assessment_id
else:
    nonce = st.session_state.setdefault("record-nonce", 0)
    form_id = f"new-{family.id}-{instrument.key}-{nonce}"
    editing_id = None
    if f"{form_id}:occasion" not in st.session_state:
        with reading() as session:
            st.session_state[f"{form_id}:occasion"] = suggest_occasion(
                session.connection(), family.id, instrument.key
            )

# Widgets take their starting values from session state only, so nothing typed is reset.
st.session_state.setdefault(f"{form_id}:date", today())
st.session_state.setdefault(f"{form_id}:rater", "worker")
for domain in instrument.domains:
    st.session_state.setdefault(f"{form_id}:{domain.key}:value", None)
    st.session_state.setdefault(f"{form_id}:{domain.key}:na", False)

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
    "Tick N/A where an area does not apply to this family."
)


def band_help(domain) -> str:
    lines = []
    for band, text in zip(instrument.bands, domain.descriptions, strict=True):
        points = f"{band.min:g}" if band.min == band.max else f"{band.min:g}-{band.max:g}"
        lines.append(f"**{points} {band.label}**: {text}")
    return "\n\n".join(lines)


def current_values() -> tuple[dict, dict]:
    values, notes = {}, {}
    for domain in instrument.domains:
        if st.session_state.get(f"{form_id}:{domain.key}:na"):
            values[domain.key] = None
        else:
            value = st.session_state.get(f"{form_id}:{domain.key}:value")
            if value is not None:
                values[domain.key] = float(value)
        note = st.session_state.get(f"{form_id}:{domain.key}:note", "")
        if note:
            notes[domain.key] = note
    return values, notes


values, notes = current_values()
draft = AssessmentDraft(
    family_id=family.id,
    instrument=instrument.key,
    occasion=occasion,
    assessed_on=assessed_on,
    rater=rater,
    values=values,
    notes=notes,
)
with reading() as session:
    problems = check_draft(
        session.connection(), draft, instrument=instrument, today=today(), assessment_id=editing_id
    )
    previous = previous_assessment(
        session.connection(),
        family_id=family.id,
        instrument=instrument.key,
        before=assessed_on,
        raters=("family",) if rater == "family" else DEFAULT_RATERS,
        exclude_id=editing_id,
    )
tried = st.session_state.get(f"{form_id}:tried", False)

for field in ("occasion", "assessed_on", "rater"):
    if field in problems and (tried or field == "assessed_on"):
        st.error(problems[field], icon=":material/error:")

for section in instrument.sections:
    done = sum(1 for domain in section.domains if domain.key in values)
    complete = done == len(section.domains)
    label = (
        f"{section.label} · all {done} done"
        if complete
        else f"{section.label} · {done} of {len(section.domains)} done"
    )
    with st.expander(
        label,
        expanded=not complete,
        icon=":material/check_circle:" if complete else ":material/radio_button_unchecked:",
    ):
        for domain in section.domains:
            name, box, na_box, note_box = st.columns([5, 2, 1, 1.2], vertical_alignment="center")
            na = st.session_state.get(f"{form_id}:{domain.key}:na", False)
            value = st.session_state.get(f"{form_id}:{domain.key}:value")
            name.markdown(f"**{domain.label}**", help=band_help(domain))
            if (
                value is not None
                and not na
                and instrument.scale_min <= value <= instrument.scale_max
            ):
                band = instrument.band_for(float(value))
                description = domain.descriptions[instrument.bands.index(band)]
                name.caption(f"{band.label}: {description}")
            box.number_input(
                domain.label,
                key=f"{form_id}:{domain.key}:value",
                step=instrument.step if instrument.step != 1 else 1,
                placeholder=f"{instrument.scale_min:g}-{instrument.scale_max:g}",
                label_visibility="collapsed",
                disabled=na,
            )
            na_box.checkbox(
                "N/A", key=f"{form_id}:{domain.key}:na", help="Not applicable to this family"
            )
            with note_box.popover("Note"):
                st.text_area(
                    f"Note on {domain.label}",
                    key=f"{form_id}:{domain.key}:note",
                    max_chars=longest(Score.note),
                )
            if domain.key in problems:
                st.error(problems[domain.key], icon=":material/error:")

st.header("Before you save")  # h2: the next level below the page title
if previous is not None:
    threshold = big_change_threshold(instrument)
    flagged = big_changes(previous.values, values, instrument)
    comparison = pd.DataFrame(
        {
            "Area": [d.label for d in instrument.domains],
            f"Last time ({previous.assessed_on:%d %b %Y})": [
                previous.values.get(d.key) for d in instrument.domains
            ],
            "Now": [values.get(d.key) for d in instrument.domains],
        }
    )
    comparison["Change (+ is better)"] = [
        (values[d.key] - previous.values[d.key]) * instrument.direction
        if values.get(d.key) is not None and previous.values.get(d.key) is not None
        else None
        for d in instrument.domains
    ]
    comparison["Check"] = ["⚠ big change" if d.key in flagged else "" for d in instrument.domains]
    if flagged:
        labels = {d.key: d.label for d in instrument.domains}
        st.warning(
            f"Big changes since last time ({threshold:g} points or more). Please check these "
            "are right before saving: "
            + "; ".join(f"{labels[k]} {a:g} → {b:g}" for k, (a, b) in flagged.items())
            + ". Getting worse early on is common and fine to record.",
            icon=":material/visibility:",
        )
    st.dataframe(
        comparison,
        hide_index=True,
        width="stretch",
        height="content",  # every area, so the whole comparison is seen before saving
        column_config={"Area": st.column_config.TextColumn(pinned=True)},
    )
else:
    st.caption("There is no earlier assessment by this rater to compare with.")

conflict = st.session_state.get(f"{form_id}:conflict")
if conflict is not None:
    st.error(
        f"Someone else changed this assessment while you were editing it "
        f"(saved by {conflict.entered_by or 'another user'} at "
        f"{conflict.entered_at:%H:%M on %d %b %Y}). Nothing you typed has been lost. "
        "Their version is below. Press Save again to replace it with yours, or use theirs.",
        icon=":material/sync_problem:",
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Area": [d.label for d in instrument.domains],
                "Their version": [conflict.values.get(d.key) for d in instrument.domains],
                "Yours": [values.get(d.key) for d in instrument.domains],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if st.button("Use their version instead"):
        del st.session_state[f"{form_id}:loaded"]
        del st.session_state[f"{form_id}:conflict"]
        st.rerun()

if tried and problems:
    st.error(
        "Not saved yet. Please check:\n\n" + "\n".join(f"- {text}" for text in problems.values())
    )


def start_afresh() -> None:
    """After a save: a blank form for the next assessment, or the saved one reloaded."""
    if editing_id is None:
        st.session_state["record-nonce"] = st.session_state.get("record-nonce", 0) + 1
    else:
        for suffix in ("loaded", "conflict", "tried"):
            st.session_state.pop(f"{form_id}:{suffix}", None)
    st.session_state["record-flash"] = (
        f"Saved the {OCCASION_LABELS[occasion].lower()} for {family.family_ref} "
        f"on {assessed_on:%d %b %Y}."
    )
    st.rerun()


if st.button("Save assessment", type="primary", icon=":material/save:"):
    st.session_state[f"{form_id}:tried"] = True
    if problems:
        st.rerun()  # redraw with each problem beside its box; nothing typed is lost
    try:
        save(
            lambda session: save_assessment(
                session,
                draft,
                instrument=instrument,
                entered_by=viewer.actor,
                today=today(),
                assessment_id=editing_id,
                expected_version=st.session_state.get(f"{form_id}:version"),
            ),
            done=start_afresh,
        )
    except VersionConflict as clash:
        st.session_state[f"{form_id}:conflict"] = clash.current
        st.session_state[f"{form_id}:version"] = clash.current.version
        st.rerun()
