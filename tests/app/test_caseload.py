"""Caseload page: due and overdue badges, filters, whose reviews are overdue, adding,
naming and closing families."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.measures.caseload import caseload, overdue_by_worker
from tracker.store.db import write_session
from tracker.store.models import AuditLog, Family, KeyWorker, family_label, longest


def widget(app, kind: str, label: str):
    return by_label(getattr(app, kind), label)


def family_table(app):
    """The caseload's own table (a manager sees the overdue view's table above it)."""
    return next(frame.value for frame in app.dataframe if "Review" in frame.value.columns)


def overdue_view(app):
    tables = [table.value for table in app.table if "Overdue reviews" in table.value.columns]
    return tables[0] if tables else None


def name_family(engine, ref: str, short_name: str) -> None:
    with write_session(engine) as session:
        session.execute(
            sa.update(Family).where(Family.family_ref == ref).values(short_name=short_name)
        )


def test_caseload_lists_only_my_open_families_with_review_badges(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    with sample_engine.connect() as connection:
        expected = caseload(connection, practitioner, today=date.today())
    table = family_table(app)
    assert sorted(table["Family"]) == sorted(expected["family_ref"])
    overdue = int(expected["overdue"].sum())
    badges = " ".join(m.value for m in app.markdown)
    if overdue:
        assert f"{overdue} review" in badges and "overdue" in badges
    assert table["Overdue"].sum() == overdue


def test_filters_narrow_the_table(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    everyone = family_table(app)
    first_ref = everyone["Family"].iloc[0]
    search = widget(app, "text_input", "Family or short name contains")
    search.set_value(first_ref).run()
    assert list(family_table(app)["Family"]) == [first_ref]

    # A short name is searched as well as the reference.
    last_ref = everyone["Family"].iloc[-1]
    name_family(sample_engine, last_ref, "Zebedee household")
    from pages.common import data_changed

    data_changed()
    search.set_value("zebedee").run()
    assert list(family_table(app)["Family"]) == [last_ref]
    assert list(family_table(app)["Short name"]) == ["Zebedee household"]


def test_a_practitioner_sees_no_key_worker_column_or_overdue_view(practitioner):
    app = open_app(practitioner, "pages/caseload.py")
    assert "Key worker" not in family_table(app).columns
    assert "Key worker" not in [m.label for m in app.multiselect]
    assert overdue_view(app) is None


def test_a_manager_filters_by_key_worker(manager, sample_engine):
    app = open_app(manager, "pages/caseload.py")
    table = family_table(app)
    with sample_engine.connect() as connection:
        expected = caseload(connection, manager, today=date.today())
    assert dict(zip(table["Family"], table["Key worker"], strict=True)) == dict(
        zip(expected["family_ref"], expected["key_worker"], strict=True)
    )
    worker = expected["key_worker"].value_counts().index[-1]  # one with few families
    widget(app, "multiselect", "Key worker").set_value([worker]).run()
    narrowed = family_table(app)
    assert set(narrowed["Key worker"]) == {worker}
    assert sorted(narrowed["Family"]) == sorted(
        expected.loc[expected["key_worker"] == worker, "family_ref"]
    )


def test_a_manager_sees_whose_reviews_are_overdue(manager, sample_engine):
    app = open_app(manager, "pages/caseload.py")
    with sample_engine.connect() as connection:
        everyone = caseload(connection, manager, today=date.today())
    expected = overdue_by_worker(everyone, today=date.today())
    labels = dict(zip(everyone["family_ref"], everyone["short_name"], strict=True))
    assert not expected.empty, "the sample should have overdue reviews"
    view = overdue_view(app)
    assert list(view["Key worker"]) == list(expected["key_worker"])
    assert list(view["Overdue reviews"]) == list(expected["overdue"])
    assert list(view["Longest wait (days)"]) == list(expected["longest_days_overdue"])
    assert list(view["Families, longest wait first"]) == [
        ", ".join(family_label(ref, labels[ref]) for ref in refs)
        for refs in expected["family_refs"]
    ]


def test_adding_a_family_validates_then_saves(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    widget(app, "text_input", "Family reference").set_value("NEW-1")
    app.button[[b.label for b in app.button].index("Add family")].click().run()
    errors = " ".join(e.value for e in app.error)
    assert "Choose one of: tier 2" in errors
    assert "This is required." in errors
    # Each message names the box it is about.
    assert "**Referred by:** This is required." in errors
    # What was typed survives the validation error.
    assert widget(app, "text_input", "Family reference").value == "NEW-1"

    widget(app, "selectbox", "Area").set_value("Northfield")
    widget(app, "selectbox", "Tier of need").set_value("tier 2-3")
    widget(app, "selectbox", "Referred by").set_value("School")
    app.button[[b.label for b in app.button].index("Add family")].click().run()
    assert not app.error, [e.value for e in app.error]
    assert "Added NEW-1" in app.success[0].value
    with sample_engine.connect() as connection:
        family = connection.execute(
            sa.select(Family.key_worker_id, Family.tier_of_need).where(Family.family_ref == "NEW-1")
        ).one()
    assert family == (practitioner.key_worker_id, "tier 2-3")


def test_duplicate_reference_is_refused(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    widget(app, "text_input", "Family reference").set_value("FAM-000001")
    widget(app, "selectbox", "Area").set_value("Northfield")
    widget(app, "selectbox", "Tier of need").set_value("tier 2")
    widget(app, "selectbox", "Referred by").set_value("GP")
    app.button[[b.label for b in app.button].index("Add family")].click().run()
    assert "already used" in " ".join(e.value for e in app.error)


def test_closing_without_full_achievement_needs_a_reason(manager, sample_engine):
    app = open_app(manager, "pages/caseload.py")
    ref = family_table(app)["Family"].iloc[0]
    close = next(s for s in app.selectbox if s.label == "Family" and ref in s.options)
    close.set_value(ref)
    widget(app, "selectbox", "How did it end?").set_value("not_achieved")
    app.button[[b.label for b in app.button].index("Close case")].click().run()
    assert "say briefly why" in " ".join(e.value for e in app.error)
    with sample_engine.connect() as connection:
        assert (
            connection.execute(sa.select(Family.closed_on).where(Family.family_ref == ref)).scalar()
            is None
        )

    widget(app, "text_area", "Why? (needed unless the plan was wholly achieved)").set_value(
        "Family moved to a different support offer."
    )
    app.button[[b.label for b in app.button].index("Close case")].click().run()
    assert "Closed" in app.success[0].value
    with sample_engine.connect() as connection:
        closed = connection.execute(
            sa.select(Family.closed_on, Family.closure_reason, Family.closure_note).where(
                Family.family_ref == ref
            )
        ).one()
    assert closed == (date.today(), "not_achieved", "Family moved to a different support offer.")


def test_a_manager_moves_a_family_to_another_key_worker(manager, sample_engine):
    app = open_app(manager, "pages/caseload.py")
    table = family_table(app)
    ref = table["Family"].iloc[0]
    with sample_engine.connect() as connection:
        current = connection.execute(
            sa.select(Family.key_worker_id).where(Family.family_ref == ref)
        ).scalar()
        other_id, other_name = connection.execute(
            sa.select(KeyWorker.id, KeyWorker.name).where(KeyWorker.id != current).limit(1)
        ).one()

    button = [b.label for b in app.button].index("Move family")
    app.button[button].click().run()
    errors = " ".join(e.value for e in app.error)
    assert "Choose the family to move." in errors and "Choose the new key worker." in errors

    widget(app, "selectbox", "Family to move").set_value(ref)
    widget(app, "selectbox", "New key worker").set_value(other_name)
    app.button[button].click().run()
    assert not app.error, [e.value for e in app.error]
    assert f"{ref} is now on {other_name}'s caseload." in [s.value for s in app.success]
    with sample_engine.connect() as connection:
        assert (
            connection.execute(
                sa.select(Family.key_worker_id).where(Family.family_ref == ref)
            ).scalar()
            == other_id
        )


def test_practitioners_are_not_offered_the_move(practitioner):
    app = open_app(practitioner, "pages/caseload.py")
    assert "Move family" not in [b.label for b in app.button]


def test_a_family_is_added_with_a_short_name(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    widget(app, "text_input", "Family reference").set_value("NEW-2")
    widget(app, "text_input", "Short name (optional)").set_value("  Smith household ")
    widget(app, "selectbox", "Area").set_value("Northfield")
    widget(app, "selectbox", "Tier of need").set_value("tier 2")
    widget(app, "selectbox", "Referred by").set_value("School")
    app.button[[b.label for b in app.button].index("Add family")].click().run()
    assert not app.error, [e.value for e in app.error]
    with sample_engine.connect() as connection:
        stored = connection.execute(
            sa.select(Family.short_name).where(Family.family_ref == "NEW-2")
        ).scalar()
    assert stored == "Smith household"
    assert widget(app, "text_input", "Short name (optional)").max_chars == longest(
        Family.short_name
    )


def test_a_worker_names_a_family_and_every_picker_shows_it(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    ref, before = family_table(app)[["Family", "Short name"]].iloc[0]
    naming = [b.label for b in app.button].index("Save short name")
    app.button[naming].click().run()
    assert "Choose the family to name." in " ".join(e.value for e in app.error)

    widget(app, "selectbox", "Family to name").set_value(ref)
    widget(app, "text_input", "Short name").set_value("A. and K.")
    app.button[naming].click().run()
    assert not app.error, [e.value for e in app.error]
    assert f"{ref} is now shown as {ref} (A. and K.)." in [s.value for s in app.success]
    table = family_table(app)
    assert table.loc[table["Family"] == ref, "Short name"].tolist() == ["A. and K."]
    assert f"{ref} (A. and K.)" in widget(app, "selectbox", "Work with a family").options
    with sample_engine.connect() as connection:
        change = connection.execute(
            sa.select(AuditLog.actor, AuditLog.before, AuditLog.after)
            .where(AuditLog.entity == "family", AuditLog.action == "update")
            .order_by(AuditLog.id.desc())
            .limit(1)
        ).one()
    assert change.actor == practitioner.actor
    assert json.loads(change.before) == {"short_name": before or None}
    assert json.loads(change.after) == {"short_name": "A. and K."}

    # Taken away again: the box left empty.
    widget(app, "selectbox", "Family to name").set_value(ref)
    widget(app, "text_input", "Short name").set_value("")
    app.button[naming].click().run()
    assert f"{ref} has no short name now." in [s.value for s in app.success]
    assert ref in widget(app, "selectbox", "Work with a family").options


def test_the_short_name_column_shows_once_a_family_has_one(practitioner, sample_engine):
    with write_session(sample_engine) as session:
        session.execute(sa.update(Family).values(short_name=None))
    app = open_app(practitioner, "pages/caseload.py")
    table = family_table(app)
    assert "Short name" not in table.columns
    name_family(sample_engine, table["Family"].iloc[0], "Smith household")
    from pages.common import data_changed

    data_changed()
    app.run()
    names = family_table(app)["Short name"].tolist()
    assert names[0] == "Smith household"
    assert set(names[1:]) == {""}  # blank, never "None"
