"""Efficiency page: a manager sees open cases per key worker, cases closed per month and
reviews overdue per worker, matching the measures; other roles are refused."""

from __future__ import annotations

from datetime import date

import pages.common
from pages.common import APP_PAGES
from tests.app.conftest import open_app
from tracker.measures.caseload import caseload, overdue_by_worker
from tracker.measures.efficiency import (
    CLOSURE_GROUPS,
    MONTHS_SHOWN,
    closed_per_month,
    closures,
    open_cases_by_worker,
)

PAGE = "pages/efficiency.py"


def table_with(app, column: str):
    frames = [frame.value for frame in [*app.dataframe, *app.table] if column in frame.value]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def test_a_manager_sees_the_three_tables_matching_the_measures(manager, sample_engine):
    app = open_app(manager, PAGE)
    assert not app.exception, [e.value for e in app.exception]
    assert [title.value for title in app.title] == ["Efficiency"]
    day = date.today()
    with sample_engine.connect() as connection:
        families = caseload(connection, manager, today=day, include_closed=True)
        per_month = closed_per_month(closures(connection, manager), today=day)
    expected_open = open_cases_by_worker(families)
    expected_overdue = overdue_by_worker(families, today=day)

    shown_open = table_with(app, "Open cases")
    assert shown_open["Key worker"].tolist() == expected_open["key_worker"].tolist()
    assert shown_open["Open cases"].tolist() == expected_open["open_cases"].tolist()
    assert shown_open["Review overdue"].tolist() == expected_open["overdue"].tolist()
    assert shown_open["Open cases"].sum() == families["closed_on"].isna().sum() > 0

    shown_months = table_with(app, "Month")
    assert len(shown_months) == MONTHS_SHOWN
    assert shown_months["Month"].iloc[-1] == f"{day:%b %Y}"
    assert shown_months["Total"].tolist() == per_month["total"].tolist()
    for group in CLOSURE_GROUPS:
        assert shown_months[group].tolist() == per_month[group].tolist()

    # The sample is dated up to 1 Nov 2026, so by now some reviews are overdue.
    assert not expected_overdue.empty
    shown_overdue = table_with(app, "Overdue reviews")
    assert shown_overdue["Key worker"].tolist() == expected_overdue["key_worker"].tolist()
    assert shown_overdue["Overdue reviews"].tolist() == expected_overdue["overdue"].tolist()
    # Every table can be taken away as CSV and Excel.
    downloads = [button.label for button in app.get("download_button")]
    assert downloads.count("CSV") == 3 and downloads.count("Excel") == 3


def test_practitioners_and_commissioners_are_refused(practitioner, commissioner, monkeypatch):
    # Navigation out of the way, so the page's own check is what refuses.
    monkeypatch.setattr(pages.common, "offered_pages", lambda viewer: list(APP_PAGES))
    for viewer in (practitioner, commissioner):
        app = open_app(viewer, PAGE)
        assert not app.title, viewer.role
        assert any("does not allow" in error.value for error in app.error), viewer.role
        assert not app.dataframe and not app.table
