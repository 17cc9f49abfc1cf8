"""AppTest fixtures: apps signed in by role on the sample cohort (``sample_engine``).

Who is using the app is a real account in the test's database, put into session state
as signing in would put it, so each test says exactly whose view it checks. The app
re-reads the account on every run, so a viewer without one would be signed out.
"""

from __future__ import annotations

import functools
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from tracker.people.access import ADMIN, COMMISSIONER, MANAGER, PRACTITIONER, Viewer
from tracker.people.auth import viewer_for
from tracker.records.families import close_family
from tracker.store.db import write_session
from tracker.store.models import AppUser, ClosureAudit, Family, KeyWorker

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


def account(
    engine, username: str, name: str, role: str, key_worker_id: int | None = None
) -> Viewer:
    """A real account, stored without a password (no hashing): what signing in would
    have put in the session."""
    with write_session(engine) as session:
        user = AppUser(username=username, display_name=name, role=role, key_worker_id=key_worker_id)
        session.add(user)
        session.flush()
        return viewer_for(user)


def open_app(viewer: Viewer, page: str | None = None, **query) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.session_state["viewer"] = viewer
    app.session_state["signed_in_at"] = app.session_state["last_active"] = time.time()
    app.query_params.update(query)
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    return app


@pytest.fixture
def practitioner(sample_engine) -> Viewer:
    worker_id, name = first_worker(sample_engine)
    return account(sample_engine, "pat", name, PRACTITIONER, worker_id)


@pytest.fixture
def manager(sample_engine) -> Viewer:
    return account(sample_engine, "manny", MANAGER_NAME, MANAGER)


@pytest.fixture
def commissioner(sample_engine) -> Viewer:
    return account(sample_engine, "connie", "Commissioner", COMMISSIONER)


@pytest.fixture
def admin(sample_engine) -> Viewer:
    return account(sample_engine, "addy", "Administrator", ADMIN)


def yesterday() -> date:
    return date.today() - timedelta(days=1)


def by_label(elements, label: str):
    """The first element with this label; fails clearly when there is none."""
    found = next((element for element in elements if element.label == label), None)
    assert found is not None, f"nothing labelled {label!r}"
    return found


def close_first_open_family(engine, reason: str, note: str) -> tuple[str, int]:
    """Close the sample's first open family today, as a manager on the Caseload page
    would: its reference and the id of the closure audit that opens when ``reason`` is
    one the service audits."""
    with write_session(engine) as session:
        family = (
            session.execute(
                sa.select(Family).where(Family.closed_on.is_(None)).order_by(Family.family_ref)
            )
            .scalars()
            .first()
        )
        close_family(
            session,
            family_id=family.id,
            closed_on=date.today(),
            closure_reason=reason,
            closure_note=note,
            today=date.today(),
            actor="manny",
        )
        audit_id = session.execute(
            sa.select(ClosureAudit.id).where(ClosureAudit.family_id == family.id)
        ).scalar_one()
        return family.family_ref, audit_id
