"""The import page (issue 17, item 20): each upload is read once, not on every rerun, from
memory, so no copy of it is left on the server's disk; and an upload over the size limit
is refused by name."""

from __future__ import annotations

import tempfile

import pytest

from tests.app.conftest import MANAGER_NAME, account, open_app
from tests.unit.helpers import SCORE_HEADER
from tracker.people.access import MANAGER, Viewer

PAGE = "pages/data.py"
FAMILIES = (
    b"family_ref,area,tier_of_need,key_worker,referral_source,referral_date\n"
    b"UP-1,Northfield,tier 2,Ann New,School,2025-01-06\n"
)

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def manager(sample_engine) -> Viewer:
    return account(sample_engine, "manny", MANAGER_NAME, MANAGER)


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """Where the page would leave temporary files, watched by the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_an_upload_is_read_once_and_leaves_nothing_on_disk(manager, temp_folder):
    app = open_app(manager, PAGE)
    app.get("file_uploader")[0].set_value([("families.csv", FAMILIES, "text/csv")])
    app.run()
    assert not app.exception and not app.error
    assert list(temp_folder.iterdir()) == []
    first = app.session_state["import-read"]
    app.checkbox[0].check().run()  # a rerun with the same upload
    assert app.session_state["import-read"] is first
    next(b for b in app.button if b.label == "Import now").click().run()
    assert "Imported: 1 new family" in app.success[0].value
    assert list(temp_folder.iterdir()) == []
    app.get("file_uploader")[0].set_value([])
    app.run()
    assert "import-read" not in app.session_state
    assert list(temp_folder.iterdir()) == []


def test_an_upload_over_the_size_limit_is_refused_by_name(manager, monkeypatch):
    monkeypatch.setenv("TRACKER_UPLOAD_MAX_MB", "1")
    data = (",".join(SCORE_HEADER) + "\n").encode() + b"x" * (1024 * 1024)
    app = open_app(manager, PAGE)
    app.get("file_uploader")[0].set_value([("scores.csv", data, "text/csv")])
    app.run()
    assert not app.exception
    report = app.dataframe[-1].value
    assert report.iloc[0]["File"] == "scores.csv"
    assert "limit of 1 MB" in report.iloc[0]["Problem"]
    assert not [b for b in app.button if b.label == "Import now"]
