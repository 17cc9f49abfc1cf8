"""The family's own rating, on their own phone, reached only by the link their key worker
sent (``/rate?invite=...``).

app.py runs this page without sign-in, sidebar or navigation. The link is the only key:
tracker.records.invitations checks it when the page opens and again on every save, so a
link that runs out or is cancelled half way stops working at the next tap. Nothing about
the family shows beyond the worker's greeting. Each answer is saved as a draft at once,
so a reload carries on at the first question not yet answered.
"""

from __future__ import annotations

import streamlit as st

from pages.common import client_address, data_changed, instruments, writing
from tracker.records.invitations import (
    INVITE_REFUSAL,
    TOKEN_MAX_CHARS,
    InvitationRefused,
    OpenInvitation,
    open_invitation,
    save_draft,
    submit_invitation,
)
from tracker.render import self_rating as words
from tracker.render.plain_text import markdown_literal

st.set_page_config(page_title=words.PAGE_TITLE, layout="centered")
# Phone first: every choice a full-width tap target well over 44 px high, with large
# numbers and sentences that wrap left-aligned; no wide margin above, a modest greeting.
st.html(
    "<style>"
    "[data-testid='stMainBlockContainer'] { padding-top: 2rem; }"
    "[data-testid='stMainBlockContainer'] h1 { font-size: 1.75rem; }"
    "[class*='st-key-point-'] button, [class*='st-key-rate-'] button { min-height: 3rem; }"
    "[class*='st-key-point-'] button p { font-size: 1.15rem; }"
    ".st-key-rate-words button, .st-key-rate-words button * "
    "{ justify-content: flex-start; text-align: left; }"
    ".st-key-rate-words button p { font-size: 1rem; }"
    "</style>"
)

# Session keys: the link this session opened, what it is, the answers so far, the screen
# (-1 the greeting, 0.. the areas, then the review), whether a change goes back to the
# review, a problem or a note to show, and the link that was sent.
TOKEN, INVITE, ANSWERS, STEP = "rate-token", "rate-invite", "rate-answers", "rate-step"
RETURN, PROBLEM, NOTE, SENT = "rate-return", "rate-problem", "rate-note", "rate-sent"


def refuse(message: str = INVITE_REFUSAL) -> None:
    """The one message, and nothing else on the page."""
    for key in (TOKEN, INVITE, ANSWERS, STEP, RETURN, PROBLEM, NOTE):
        st.session_state.pop(key, None)
    st.warning(message, icon=":material/link_off:")
    st.stop()


def opened(token: str) -> OpenInvitation:
    """The invitation behind ``token``, opened once per session (the first view is audited);
    every later write checks the link again."""
    if st.session_state.get(TOKEN) != token:
        try:
            with writing() as session:
                invite = open_invitation(session, token, client=client_address(), first_view=True)
        except InvitationRefused as refusal:
            refuse(str(refusal))
        st.session_state.update(
            {TOKEN: token, INVITE: invite, ANSWERS: dict(invite.draft), RETURN: False}
        )
        if invite.draft:  # a reload, or a second visit before sending: carry on
            instrument = instruments()[invite.instrument_key]
            st.session_state[STEP] = words.first_unanswered(instrument, invite.draft)
            st.session_state[NOTE] = words.WELCOME_BACK
        else:
            st.session_state[STEP] = -1
    return st.session_state[INVITE]


def go(step: int) -> None:
    st.session_state[STEP] = step
    st.session_state.pop(PROBLEM, None)


def written(write) -> bool:
    """Run one write on the link; a refusal or a problem is kept, in plain words, for the
    run this button starts to show."""
    try:
        with writing() as session:
            write(session)
    except InvitationRefused as refusal:
        st.session_state[PROBLEM] = ("refused", str(refusal))
        return False
    except ValueError as problem:  # answers it cannot take, or cannot send today
        st.session_state[PROBLEM] = ("error", str(problem))
        return False
    return True


def answer(token: str, key: str, value: float | None, total: int) -> None:
    """Keep one answer (None: skipped) as the draft, then move on, or back to the review
    when the family came to change it."""
    answers = {**st.session_state[ANSWERS], key: value}
    if not written(lambda session: save_draft(session, token, answers, client=client_address())):
        return
    st.session_state[ANSWERS] = answers
    step = st.session_state[STEP]
    go(total if st.session_state[RETURN] else step + 1)


def change(step: int) -> None:
    st.session_state[RETURN] = True
    go(step)


def send(token: str) -> None:
    answers = st.session_state[ANSWERS]
    if written(lambda session: submit_invitation(session, token, answers, client=client_address())):
        data_changed()
        st.session_state[SENT] = token


token = st.query_params.get("invite", "")
if token and st.session_state.get(SENT) == token:
    st.title(words.THANK_YOU, anchor=False)
    st.write(words.SENT)
    st.stop()
if not token or len(token) > TOKEN_MAX_CHARS:  # no database work for what is no token
    refuse()
invite = opened(token)
problem = st.session_state.pop(PROBLEM, None)
if problem and problem[0] == "refused":
    refuse(problem[1])

instrument = instruments()[invite.instrument_key]
domains = instrument.domains
total = len(domains)
answers = st.session_state[ANSWERS]
step = st.session_state[STEP]

st.title(markdown_literal(invite.greeting), anchor=False)  # the worker's words, as typed
if problem:
    st.error(problem[1], icon=":material/error:")
note = st.session_state.pop(NOTE, None)
if note:
    st.info(note, icon=":material/bookmark:")

if step < 0:
    st.write(words.intro(total))
    st.button(
        words.START, key="rate-start", type="primary", on_click=go, args=(0,), width="stretch"
    )
elif step < total:
    domain = domains[step]
    st.progress((step + 1) / total, text=words.progress_text(step, total))
    st.header(domain.name_for_family, anchor=False)
    st.write(words.QUESTION)
    hint = words.numbers_hint(instrument)
    if hint:
        st.caption(hint)
    chosen = answers.get(domain.key)
    stages = words.stages(instrument, domain)
    # Buttons that say the words read as sentences; a stage's numbers sit under its words.
    one_each = all(len(stage.choices) == 1 for stage in stages)
    choices = st.container(key="rate-words" if one_each else "rate-stages")
    for stage in stages:
        place = choices
        if len(stage.choices) > 1:
            place = choices.container(border=True)
            place.markdown(stage.words)
            place = place.container(horizontal=True)
        for choice in stage.choices:
            place.button(
                choice.label,
                key=f"point-{domain.key}-{choice.point:g}",
                type="primary" if chosen == choice.point else "secondary",
                on_click=answer,
                args=(token, domain.key, choice.point, total),
                width="stretch",
            )
    st.button(
        words.SKIP,
        key="rate-skip",
        on_click=answer,
        args=(token, domain.key, None, total),
        width="stretch",
    )
    st.button(
        words.BACK,
        key="rate-back",
        icon=":material/arrow_back:",
        on_click=go,
        args=(step - 1,),
        width="stretch",
    )
else:
    st.progress(1.0, text=words.all_done(total))
    st.header(words.CHECK, anchor=False)
    st.write(words.review_summary(instrument, answers))
    for index, row in enumerate(words.review_rows(instrument, answers)):
        with st.container(border=True):
            st.markdown(f"**{row.area}**")
            st.write(row.answer)
            st.button(
                words.CHANGE,
                key=f"rate-change-{row.key}",
                help=f"{words.CHANGE}: {row.area}",
                on_click=change,
                args=(index,),
            )
    st.button(
        words.SEND,
        key="rate-send",
        type="primary",
        icon=":material/send:",
        on_click=send,
        args=(token,),
        width="stretch",
    )
