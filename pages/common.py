"""What every page shares: the page registry, the engine and sessions, access checks, caches.

Pages stay thin: they read widgets, call ``tracker`` and render. Anything
that can be tested without Streamlit lives in ``tracker`` instead.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

import pandas as pd
import streamlit as st
from sqlmodel import Session
from streamlit.runtime.pages_manager import PagesManager

from tracker.instruments.loader import load_instruments
from tracker.measures.caseload import caseload
from tracker.people.access import AccessDenied, Viewer, allowed, authorise, authorise_role
from tracker.people.audit import record
from tracker.people.sessions import session_end_reason, stored_account
from tracker.records.families import family_by_ref
from tracker.store.db import make_engine, read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import Family, family_label
from tracker.store.settings import get_settings

# Cached query results are shared by every session of this process; keep them short-lived
# so another process's writes show up soon, and clear them after this process writes.
CACHE_TTL_SECONDS = 30


@st.cache_resource
def engine_for(database_url: str):
    return make_engine(database_url)


def engine():
    """One engine per process and database URL, created on first use."""
    return engine_for(get_settings().database_url)


def reading() -> AbstractContextManager[Session]:
    """A session for reading the app's database: pages open sessions only through here."""
    return read_session(engine())


def writing() -> AbstractContextManager[Session]:
    """A session for one atomic write; forms write through ``save`` instead."""
    return write_session(engine())


def today() -> date:
    return date.today()


def current_viewer() -> Viewer | None:
    return st.session_state.get("viewer")


ENTRY_POINT = Path(__file__).resolve().parent.parent / "app.py"


@dataclass(frozen=True)
class AppPage:
    """One page: where it lives, how navigation shows it, and which action opens it."""

    path: str  # relative to app.py, as st.Page and st.page_link take it
    title: str
    icon: str
    action: str | None = None  # None: open to everyone signed in
    # Public: opened by its link alone, signed in or not, and never offered in navigation.
    public: bool = False
    url_path: str | None = None  # None: from the file's name


# Navigation offers a page, and the page lets a viewer in, by this one table. Home comes
# first, so it is the default page.
APP_PAGES = (
    AppPage("pages/home.py", "Home", ":material/home:"),
    AppPage("pages/caseload.py", "Caseload", ":material/groups:", "view_caseload"),
    AppPage("pages/record_scores.py", "Record scores", ":material/edit_note:", "edit_family"),
    AppPage("pages/family_journey.py", "Family journey", ":material/star:", "view_family"),
    AppPage("pages/cohort.py", "Cohort", ":material/monitoring:", "view_cohort"),
    AppPage("pages/report_card.py", "Report card", ":material/summarize:", "view_report_card"),
    AppPage("pages/efficiency.py", "Efficiency", ":material/speed:", "view_efficiency"),
    AppPage("pages/quality.py", "Quality assurance", ":material/fact_check:", "quality_assurance"),
    AppPage("pages/data.py", "Import and export", ":material/swap_vert:", "offline_form"),
    AppPage("pages/audit.py", "Audit trail", ":material/history:", "view_audit"),
    AppPage("pages/admin.py", "Administration", ":material/admin_panel_settings:", "manage_users"),
    AppPage(
        "pages/self_rating.py",
        "Rate how things are",
        ":material/star:",
        public=True,
        url_path="rate",
    ),
)


_PAGES_BY_FILE = {(ENTRY_POINT.parent / page.path).resolve(): page for page in APP_PAGES}


def app_page(path: str) -> AppPage:
    """The registry entry for a page, from its ``__file__`` or its path from app.py."""
    try:
        return _PAGES_BY_FILE[(ENTRY_POINT.parent / path).resolve()]
    except KeyError:
        raise LookupError(f"{path} is not in APP_PAGES") from None


def may_open(viewer: Viewer | None, page: AppPage) -> bool:
    """Whether the viewer's role opens ``page``; a family's own check comes later. A public
    page needs no role: its link is checked by the page itself."""
    if page.public:
        return True
    return viewer is not None and (page.action is None or allowed(viewer, page.action))


def offered_pages(viewer: Viewer | None) -> list[AppPage]:
    """The pages navigation offers: exactly those whose own check lets the viewer in,
    less the public page, which a family reaches only by its link."""
    return [page for page in APP_PAGES if not page.public and may_open(viewer, page)]


def client_address() -> str | None:
    """The browser's address (nginx's X-Forwarded-For, trusted from loopback by default),
    or None on the server itself; Streamlit's test harness has no real connection."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def link_if_open(viewer: Viewer, path: str, **page_link) -> None:
    """A link to another page, drawn only if the viewer may open it.

    ``st.page_link`` fails on a page the viewer's navigation does not hold.
    """
    if may_open(viewer, app_page(path)):
        st.page_link(path, **page_link)


_log = logging.getLogger(__name__)


@contextmanager
def errors_shown_plainly():
    """Show an unexpected failure as plain words and a short reference, never a traceback;
    the whole error goes to the server's log under that reference, for the operator.

    Streamlit's own ``st.stop``, ``st.rerun`` and ``st.switch_page`` raise exceptions that
    are not ``Exception``s, so they pass through untouched.
    """
    try:
        yield
    except Exception:
        reference = secrets.token_hex(4).upper()
        _log.error("Unexpected error shown to a user as reference %s", reference, exc_info=True)
        st.error(
            "Something went wrong, so this page could not be shown in full. If it keeps "
            f"happening, tell your administrator and quote reference {reference}.",
            icon=":material/error:",
        )


def pages_from_navigation_only() -> None:
    """Make app.py's ``st.navigation`` the only list of pages, before anyone visits.

    Streamlit takes a folder called ``pages/`` beside the entry script for an old-style
    multipage app: until ``st.navigation`` first runs in the process, it routes every
    address to a file in the folder, runs that file alone and lists them all, so the
    first visit after a restart to /caseload would skip app.py's sign-in, and /common
    (not a page) would be blank. It decides by a process-wide flag, set when the first
    visitor's session starts unless set already; the server sets it first (app.py).
    """
    PagesManager.uses_pages_directory = False


def session_end_now(viewer: Viewer) -> str | None:
    """Why the viewer's session must end now, or None: the account re-read (one lookup by
    id) against the rules in tracker.people.sessions. app.py asks on every full run, and a
    fragment that counts as activity asks too."""
    account = None
    if viewer.user_id is not None:
        with reading() as session:
            account = stored_account(session, viewer.user_id)
    return session_end_reason(
        viewer,
        account,
        signed_in_at=st.session_state.get("signed_in_at"),
        last_active=st.session_state.get("last_active"),
        now=time.time(),
        settings=get_settings(),
    )


def refuse(message: str) -> NoReturn:
    st.error(message, icon=":material/block:")
    st.stop()


def require_page(page_file: str) -> Viewer:
    """Stop the page unless the viewer may open it, by the rule navigation offers it by.

    Hiding a page in navigation is not authorisation, so each page calls this first
    with its own ``__file__``.
    """
    page = app_page(page_file)
    viewer = current_viewer()
    try:
        authorise_role(viewer, page.action)
    except AccessDenied as refusal:
        refuse(str(refusal))
    return viewer


def require(action: str, *, family: Family | None = None) -> Viewer:
    """Stop the page with a plain refusal unless the viewer may do ``action`` (to ``family``)."""
    viewer = current_viewer()
    try:
        authorise(viewer, action, family=family)
    except AccessDenied as refusal:
        refuse(str(refusal))
    return viewer


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_caseload(
    database_url: str, role: str, key_worker_id: int | None, day: date, include_closed: bool
) -> pd.DataFrame:
    viewer = Viewer(name="", role=role, key_worker_id=key_worker_id)
    with engine_for(database_url).connect() as connection:
        return caseload(connection, viewer, today=day, include_closed=include_closed)


def viewer_caseload(viewer: Viewer, *, include_closed: bool = False) -> pd.DataFrame:
    return cached_caseload(
        get_settings().database_url, viewer.role, viewer.key_worker_id, today(), include_closed
    )


def data_changed() -> None:
    """Call after every write so no page shows stale figures."""
    st.cache_data.clear()


def instruments():
    return load_instruments()


# Session key: the family last picked on any page, for pages reached by the sidebar's
# links, which carry no ``?family=``.
CHOSEN_FAMILY = "chosen-family"


def family_choices(families: pd.DataFrame) -> dict[str, str]:
    """Each family's reference and how staff see it, from caseload rows, in their order."""
    return {
        ref: family_label(ref, short_name)
        for ref, short_name in zip(families["family_ref"], families["short_name"], strict=True)
    }


def family_picker(label: str, choices: dict[str, str], *, key: str) -> str:
    """A select box of families that opens on the one the address names (``?family=REF``:
    a link, a bookmark, F5 after signing in) or else the one last picked on any page, and
    keeps the address and the session on what is picked, so the family stays chosen from
    page to page."""
    asked = st.query_params.get("family")
    remembered = st.session_state.get(CHOSEN_FAMILY)
    # The address names another family than was last picked: a link or a bookmark was
    # followed, so it wins over what this page's box held.
    followed = asked in choices and asked != remembered
    if followed or st.session_state.get(key) not in choices:
        wanted = asked if asked in choices else remembered
        st.session_state[key] = wanted if wanted in choices else next(iter(choices))
    family_ref = st.selectbox(label, list(choices), key=key, format_func=choices.get)
    st.session_state[CHOSEN_FAMILY] = family_ref
    if asked != family_ref:
        st.query_params["family"] = family_ref
    return family_ref


def chosen_family(viewer: Viewer, action: str, *, include_closed: bool = True) -> Family | None:
    """The family to show, picked in the page's own box, checked against the policy.

    The family arrives from the URL (``?family=REF``), from another page, or from the
    box; whichever way, the policy decides, so editing the URL reveals nothing.
    """
    choices = family_choices(viewer_caseload(viewer, include_closed=include_closed))
    wanted = st.query_params.get("family")
    if wanted and wanted not in choices:
        with reading() as session:
            family = family_by_ref(session.connection(), wanted)
        try:
            authorise(viewer, action, family=family)
        except AccessDenied as refusal:
            st.error(str(refusal), icon=":material/block:")
            if st.button("Show my families instead"):
                del st.query_params["family"]
                st.rerun()
            st.stop()
        choices = {wanted: family_label(wanted, family.short_name), **choices}
    if not choices:
        st.info("There are no families on this caseload yet. Add one on the Caseload page.")
        return None
    family_ref = family_picker("Family", choices, key=f"family-picker-{action}")
    with reading() as session:
        family = family_by_ref(session.connection(), family_ref)
    require(action, family=family)
    return family


def show_problems(
    problems: dict[str, str], fields: tuple[str, ...] = (), labels: dict[str, str] | None = None
) -> None:
    """One error box listing what needs fixing, in plain words.

    ``labels`` maps field names to the form's own labels, so a message such as
    "This is required." says which box it is about.
    """
    labels = labels or {}
    shown = {key: text for key, text in problems.items() if not fields or key in fields}
    if shown:
        lines = [
            f"- **{labels[key]}:** {text}" if key in labels else f"- {text}"
            for key, text in shown.items()
        ]
        st.error("Please check:\n\n" + "\n".join(lines))


def save(
    write: Callable[[Session], object],
    *,
    done: str | Callable[[], object],
    labels: dict[str, str] | None = None,
) -> None:
    """Run one form's write in a transaction of its own, then say how it went.

    Problems go in one box, named by the form's ``labels``. Once saved, every cached
    figure is cleared, then ``done`` is shown as a confirmation or, if it is a function
    such as ``st.rerun``, called to redraw the page with what was saved.
    """
    try:
        with writing() as session:
            write(session)
    except RecordInvalid as invalid:
        show_problems(invalid.problems, labels=labels)
        return
    data_changed()
    if callable(done):
        done()
    else:
        st.success(done)


# What every table or chart download holds besides its figures (``notes``, the caller's
# context lines, and the suppression footnote), said on each button. Taking a file does
# not rerun the page (``on_click="ignore"``, on every download button in pages/): a rerun
# races the browser's fetch of the file, and the audit row is written as it is made.
CONTEXT_WORDS = (
    "what it covers (instrument, filters, whose ratings, period), who it is for, the "
    "smallest group shown and the day it was made"
)


def table_downloads(
    frame: pd.DataFrame, name: str, min_group: int, notes: tuple[str, ...] = ()
) -> None:
    """CSV and Excel buttons for a table exactly as shown, ``*`` included, with ``notes``
    (the captions that go with the figures) in the file."""
    _csv_and_excel(frame, name, min_group, notes, label="", holds="This table as shown")


def chart_data_downloads(
    frame: pd.DataFrame, name: str, min_group: int, notes: tuple[str, ...], *, holds: str
) -> None:
    """CSV and Excel buttons labelled "Chart data": the numbers a chart was drawn from
    (``holds`` says which, in a few words), ``*`` included, with ``notes`` in the file."""
    _csv_and_excel(frame, f"{name}-chart-data", min_group, notes, label="Chart data ", holds=holds)


def _csv_and_excel(
    frame: pd.DataFrame,
    name: str,
    min_group: int,
    notes: tuple[str, ...],
    *,
    label: str,
    holds: str,
) -> None:
    from tracker.render.downloads import table_csv, table_xlsx

    # Side by side in a row that wraps, rather than at the far edges of two half columns.
    row = st.container(horizontal=True)
    viewer = current_viewer()
    row.download_button(
        f"{label}CSV",
        audited(viewer, "export", f"{name}.csv", lambda: table_csv(frame, min_group, notes)),
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{name}-csv",
        on_click="ignore",
        help=f"{holds}, * included. It opens with rows starting # that say {CONTEXT_WORDS}.",
    )
    row.download_button(
        f"{label}Excel",
        audited(
            viewer, "export", f"{name}.xlsx", lambda: table_xlsx(frame, min_group, notes=notes)
        ),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"{name}-xlsx",
        on_click="ignore",
        help=f"{holds}, * included, on its own sheet; a second sheet, "
        f'"About this table", says {CONTEXT_WORDS}.',
    )


def chart_download(figure, name: str, notes: tuple[str, ...] = ()) -> None:
    """A PNG when a Chromium can render one, otherwise a self-contained HTML chart, with
    ``notes`` (what it covers, who it is for, when it was made) written under it."""
    from tracker.render.downloads import (
        browser_available,
        figure_html,
        figure_png,
        stamped_figure,
    )

    viewer = current_viewer()
    if browser_available():
        st.download_button(
            "Chart as PNG",
            audited(
                viewer, "export", f"{name}.png", lambda: figure_png(stamped_figure(figure, notes))
            ),
            file_name=f"{name}.png",
            mime="image/png",
            icon=":material/image:",
            key=f"{name}-png",
            on_click="ignore",
            help=f"This chart as an image, with lines under it that say {CONTEXT_WORDS}.",
        )
    else:
        st.download_button(
            "Chart as HTML",
            audited(
                viewer, "export", f"{name}.html", lambda: figure_html(stamped_figure(figure, notes))
            ),
            file_name=f"{name}.html",
            mime="text/html",
            icon=":material/image:",
            key=f"{name}-html",
            on_click="ignore",
            help="No browser is installed for PNG export; this HTML file opens in any browser. "
            f"Lines under the chart say {CONTEXT_WORDS}.",
        )


def show_table(frame: pd.DataFrame) -> None:
    """Show a table whose columns may mix numbers with ``*``, as text, blanks for missing."""

    def text(value) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        return f"{value:g}" if isinstance(value, float) else str(value)

    mixed = [column for column in frame.columns if frame[column].dtype == object]
    st.dataframe(
        frame.assign(**{c: frame[c].map(text) for c in mixed}), hide_index=True, width="stretch"
    )


def note_in_audit(viewer: Viewer, **row) -> None:
    """One audit row for something the viewer did that changes nothing stored (a download,
    a view, signing out), written in a transaction of its own."""
    with writing() as session:
        record(session, actor=viewer.actor, **row)


def audited(viewer: Viewer, action: str, what: str, make, *, family: Family | None = None):
    """Wrap a download's data function so that taking the file is recorded in the audit
    (against the family too, when the file is about one family)."""

    def produce():
        data = make()
        note_in_audit(
            viewer,
            action=action,
            entity="download",
            entity_id=what,
            family_id=None if family is None else family.id,
        )
        return data

    return produce


def record_view(viewer: Viewer, family: Family) -> None:
    """Record in the audit trail that the viewer opened this family's record: once per
    session and family, whichever page showed it, so the trail says who looked at whom
    without a row for every click."""
    seen = st.session_state.setdefault("families-viewed", set())
    if (viewer.actor, family.id) in seen:
        return
    note_in_audit(
        viewer, action="view", entity="family", entity_id=family.family_ref, family_id=family.id
    )
    seen.add((viewer.actor, family.id))
