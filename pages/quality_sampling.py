"""The "Case-file sample" tab of Quality assurance (pages/quality.py): draw a seeded,
stratified sample of closed cases, grade each case file, and read the results.

Not a page of its own: ``sampling_tab`` draws inside the tab; every write re-checks the
role in tracker.records.case_sampling.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import reading, require, save, show_problems
from tracker.measures.cohort.window import EXAMPLE, read_day
from tracker.people.access import Viewer
from tracker.records.case_sampling import (
    SEED_LIMIT,
    check_sample,
    describe_amount,
    draw_sample,
    members,
    rate_case_file,
    sample_results,
    samples,
)
from tracker.store.models import CaseFileAudit, family_label, longest
from tracker.store.vocabulary import CASE_FILE_QUALITIES, GRADES

FROM_LABEL = "Closed from"
TO_LABEL = "Closed to"
SIZE_LABEL = "Sample size"
SEED_LABEL = "Seed (optional)"
# Said once, after the rerun that shows the new sample.
DONE = "case-sample-drawn"
LABELS = {
    "period_start": FROM_LABEL,
    "period_end": TO_LABEL,
    "how": SIZE_LABEL,
    "amount": SIZE_LABEL,
    "seed": SEED_LABEL,
}


def read_size(text: str) -> tuple[str, float]:
    """A typed size: "10%" is a proportion (0.1), "12" a number of case files."""
    text = text.strip().replace(" ", "")
    if not text:
        raise ValueError("Write a percentage such as 10% or a number of case files such as 12.")
    how = "proportion" if text.endswith("%") else "number"
    try:
        value = float(text.rstrip("%"))
    except ValueError as error:
        raise ValueError(
            f'"{text}" is not a size: write a percentage such as 10% or a number such as 12.'
        ) from error
    return how, value / 100 if how == "proportion" else value


def read_seed(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) >= SEED_LIMIT:
        raise ValueError(
            f'"{text}" is not a seed: write a whole number from 0 to {SEED_LIMIT - 1}.'
        )
    return int(text)


def _draw_form(viewer: Viewer) -> None:
    if message := st.session_state.pop(DONE, None):
        st.success(message)
    with st.form("draw-sample"):
        st.markdown("**Draw a sample of closed cases**")
        left, right = st.columns(2)
        start_text = left.text_input(FROM_LABEL, placeholder=f"e.g. {EXAMPLE}")
        end_text = right.text_input(TO_LABEL, placeholder="e.g. 31/03/2026")
        left, right = st.columns(2)
        size_text = left.text_input(
            SIZE_LABEL,
            placeholder="e.g. 10% or 12",
            help="A percentage of the cases closed in the period, or a number of case files.",
        )
        seed_text = right.text_input(
            SEED_LABEL,
            help="Leave empty for a new random sample. To re-draw a sample someone else drew, "
            "give its seed, period and size from the list of samples below.",
        )
        drawing = st.form_submit_button("Draw sample", type="primary", key="draw-sample-button")
    if not drawing:
        return
    readers = {
        "period_start": lambda: read_day(start_text, FROM_LABEL),
        "period_end": lambda: read_day(end_text, TO_LABEL),
        "amount": lambda: read_size(size_text),
        "seed": lambda: read_seed(seed_text),
    }
    values, problems = {}, {}
    for field, read in readers.items():
        try:
            values[field] = read()
        except ValueError as error:  # a WindowError too: its message starts with the label
            problems[field] = str(error).removeprefix(f"{LABELS[field]}: ")
    if problems:
        show_problems(problems, labels=LABELS)
        return
    how, amount = values.pop("amount")

    def done() -> None:
        st.session_state[DONE] = "Sample drawn: it is chosen below, ready to rate."
        st.rerun()

    save(
        lambda session: draw_sample(session, viewer, how=how, amount=amount, **values),
        done=done,
        labels=LABELS,
    )


def _sample_name(row) -> str:
    return (
        f"{row.period_start:%d %b %Y} to {row.period_end:%d %b %Y}: "
        f"{describe_amount(row.how, row.amount)}, seed {row.seed} "
        f"(drawn {row.drawn_at:%d %b %Y} by {row.drawn_by})"
    )


def _rating_form(viewer: Viewer, member) -> None:
    rated = not pd.isna(member.version)
    with st.form(f"rate-{member.member_id}"):
        grades, evidence = {}, {}
        for key, quality in CASE_FILE_QUALITIES.items():
            shown = getattr(member, f"{key}_grade")
            grades[key] = st.radio(
                quality,
                list(GRADES),
                format_func=GRADES.get,
                index=list(GRADES).index(shown) if rated else None,
                horizontal=True,
                key=f"grade-{member.member_id}-{key}",
            )
            evidence[key] = st.text_area(
                f"Evidence: {quality.lower()}",
                value=getattr(member, f"{key}_evidence") or "",
                max_chars=longest(getattr(CaseFileAudit, f"{key}_evidence")),
                key=f"evidence-{member.member_id}-{key}",
            )
        saving = st.form_submit_button("Save case-file audit", key=f"save-{member.member_id}")
    if saving:
        version = int(member.version) if rated else None
        save(
            lambda session: rate_case_file(
                session, viewer, int(member.member_id), grades, evidence, version
            ),
            done=st.rerun,
            labels={f"{key}_grade": label for key, label in CASE_FILE_QUALITIES.items()}
            | {
                f"{key}_evidence": f"Evidence: {label.lower()}"
                for key, label in CASE_FILE_QUALITIES.items()
            },
        )


def _members(viewer: Viewer, sample_id: int) -> None:
    with reading() as session:
        drawn = members(session.connection(), sample_id)
    rated = drawn["version"].notna()
    st.markdown(f"**Case files: {int(rated.sum())} of {len(drawn)} rated**")
    for stratum, group in drawn.groupby("stratum", sort=True):
        st.caption(f"{stratum}: {len(group)} drawn")
        for member in group.itertuples():
            state = "rated" if not pd.isna(member.version) else "not rated yet"
            name = family_label(member.family_ref, member.short_name)
            with st.expander(f"{name}, closed {member.closed_on:%d %b %Y}: {state}"):
                _rating_form(viewer, member)


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """Quality by grade, each cell the files at that grade and their share of those rated."""
    cells = results.assign(
        cell=[
            "" if pd.isna(share) else f"{files} ({share:.0%})"
            for files, share in zip(results["files"], results["share"], strict=True)
        ]
    )
    table = cells.pivot(index="quality", columns="grade", values="cell")
    table = table.reindex(index=list(CASE_FILE_QUALITIES.values()), columns=list(GRADES.values()))
    return table.rename_axis(index="Quality", columns=None).reset_index()


def _results(sample_id: int) -> None:
    with reading() as session:
        results = sample_results(session.connection(), sample_id)
    st.markdown("**Results**")
    if results["share"].isna().all():
        st.info("No case file in this sample is rated yet.")
        return
    st.dataframe(results_table(results), hide_index=True, width="stretch")
    st.caption("Each cell: the case files at that grade, and their share of those rated.")


def _check(sample_id: int) -> None:
    if not st.button("Re-draw from the seed and check", key=f"check-{sample_id}"):
        return
    with reading() as session:
        missing, extra = check_sample(session.connection(), sample_id)
    if not missing and not extra:
        st.success("Re-drawn from its seed: the same families as stored.")
        return
    st.warning(
        "Re-drawn from its seed, the sample differs from the one stored, because the "
        "cases closed in the period have changed since it was drawn. "
        f"Stored, not re-drawn: {', '.join(sorted(missing)) or 'none'}. "
        f"Re-drawn, not stored: {', '.join(sorted(extra)) or 'none'}."
    )


def _listing(listing: pd.DataFrame) -> None:
    st.markdown("**Samples drawn**")
    st.dataframe(
        pd.DataFrame(
            {
                "Drawn": [f"{day:%d %b %Y}" for day in listing["drawn_at"]],
                "By": listing["drawn_by"],
                "Closed from": [f"{day:%d %b %Y}" for day in listing["period_start"]],
                "Closed to": [f"{day:%d %b %Y}" for day in listing["period_end"]],
                "Size asked": [
                    describe_amount(how, amount)
                    for how, amount in zip(listing["how"], listing["amount"], strict=True)
                ],
                "Seed": listing["seed"].astype(str),
                "Case files": listing["size"],
                "Rated": listing["rated"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "To check a sample, draw again with its period, size and seed: the same closed "
        "cases give the same families."
    )


def sampling_tab(viewer: Viewer) -> None:
    """Draw, grade and read case-file samples (managers: ``quality_assurance``)."""
    viewer = require("quality_assurance")
    _draw_form(viewer)
    with reading() as session:
        listing = samples(session.connection())
    if listing.empty:
        st.info("No sample drawn yet. Choose a period and a size above.")
        return
    by_id = {int(row.id): row for row in listing.itertuples()}
    sample_id = st.selectbox("Sample", list(by_id), format_func=lambda i: _sample_name(by_id[i]))
    _check(sample_id)
    _members(viewer, sample_id)
    _results(sample_id)
    _listing(listing)
