"""Every page renders for every kind of user, and navigation moves between them."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, open_app
from tracker.people.access import MANAGER, Viewer

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
