"""Family journey's "Referral pathway": a key worker records their family's pathway, a
wrong answer is named beside its box's label, and what is stored shows when the page opens."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.records.families import add_family, build_family
from tracker.store.db import write_session
from tracker.store.models import AuditLog, Family

PAGE = "pages/family_journey.py"
REFERRED = date.today() - timedelta(days=60)


def new_family(engine, key_worker_id: int) -> int:
    data = build_family(
        family_ref="P-1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=REFERRED,
    )
    with write_session(engine) as session:
        return add_family(session, actor="tester", data=data, key_worker_id=key_worker_id).id


def stored(engine, family_id: int) -> Family:
    with engine.connect() as connection:
        return connection.execute(sa.select(Family).where(Family.id == family_id)).one()


def test_a_key_worker_records_the_pathway(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="P-1")
    assert "Referral pathway" in [expander.label for expander in app.expander]
    key = f"pathway-{family_id}"
    app.date_input(key=f"{key}-panel_referral_on").set_value(REFERRED + timedelta(days=3))
    app.date_input(key=f"{key}-panel_decision_on").set_value(REFERRED + timedelta(days=10))
    app.date_input(key=f"{key}-first_contact_on").set_value(REFERRED + timedelta(days=2))
    app.radio(key=f"{key}-package").set_value(True)
    app.text_area(key=f"{key}-agencies").set_value("Housing options\nSchool nurse")
    app.radio(key=f"{key}-outcome").set_value("accepted")
    by_label(app.button, "Save pathway").click().run()
    assert not app.exception and not app.error
    assert "Referral pathway saved." in [s.value for s in app.success]
    family = stored(sample_engine, family_id)
    assert (family.panel_decision_on, family.first_contact_on, family.agencies) == (
        REFERRED + timedelta(days=10),
        REFERRED + timedelta(days=2),
        "Housing options; School nurse",
    )
    assert (family.referral_outcome, family.multi_agency_package) == ("accepted", True)
    with sample_engine.connect() as connection:
        assert connection.execute(
            sa.select(AuditLog.actor).where(
                AuditLog.action == "pathway_updated", AuditLog.family_id == family_id
            )
        ).scalars().all() == [practitioner.actor]

    again = open_app(practitioner, PAGE, family="P-1")
    assert again.text_area(key=f"{key}-agencies").value == "Housing options\nSchool nurse"
    assert again.radio(key=f"{key}-outcome").value == "accepted"


def test_an_inappropriate_referral_without_a_destination_is_named(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="P-1")
    app.radio(key=f"pathway-{family_id}-outcome").set_value("inappropriate")
    by_label(app.button, "Save pathway").click().run()
    assert not app.exception
    (problem,) = [e.value for e in app.error]
    assert "**Signposted to:** Say where the family was signposted instead." in problem
    assert stored(sample_engine, family_id).referral_outcome is None
