"""Distance Travelled: the Streamlit entry point, and the server that runs it.

For each visitor it sets up the page, checks the database is ready, signs people in
(local accounts, or the organisation's identity provider when OIDC is configured), ends
sessions whose account changed or whose time is up, and builds the navigation for the
person's role. Each page re-checks access itself; the navigation only decides what is
offered. Whatever fails on the way is shown as plain words and a reference, never as a
traceback.

``streamlit run app.py`` finds ``app`` at the bottom and serves this file through it, so
that before anyone visits, the navigation here is made the only list of pages (see
``pages_from_navigation_only``): the first visit after a restart, to any address, runs
this file and meets the sign-in form.
"""

import time
from contextlib import asynccontextmanager

import streamlit as st

from pages.common import (
    APP_PAGES,
    CHOSEN_FAMILY,
    AppPage,
    client_address,
    engine,
    errors_shown_plainly,
    note_in_audit,
    offered_pages,
    pages_from_navigation_only,
    reading,
    session_end_now,
    writing,
)
from tracker.people.access import Viewer
from tracker.people.accounts import ProductionWithDemoAccounts, check_production, has_demo_accounts
from tracker.people.auth import sign_in, sign_in_by_email
from tracker.render.plain_text import markdown_literal
from tracker.store import migrate
from tracker.store.settings import get_settings


def set_up_page() -> None:
    if get_settings().environment == "production":
        # Whatever escapes the wrapper below (a button's callback, say) shows no details
        # either; they go to the server's log.
        st.set_option("client.showErrorDetails", "none")
    st.set_page_config(page_title="Distance Travelled", page_icon="⭐", layout="wide")
    # Streamlit draws captions at 60% opacity, which on white is 3.9:1, short of the 4.5:1
    # that WCAG AA asks of small text; at 80% they stay quieter than body text and pass.
    st.html("<style>[data-testid='stCaptionContainer'] { opacity: 0.8; }</style>")


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all means no OIDC
        return False


def start_session(viewer: Viewer) -> None:
    st.session_state["viewer"] = viewer
    st.session_state["signed_in_at"] = st.session_state["last_active"] = time.time()
    st.rerun()


def sign_out(reason: str = "") -> None:
    viewer = st.session_state.pop("viewer", None)
    st.session_state.pop("signed_in_at", None)
    st.session_state.pop("last_active", None)
    st.session_state.pop(CHOSEN_FAMILY, None)
    if viewer is not None:
        note_in_audit(
            viewer,
            action="sign_out",
            entity="user",
            entity_id=viewer.user_id,
            after={"reason": reason or "signed out"},
        )
    if reason:
        st.session_state["sign-in-note"] = reason
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def session_still_good(viewer: Viewer) -> bool:
    """End the session, saying why, if its account changed or its time is up."""
    reason = session_end_now(viewer)
    if reason:
        sign_out(reason)
    return reason is None


def sign_in_page(demo: bool) -> None:
    """The sign-in form (or the organisation's sign-in); the run stops here."""
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
            start_session(result.viewer)
        st.button("Sign in with your organisation account", on_click=st.login, type="primary")
        st.stop()
    with st.form("sign-in"):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with writing() as session:
            result = sign_in(session, username, password, client=client_address())
        if result.viewer is None:
            st.error(result.message)
        else:
            start_session(result.viewer)
    st.stop()


def navigation(pages: list[AppPage], *, position: str = "sidebar") -> st.Page:
    """The page the address asks for among ``pages``, or the first (Home) if it is none."""
    return st.navigation(
        [
            st.Page(page.path, title=page.title, icon=page.icon, url_path=page.url_path)
            for page in pages
        ],
        position=position,
    )


def run_app() -> None:
    set_up_page()
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

    # The page the address asks for, resolved among every page without running it, so the
    # address (a bookmark's ?family= included) stays as it was and that page opens once
    # signed in.
    asked = navigation(list(APP_PAGES), position="hidden")
    if asked.url_path in {page.url_path for page in APP_PAGES if page.public}:
        # A family's own link: no sign-in, no sidebar and no navigation, whoever is signed
        # in on this browser; the page admits nobody without a valid link of its own.
        asked.run()
        return
    viewer = st.session_state.get("viewer")
    if viewer is None or not session_still_good(viewer):
        sign_in_page(demo)

    st.session_state["last_active"] = time.time()
    with st.sidebar:
        st.caption(f"Signed in as **{markdown_literal(viewer.name)}** ({viewer.role})")
        if demo:
            st.badge("DEMO data and accounts", icon=":material/science:", color="orange")
        if st.button("Sign out", icon=":material/logout:"):
            sign_out("You have signed out.")
            # Leave no family in the address for whoever uses this browser next; a
            # session that timed out keeps it, for its owner to sign back in to.
            st.query_params.clear()
            st.rerun()

    navigation(offered_pages(viewer)).run()


@asynccontextmanager
async def pages_listed_here(_server: st.App):
    """Before the server lets anyone in, make the navigation above the only list of pages."""
    pages_from_navigation_only()
    yield


if __name__ == "__main__":  # Streamlit running this file for one visitor
    with errors_shown_plainly():
        run_app()
else:  # imported by the server that `streamlit run app.py` starts on finding `app`
    app = st.App(__file__, lifespan=pages_listed_here)
