"""Distance Travelled: the Streamlit entry point.

It sets up the page, checks the database is ready, signs people in (local accounts, or
the organisation's identity provider when OIDC is configured), times out idle sessions,
and builds the navigation for the person's role. Each page re-checks access itself; the
navigation only decides what is offered.
"""

import time

import streamlit as st

from pages.common import engine, entry_point_running, offered_pages, reading, writing
from tracker.people.audit import record
from tracker.people.auth import (
    IDLE_TIMEOUT,
    ProductionWithDemoAccounts,
    check_production,
    has_demo_accounts,
    sign_in,
    sign_in_by_email,
)
from tracker.store import migrate
from tracker.store.settings import get_settings

st.set_page_config(page_title="Distance Travelled", page_icon="⭐", layout="wide")
# Streamlit draws captions at 60% opacity, which on white is 3.9:1, short of the 4.5:1
# that WCAG AA asks of small text; at 80% they stay quieter than body text and pass.
st.html("<style>[data-testid='stCaptionContainer'] { opacity: 0.8; }</style>")

if migrate.current_revision(engine()) != migrate.head_revision():
    st.error(
        "The database is not ready. Run `tracker init` (or `make run`) to create or "
        "upgrade it, then reload this page."
    )
    st.stop()

with reading() as session:
    try:
        check_production(session, get_settings().environment)
    except ProductionWithDemoAccounts as refusal:
        st.error(str(refusal))
        st.stop()
    demo = has_demo_accounts(session)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all means no OIDC
        return False


def sign_out(reason: str = "") -> None:
    viewer = st.session_state.pop("viewer", None)
    st.session_state.pop("last_active", None)
    if viewer is not None:
        with writing() as session:
            record(
                session,
                actor=viewer.actor,
                action="sign_out",
                entity="user",
                entity_id=viewer.user_id,
                after={"reason": reason or "signed out"},
            )
    if reason:
        st.session_state["sign-in-note"] = reason
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


viewer = st.session_state.get("viewer")
last_active = st.session_state.get("last_active")
if (
    viewer is not None
    and last_active is not None
    and (time.time() - last_active > IDLE_TIMEOUT.total_seconds())
):
    sign_out("You were signed out after 30 minutes without activity. Please sign in again.")
    viewer = None

if viewer is None:
    st.title("Distance Travelled")
    if demo:
        st.warning(
            "DEMO: this copy holds synthetic families and demo accounts "
            "(demo-practitioner, demo-manager, demo-commissioner, demo-admin). The password "
            "was printed once when the demo was set up.",
            icon=":material/science:",
        )
    note = st.session_state.pop("sign-in-note", None)
    if note:
        st.info(note)
    if oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            with writing() as session:
                result = sign_in_by_email(session, st.user.email or "")
            if result.viewer is None:
                st.error(result.message)
                st.button("Sign out", on_click=st.logout)
                st.stop()
            st.session_state["viewer"] = result.viewer
            st.session_state["last_active"] = time.time()
            st.rerun()
        st.button("Sign in with your organisation account", on_click=st.login, type="primary")
        st.stop()
    with st.form("sign-in"):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with writing() as session:
            result = sign_in(session, username, password)
        if result.viewer is None:
            st.error(result.message)
        else:
            st.session_state["viewer"] = result.viewer
            st.session_state["last_active"] = time.time()
            st.rerun()
    st.stop()

st.session_state["last_active"] = time.time()
with st.sidebar:
    st.caption(f"Signed in as **{viewer.name}** ({viewer.role})")
    if demo:
        st.badge("DEMO data and accounts", icon=":material/science:", color="orange")
    if st.button("Sign out", icon=":material/logout:"):
        sign_out("You have signed out.")
        st.rerun()

pages = [st.Page(page.path, title=page.title, icon=page.icon) for page in offered_pages(viewer)]
with entry_point_running():
    st.navigation(pages).run()
