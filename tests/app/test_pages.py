"""Every page renders for every kind of user, and navigation moves between them."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, by_label, open_app
from tracker.measures.caseload import caseload
from tracker.people.access import MANAGER, Viewer
from tracker.store.db import write_session
from tracker.store.models import Family

PAGES = {
    "pages/home.py": "Distance Travelled",
    "pages/caseload.py": "caseload",
    "pages/record_scores.py": "Record scores",
    "pages/family_journey.py": "Family journey",
}


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("who", ["practitioner", "manager"])
def test_every_page_renders_with_the_sample(page, who, request, sample_engine):
    viewer = request.getfixturevalue(who)
    app = open_app(viewer, page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert PAGES[page].lower() in app.title[0].value.lower()


def test_navigation_moves_between_pages(practitioner):
    app = open_app(practitioner)
    assert app.title[0].value == "Distance Travelled"
    for page, title in PAGES.items():
        app.switch_page(page).run()
        assert title.lower() in app.title[0].value.lower()
        assert not app.exception


@pytest.mark.both_stores  # about the store: each reports its schema revision its own way
def test_a_database_that_is_not_migrated_says_what_to_do(database_url):
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["viewer"] = Viewer(name="Service manager (all families)", role=MANAGER)
    app.run()
    assert not app.exception
    assert "tracker init" in app.error[0].value


def test_every_page_runs_through_the_entry_point(practitioner):
    """A page never runs alone: app.py's sign-in check and navigation come with it."""
    app = open_app(practitioner)
    for page in PAGES:
        app.switch_page(page).run()
        assert f"Signed in as **{practitioner.name}**" in app.sidebar.caption[0].value


def caseload_refs(engine, viewer, *, include_closed: bool = True) -> list[str]:
    """The viewer's families in the order the family boxes list them: the caseload's with
    open cases only, the family pages' with closed ones too."""
    with engine.connect() as connection:
        frame = caseload(connection, viewer, today=date.today(), include_closed=include_closed)
    return frame["family_ref"].tolist()


def picked(app, label: str = "Family") -> str:
    return by_label(app.selectbox, label).value


def follow_sidebar(app, page: str) -> None:
    """What the sidebar's links do: open another page with no ``?family=``."""
    app.query_params.clear()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]


def test_the_chosen_family_stays_chosen_from_page_to_page(practitioner, sample_engine):
    first, second, third = caseload_refs(sample_engine, practitioner, include_closed=False)[:3]
    with write_session(sample_engine) as session:
        session.execute(
            sa.update(Family).where(Family.family_ref == second).values(short_name="Zed household")
        )
    app = open_app(practitioner, "pages/caseload.py")
    assert picked(app, "Work with a family") == first
    by_label(app.selectbox, "Work with a family").set_value(second).run()
    assert app.query_params["family"] == second

    follow_sidebar(app, "pages/record_scores.py")
    assert picked(app) == second
    assert f"{second} (Zed household)" in by_label(app.selectbox, "Family").options
    assert app.query_params["family"] == second  # the address says it again, for a bookmark

    follow_sidebar(app, "pages/family_journey.py")
    assert picked(app) == second
    by_label(app.selectbox, "Family").set_value(third).run()
    assert app.query_params["family"] == third

    follow_sidebar(app, "pages/record_scores.py")
    assert picked(app) == third
    follow_sidebar(app, "pages/caseload.py")
    assert picked(app, "Work with a family") == third


def test_a_link_to_another_family_wins_over_the_one_chosen_before(practitioner, sample_engine):
    first, second = caseload_refs(sample_engine, practitioner)[:2]
    app = open_app(practitioner, "pages/family_journey.py")
    assert picked(app) == first
    # A link (or the address bar) naming another family, on the page already open.
    app.query_params["family"] = second
    app.run()
    assert picked(app) == second
    follow_sidebar(app, "pages/record_scores.py")
    assert picked(app) == second


def test_a_new_session_opens_the_family_its_address_names(practitioner, sample_engine):
    """A bookmark, or F5: a new session with only the address to go on."""
    wanted = caseload_refs(sample_engine, practitioner, include_closed=False)[-1]
    for page in ("pages/record_scores.py", "pages/family_journey.py", "pages/caseload.py"):
        fresh = open_app(practitioner, page, family=wanted)
        label = "Work with a family" if page.endswith("caseload.py") else "Family"
        assert picked(fresh, label) == wanted
