"""Roles that hold: a practitioner with no key worker sees nothing, admins manage accounts
and not family data, the last admin stays, commissioners see no staff names, and a form is
shown only to those who may save it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from pages.common import offered_pages
from tracker.measures.caseload import caseload
from tracker.people.access import ADMIN, PRACTITIONER, AccessDenied, Viewer, authorise
from tracker.people.accounts import create_user, set_active, set_role
from tracker.records.families import family_by_ref, key_workers
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AppUser, Family

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NO_KEY_WORKER = Viewer(name="Was a manager", role=PRACTITIONER, user_id=1, username="was")
ADMIN_VIEWER = Viewer(name="Addy", role=ADMIN, user_id=2, username="addy")


def unassigned_family(engine) -> str:
    """Take one sample family off every caseload, as a family waiting for a worker is."""
    with engine.begin() as connection:
        family_ref = connection.execute(sa.select(Family.family_ref).limit(1)).scalar_one()
        connection.execute(
            sa.update(Family).where(Family.family_ref == family_ref).values(key_worker_id=None)
        )
    return family_ref


def test_a_practitioner_without_a_key_worker_sees_no_family(sample_engine):
    family_ref = unassigned_family(sample_engine)
    with sample_engine.connect() as connection:
        family = family_by_ref(connection, family_ref)
        assert caseload(connection, NO_KEY_WORKER, today=family.referral_date).empty
    for action in ("view_family", "edit_family"):
        with pytest.raises(AccessDenied):
            authorise(NO_KEY_WORKER, action, family=family)
    with pytest.raises(AccessDenied):
        authorise(NO_KEY_WORKER, "add_family")


def test_making_someone_a_practitioner_needs_a_key_worker(sample_engine):
    with pytest.raises(RecordInvalid, match="key worker"), write_session(sample_engine) as session:
        set_role(session, username="demo-manager", role=PRACTITIONER, actor="demo-admin")
    with sample_engine.connect() as connection:
        worker = key_workers(connection)["name"].iloc[0]
    with write_session(sample_engine) as session:
        set_role(
            session, username="demo-manager", role=PRACTITIONER, key_worker=worker, actor="test"
        )
    with sample_engine.connect() as connection:
        role, worker_id = connection.execute(
            sa.select(AppUser.role, AppUser.key_worker_id).where(AppUser.username == "demo-manager")
        ).one()
    assert role == PRACTITIONER and worker_id is not None


def test_admins_neither_import_nor_export_family_data():
    for action in ("import_data", "export_data"):
        with pytest.raises(AccessDenied):
            authorise(ADMIN_VIEWER, action)
    paths = {page.path for page in offered_pages(ADMIN_VIEWER)}
    assert "pages/data.py" not in paths
    assert {"pages/admin.py", "pages/audit.py"} <= paths


@pytest.mark.parametrize("how", ["disable", "demote"])
def test_the_last_active_admin_stays_even_when_they_try_it_themselves(how, sample_engine):
    def change() -> None:
        with write_session(sample_engine) as session:
            if how == "disable":
                set_active(session, username="demo-admin", active=False, actor="demo-admin")
            else:
                set_role(session, username="demo-admin", role="manager", actor="demo-admin")

    with pytest.raises(RecordInvalid, match="last active administrator"):
        change()
    with write_session(sample_engine) as session:
        create_user(
            session,
            username="second-admin",
            display_name="Second admin",
            role=ADMIN,
            password=None,
            actor="demo-admin",
        )
    change()  # another admin remains, so now it may go
    with read_session(sample_engine) as session:
        admins = session.execute(
            sa.select(AppUser.username).where(AppUser.role == ADMIN, AppUser.active.is_(True))
        ).scalars()
        assert list(admins) == ["second-admin"]


# ------------------------------------------------------------------ through the app


def signed_in(username: str, password: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60).run()
    next(t for t in app.text_input if t.label == "Username").set_value(username)
    next(t for t in app.text_input if t.label == "Password").set_value(password)
    next(b for b in app.button if b.label == "Sign in").click().run()
    assert "Signed in as" in app.sidebar.caption[0].value
    return app


def page_text(app: AppTest) -> str:
    parts = [
        element.value
        for kind in ("markdown", "caption", "title", "header")
        for element in getattr(app, kind)
    ]
    for box in app.selectbox:
        parts += [box.label, *map(str, box.options)]
    return "\n".join(str(part) for part in parts)


def test_the_admin_page_refuses_to_disable_the_last_admin(sample_engine, demo_password):
    app = signed_in("demo-admin", demo_password)
    app.switch_page("pages/admin.py").run()
    next(box for box in app.selectbox if box.label == "Account").set_value("demo-admin")
    next(radio for radio in app.radio if radio.label == "Can sign in").set_value("no")
    next(button for button in app.button if button.label == "Save changes").click().run()
    assert not app.exception
    assert "last active administrator" in app.error[0].value
    with sample_engine.connect() as connection:
        assert connection.execute(
            sa.select(AppUser.active).where(AppUser.username == "demo-admin")
        ).scalar_one()


def test_commissioners_see_no_staff_names_on_the_cohort_page(sample_engine, demo_password):
    with sample_engine.connect() as connection:
        names = key_workers(connection)["name"].tolist()
    commissioner = signed_in("demo-commissioner", demo_password)
    commissioner.switch_page("pages/cohort.py").run()
    assert not commissioner.exception
    assert "Key worker type" in [box.label for box in commissioner.sidebar.selectbox]
    assert "Key worker" not in [box.label for box in commissioner.sidebar.selectbox]
    text = page_text(commissioner)
    assert not [name for name in names if name in text]
    manager = signed_in("demo-manager", demo_password)
    manager.switch_page("pages/cohort.py").run()
    assert "Key worker" in [box.label for box in manager.sidebar.selectbox]


def test_the_story_and_target_forms_are_shown_only_to_who_may_save_them(demo_password):
    commissioner = signed_in("demo-commissioner", demo_password)
    commissioner.switch_page("pages/report_card.py").run()
    assert not commissioner.exception
    buttons = {button.label for button in commissioner.button}
    assert not {"Save the story", "Save cost", "Save target"} & buttons
    assert not commissioner.text_area
    manager = signed_in("demo-manager", demo_password)
    manager.switch_page("pages/report_card.py").run()
    assert {"Save the story", "Save cost", "Save target"} <= {b.label for b in manager.button}
