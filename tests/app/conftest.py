"""AppTest fixtures: apps signed in by role on the sample cohort (``sample_engine``).

Who is using the app is seeded through session state, as the sign-in issue
will do, so each test says exactly whose view it checks.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from tracker.people.access import ADMIN, COMMISSIONER, MANAGER, PRACTITIONER, Viewer
from tracker.store.models import Family, KeyWorker

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
MANAGER_NAME = "Service manager (all families)"


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once():
    """Every AppTest scans all installed packages for Streamlit components, a quarter of a
    second each time; what is installed does not change during a run, so scan once."""
    with pytest.MonkeyPatch.context() as patch:
        scan_once = functools.cache(manifest_scanner.scan_component_manifests)
        patch.setattr(manifest_scanner, "scan_component_manifests", scan_once)
        yield


def first_worker(engine) -> tuple[int, str]:
    """The key worker with the most open families, for a realistic caseload."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(KeyWorker.id, KeyWorker.name)
            .join(Family, Family.key_worker_id == KeyWorker.id)
            .where(Family.closed_on.is_(None))
            .group_by(KeyWorker.id, KeyWorker.name)
            .order_by(sa.func.count(Family.id).desc(), KeyWorker.name)
        ).first()


def open_app(viewer: Viewer, page: str | None = None, **query) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["viewer"] = viewer
    app.query_params.update(query)
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    return app


@pytest.fixture
def practitioner(sample_engine) -> Viewer:
    worker_id, name = first_worker(sample_engine)
    return Viewer(name=name, role=PRACTITIONER, key_worker_id=worker_id, username="pat")


@pytest.fixture
def manager(sample_engine) -> Viewer:
    return Viewer(name=MANAGER_NAME, role=MANAGER, username="manny")


@pytest.fixture
def commissioner(sample_engine) -> Viewer:
    return Viewer(name="Commissioner", role=COMMISSIONER, username="connie")


@pytest.fixture
def admin(sample_engine) -> Viewer:
    return Viewer(name="Administrator", role=ADMIN, username="addy")


def yesterday() -> date:
    return date.today() - timedelta(days=1)


def by_label(elements, label: str):
    """The first element with this label; fails clearly when there is none."""
    found = next((element for element in elements if element.label == label), None)
    assert found is not None, f"nothing labelled {label!r}"
    return found
