"""Navigation and each page's own check agree, because both read the one page registry.

Hiding a page in navigation is not authorisation: a page opened with navigation out of
the way must refuse exactly the roles navigation would not offer it to. Today's roles
happen to hold each page's action together with the ones a page might check instead, so
roles that lack just one action are checked too: they are how drift would show.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import pages.common
from pages.common import APP_PAGES, app_page
from tests.app.conftest import ROOT, account, open_app
from tracker.people.access import MANAGER, PERMISSIONS, Viewer

# Modules pages import, which are not pages themselves.
SHARED_MODULES = {
    "__init__.py",
    "common.py",
    "family_invitations.py",
    "cohort_sections.py",
    "quality_sampling.py",
    "quality_feedback.py",
    "family_pathway.py",
}
ACTIONS = set().union(*PERMISSIONS.values())
LACKING_ONE = {
    f"all-but-{page.action}": ACTIONS - {page.action} for page in APP_PAGES if page.action
}


def test_the_registry_covers_every_page_file():
    files = {path.name for path in (ROOT / "pages").glob("*.py")} - SHARED_MODULES
    assert sorted(Path(page.path).name for page in APP_PAGES) == sorted(files)
    assert all(app_page(str(ROOT / page.path)) is page for page in APP_PAGES)


def offered(viewer: Viewer) -> set[str]:
    app = open_app(viewer)
    reachable = set()
    for page in APP_PAGES:
        try:
            app.switch_page(page.path)
        except ValueError:  # not in this viewer's navigation
            continue
        reachable.add(page.path)
    return reachable


def opened_alone(viewer: Viewer, path: str, monkeypatch) -> AppTest:
    """Open ``path`` with navigation offering every page, so only the page itself decides."""
    with monkeypatch.context() as patch:
        patch.setattr(pages.common, "offered_pages", lambda viewer: list(APP_PAGES))
        app = open_app(viewer, path)
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.parametrize("role", [*PERMISSIONS, *LACKING_ONE])
def test_a_page_lets_in_exactly_the_roles_navigation_offers_it_to(
    role, practitioner, sample_engine, monkeypatch
):
    if role in LACKING_ONE:  # a manager's account, with the policy's manager cut down
        monkeypatch.setitem(PERMISSIONS, MANAGER, LACKING_ONE[role])
    # A key worker's id, so pages about families have a caseload to show.
    viewer = account(
        sample_engine,
        "tester",
        "Tester",
        role if role in PERMISSIONS else MANAGER,
        practitioner.key_worker_id,
    )
    shown = offered(viewer)
    assert "pages/home.py" in shown, "Home is open to everyone signed in"
    # The family's own rating page answers to its link, not to roles
    # (tests/app/test_self_rating_page.py).
    staff_pages = [page for page in APP_PAGES if not page.public]
    apps = {page.path: opened_alone(viewer, page.path, monkeypatch) for page in staff_pages}
    # Every page draws its title only once its own check has let the viewer in.
    let_in = {path for path, app in apps.items() if app.title}
    refused = {
        path for path, app in apps.items() if any("does not allow" in e.value for e in app.error)
    }
    assert let_in == shown
    assert refused == set(apps) - shown
