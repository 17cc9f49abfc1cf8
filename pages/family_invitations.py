"""The journey page's "Ask the family to rate": a self-rating link and its QR code, and
this family's links so far. Not a page: pages/family_journey.py draws it.

The link holds the only copy of its token (the database keeps a fingerprint), so it is
shown once, kept in this session only while the worker stays on this family.
"""

from __future__ import annotations

import streamlit as st

from pages.common import data_changed, reading, require, show_problems, writing
from tracker.instruments.loader import Instrument
from tracker.measures.audit_names import audit_names
from tracker.people.access import AccessDenied, Viewer, authorise
from tracker.records.invitations import (
    GREETING_MAX,
    InvitationSummary,
    create_invitation,
    default_greeting,
    family_invitations,
    invitation_url,
    is_closed,
    london_day,
    revoke_invitation,
)
from tracker.render.qr_code import QR_WIDTH, qr_svg
from tracker.store.errors import RecordInvalid
from tracker.store.models import Family

# Session keys: the link just made, as (family id, invitation id, URL), and the last
# cancellation's message, shown once after the page redraws.
MADE = "invite-made"
CANCELLED = "invite-cancelled"
LABELS = {"greeting": "Greeting", "family": "Family", "invitation": "Link"}
STATE_WORDS = {
    "waiting": "Not opened yet",
    "opened": "Opened, not sent yet",
    "sent": "Sent",
    "expired": "Ran out",
    "cancelled": "Cancelled",
}
CANCELLABLE = ("waiting", "opened")


def ask_the_family(
    viewer: Viewer, family: Family, instruments: dict[str, Instrument], used: list[str]
) -> None:
    """The section, for those the policy lets invite this family; nothing for anyone else."""
    try:
        authorise(viewer, "invite_family", family=family)
    except AccessDenied:
        return
    made = st.session_state.get(MADE)
    if made and made[0] != family.id:
        st.session_state.pop(MADE)  # shown once: leaving the family forgets it
    with st.expander("Ask the family to rate", icon=":material/smartphone:", key="ask-family"):
        if is_closed(family):
            st.caption("This family's case is closed, so they cannot be sent a link.")
        else:
            _make_link(viewer, family, instruments, used)
        with reading() as session:
            links = family_invitations(session, family.id)
            people = audit_names(session.connection(), instruments, family_id=family.id).people
        _show_made(links)
        _list_links(family, links, instruments, people)


def _make_link(viewer: Viewer, family: Family, instruments, used: list[str]) -> None:
    st.write(
        "Make a link the family opens on their own phone to rate how things are, in their "
        "own words. It needs no account, and it shows nothing about them but the greeting."
    )
    with st.form(f"invite-{family.id}"):
        key = st.selectbox(
            "Instrument",
            [*used, *(k for k in instruments if k not in used)],
            format_func=lambda k: instruments[k].name,
        )
        greeting = st.text_input(
            "Greeting",
            value=default_greeting(family),
            max_chars=GREETING_MAX,
            help="The first words the family reads. Never the family's reference.",
        )
        if not st.form_submit_button("Make a link", type="primary"):
            return
    require("invite_family", family=family)
    try:
        with writing() as session:
            invitation_id, token = create_invitation(
                session, viewer, family, key, greeting=greeting
            )
    except RecordInvalid as invalid:
        show_problems(invalid.problems, labels=LABELS)
        return
    data_changed()
    st.session_state[MADE] = (family.id, invitation_id, invitation_url(token))


def _show_made(links: list[InvitationSummary]) -> None:
    """The link just made, while it can still be used: to copy, or to scan."""
    made = st.session_state.get(MADE)
    link = next((row for row in links if made and row.id == made[1]), None)
    if link is None or link.state not in CANCELLABLE:
        st.session_state.pop(MADE, None)
        return
    url = made[2]
    st.success(
        f"This link works once, until {london_day(link.expires_at):%d %b %Y}.",
        icon=":material/link:",
    )
    st.code(url, language=None, wrap_lines=True)
    st.image(
        qr_svg(url),
        width=QR_WIDTH,
        caption="Or the family scans this with their phone",
        alt="QR code of the link above",
    )
    st.markdown(
        "**What to tell the family**\n\n"
        "- Open the link on your phone, or point your phone's camera at the square code.\n"
        "- Tap what fits you best for each question, skip any you like, then send it: "
        "I will see your answers and we can talk about them."
    )
    st.info(
        "The link is shown only now: only a fingerprint of it is kept, so it cannot be "
        "shown again. If it is lost, cancel it below and make a new one.",
        icon=":material/visibility:",
    )


def _list_links(
    family: Family, links: list[InvitationSummary], instruments, people: dict[str, str]
) -> None:
    """This family's links and what became of each; the unused ones can be cancelled."""
    message = st.session_state.pop(CANCELLED, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    if not links:
        st.caption("No links made for this family yet.")
        return
    st.markdown("**This family's links**")

    def name(row: InvitationSummary) -> str:
        known = instruments.get(row.instrument_key)
        return known.name if known else row.instrument_key

    st.table(
        {
            "Instrument": [name(row) for row in links],
            "Made by": [people.get(row.created_by, row.created_by) for row in links],
            "Made on": [f"{london_day(row.created_at):%d %b %Y}" for row in links],
            "Runs out": [f"{london_day(row.expires_at):%d %b %Y}" for row in links],
            "State": [STATE_WORDS[row.state] for row in links],
        },
        hide_index=True,
    )
    for row in links:
        if row.state not in CANCELLABLE:
            continue
        line = st.container(horizontal=True, vertical_alignment="center")
        line.caption(f"{name(row)}, made {london_day(row.created_at):%d %b %Y}")
        if line.button("Cancel link", key=f"cancel-link-{row.id}"):
            _cancel(family, row, name(row))


def _cancel(family: Family, row: InvitationSummary, instrument_name: str) -> None:
    viewer = require("invite_family", family=family)
    try:
        with writing() as session:
            revoke_invitation(session, viewer, row.id)
    except RecordInvalid as invalid:
        show_problems(invalid.problems, labels=LABELS)
        return
    data_changed()
    st.session_state[CANCELLED] = (
        f"Link cancelled: the {instrument_name} link made on "
        f"{london_day(row.created_at):%d %b %Y} no longer works."
    )
    st.rerun()
