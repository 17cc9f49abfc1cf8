"""Caseload page: due and overdue badges, filters, adding and closing families."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.measures.caseload import caseload
from tracker.store.models import Family, KeyWorker


def widget(app, kind: str, label: str):
    return by_label(getattr(app, kind), label)


def test_caseload_lists_only_my_open_families_with_review_badges(practitioner, sample_engine):
    app = open_app(practitioner, "pages/caseload.py")
    with sample_engine.connect() as connection:
        expected = caseload(connection, practitioner, today=date.today())
    table = app.dataframe[0].value
    assert sorted(table["Family"]) == sorted(expected["family_ref"])
    overdue = int(expected["overdue"].sum())
    badges = " ".join(m.value for m in app.markdown)
    if overdue:
        assert f"{overdue} review" in badges and "overdue" in badges
    assert table["Overdue"].sum() == overdue


def test_filters_narrow_the_table(practitioner):
    app = open_app(practitioner, "pages/caseload.py")
    everyone = app.dataframe[0].value
    first_ref = everyone["Family"].iloc[0]
    widget(app, "text_input", "Family reference contains").set_value(first_ref).run()
    assert list(app.dataframe[0].value["Family"]) == [first_ref]


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
    ref = app.dataframe[0].value["Family"].iloc[0]
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
    table = app.dataframe[0].value
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
