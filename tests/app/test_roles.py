"""Role by page: each role is offered exactly its pages, and each of those renders."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_app

PAGES = [
    "pages/home.py",
    "pages/caseload.py",
    "pages/record_scores.py",
    "pages/family_journey.py",
    "pages/cohort.py",
    "pages/report_card.py",
    "pages/data.py",
    "pages/audit.py",
    "pages/admin.py",
]
OFFERED = {
    "practitioner": {
        "pages/home.py",
        "pages/caseload.py",
        "pages/record_scores.py",
        "pages/family_journey.py",
        "pages/data.py",  # a family's offline form, for their own caseload only
    },
    "manager": set(PAGES) - {"pages/admin.py"},
    "commissioner": {"pages/home.py", "pages/cohort.py", "pages/report_card.py"},
    # Admins manage accounts, not family data: no import or export.
    "admin": {"pages/home.py", "pages/audit.py", "pages/admin.py"},
}


@pytest.mark.parametrize("role", list(OFFERED))
@pytest.mark.parametrize("page", PAGES)
def test_each_role_reaches_exactly_its_pages(role, page, request, sample_engine):
    viewer = request.getfixturevalue(role)
    app = open_app(viewer)
    if page not in OFFERED[role]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)
        return
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert not any("does not allow" in e.value for e in app.error)


def test_commissioners_get_no_scatter_and_always_suppressed_figures(commissioner, monkeypatch):
    monkeypatch.setenv("TRACKER_MIN_GROUP", "1000")
    app = open_app(commissioner, "pages/cohort.py")
    assert "Reliable change" not in [tab.label for tab in app.tabs]
    assert all(tile.value in {"*", "0"} for tile in app.metric)
