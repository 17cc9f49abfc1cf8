"""Administration page: accounts are added and changed through forms that say what is wrong."""

from __future__ import annotations

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.store.models import AppUser

PAGE = "pages/admin.py"


def add_account(app, username: str, password: str) -> None:
    by_label(app.text_input, "Username").set_value(username)
    by_label(app.text_input, "Name shown in the app").set_value("Cass Commissioner")
    by_label(app.selectbox, "Role").set_value("commissioner")
    by_label(app.text_input, "Password (at least 12 characters)").set_value(password)
    by_label(app.button, "Add account").click().run()


def test_an_account_is_added_once_its_problems_are_fixed(admin, sample_engine):
    app = open_app(admin, PAGE)
    add_account(app, "cass", "short")
    assert not app.exception
    assert "Please check:" in app.error[0].value
    add_account(app, "cass", "tidal Kestrel 7 marmalade")
    assert not app.error, [e.value for e in app.error]
    assert app.success[0].value == "Added cass."
    with sample_engine.connect() as connection:
        role = connection.execute(
            sa.select(AppUser.role).where(AppUser.username == "cass")
        ).scalar()
    assert role == "commissioner"


def test_an_account_is_changed(admin, sample_engine):
    app = open_app(admin, PAGE)
    add_account(app, "cass", "tidal Kestrel 7 marmalade")
    app.run()  # the accounts above the forms were read before the add
    by_label(app.selectbox, "Account").set_value("cass")
    next(r for r in app.radio if r.label == "Can sign in").set_value("no")
    by_label(app.button, "Save changes").click().run()
    assert app.success[0].value == "Saved the changes to cass."
    with sample_engine.connect() as connection:
        active = connection.execute(
            sa.select(AppUser.active).where(AppUser.username == "cass")
        ).scalar()
    assert active is False


def test_a_practitioner_is_made_only_with_a_key_worker(admin, sample_engine):
    app = open_app(admin, PAGE)
    add_account(app, "cass", "tidal Kestrel 7 marmalade")
    app.run()
    by_label(app.selectbox, "Account").set_value("cass")

    def changed(label: str):  # the change form's box; the add form's comes first
        return [box for box in app.selectbox if box.label == label][1]

    changed("Role").set_value("practitioner")
    by_label(app.button, "Save changes").click().run()
    assert "Key worker record" in app.error[0].value
    worker = changed("Key worker record (practitioners)")
    worker.set_value(worker.options[1])
    changed("Role").set_value("practitioner")
    by_label(app.button, "Save changes").click().run()
    assert app.success[0].value == "Saved the changes to cass."
    with sample_engine.connect() as connection:
        role, worker_id = connection.execute(
            sa.select(AppUser.role, AppUser.key_worker_id).where(AppUser.username == "cass")
        ).one()
    assert role == "practitioner" and worker_id is not None
