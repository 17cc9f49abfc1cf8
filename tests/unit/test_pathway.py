"""A family's referral pathway: each rule refuses in plain words naming the field, only
someone the policy allows may change it, and every change is audited before and after."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from tracker.people.access import COMMISSIONER, MANAGER, PRACTITIONER, AccessDenied, Viewer
from tracker.records.families import add_family, build_family
from tracker.records.pathway import update_pathway
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AuditLog, Family, KeyWorker

TODAY = date(2025, 6, 1)
REFERRED = date(2025, 1, 6)
MANAGER_VIEWER = Viewer(name="Manager", role=MANAGER, username="manager")


@pytest.fixture
def family_id(engine) -> int:
    data = build_family(
        family_ref="F1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=REFERRED,
    )
    with write_session(engine) as session:
        worker = KeyWorker(name="Ann Worker")
        session.add(worker)
        session.flush()
        return add_family(session, actor="tester", data=data, key_worker_id=worker.id).id


def save(engine, fields, viewer=MANAGER_VIEWER, **options) -> dict:
    with write_session(engine) as session:
        return update_pathway(session, viewer, family_id_of(engine), fields, today=TODAY, **options)


def family_id_of(engine) -> int:
    with read_session(engine) as session:
        return session.execute(sa.select(Family.id)).scalar_one()


def refused(engine, fields) -> dict[str, str]:
    with pytest.raises(RecordInvalid) as refusal:
        save(engine, fields)
    return refusal.value.problems


def stored(engine) -> Family:
    with read_session(engine) as session:
        return session.execute(sa.select(Family)).scalar_one()


def test_a_whole_pathway_is_stored_and_audited_before_and_after(engine, family_id):
    changed = save(
        engine,
        {
            "panel_referral_on": date(2025, 1, 10),
            "panel_decision_on": date(2025, 1, 20),
            "first_contact_on": date(2025, 1, 8),
            "referral_outcome": "accepted",
            "multi_agency_package": True,
            "agencies": "Housing options\n School nurse ;;CAMHS",
        },
    )
    family = stored(engine)
    assert family.agencies == "Housing options; School nurse; CAMHS"
    assert (family.panel_decision_on, family.first_contact_on) == (
        date(2025, 1, 20),
        date(2025, 1, 8),
    )
    assert set(changed) == {
        "panel_referral_on",
        "panel_decision_on",
        "first_contact_on",
        "referral_outcome",
        "multi_agency_package",
        "agencies",
    }
    with read_session(engine) as session:
        row = session.execute(
            sa.select(AuditLog).where(AuditLog.action == "pathway_updated")
        ).scalar_one()
    assert (row.actor, row.family_id) == ("manager", family_id)
    assert json.loads(row.before)["agencies"] is None
    assert json.loads(row.after)["agencies"] == "Housing options; School nurse; CAMHS"


def test_saving_the_same_pathway_again_changes_and_audits_nothing(engine, family_id):
    fields = {"referral_outcome": "accepted", "first_contact_on": date(2025, 1, 8)}
    save(engine, fields)
    assert save(engine, fields) == {}
    with read_session(engine) as session:
        audited = session.execute(
            sa.select(sa.func.count()).where(AuditLog.action == "pathway_updated")
        ).scalar_one()
    assert audited == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        pytest.param(
            {"panel_referral_on": date(2025, 2, 1), "panel_decision_on": date(2025, 1, 31)},
            "panel_decision_on",
            "before the family was referred to it (01 Feb 2025)",
            id="decision-before-referral",
        ),
        pytest.param(
            {"panel_decision_on": date(2025, 1, 31)},
            "panel_decision_on",
            "Give the date of the panel referral too.",
            id="decision-without-referral",
        ),
        pytest.param(
            {"first_contact_on": date(2025, 1, 5)},
            "first_contact_on",
            "before the referral on 06 Jan 2025",
            id="contact-before-referral",
        ),
        pytest.param(
            {"panel_referral_on": date(2025, 6, 2)},
            "panel_referral_on",
            "cannot be in the future",
            id="future",
        ),
        pytest.param(
            {"referral_outcome": "lost"}, "referral_outcome", "Choose one of", id="unknown-outcome"
        ),
        pytest.param(
            {"referral_outcome": "inappropriate", "signposted_to": "  "},
            "signposted_to",
            "Say where the family was signposted instead.",
            id="inappropriate-needs-destination",
        ),
        pytest.param(
            {"referral_outcome": "accepted", "signposted_to": "Early help"},
            "signposted_to",
            "Only an inappropriate referral",
            id="destination-only-when-inappropriate",
        ),
        pytest.param(
            {"multi_agency_package": False, "agencies": "Housing"},
            "agencies",
            "only when the family has a multi-agency package",
            id="agencies-without-package",
        ),
        pytest.param(
            {"multi_agency_package": True, "agencies": "x" * 301},
            "agencies",
            "300 characters",
            id="agencies-too-long",
        ),
    ],
)
def test_each_rule_refuses_naming_its_field(engine, family_id, fields, field, words):
    problems = refused(engine, fields)
    assert field in problems, problems
    assert words in problems[field]
    assert stored(engine).referral_outcome is None  # nothing was written


def test_an_inappropriate_referral_keeps_where_it_went(engine, family_id):
    save(engine, {"referral_outcome": "inappropriate", "signposted_to": " Early help hub "})
    family = stored(engine)
    assert (family.referral_outcome, family.signposted_to) == ("inappropriate", "Early help hub")


def test_a_key_worker_records_their_own_familys_pathway_and_no_one_elses(engine, family_id):
    own = Viewer(name="Ann", role=PRACTITIONER, key_worker_id=stored(engine).key_worker_id)
    save(engine, {"multi_agency_package": True}, viewer=own)
    assert stored(engine).multi_agency_package is True
    other = Viewer(name="Bob", role=PRACTITIONER, key_worker_id=own.key_worker_id + 100)
    with pytest.raises(AccessDenied):
        save(engine, {"multi_agency_package": False}, viewer=other)
    with pytest.raises(AccessDenied):
        save(engine, {"multi_agency_package": False}, viewer=Viewer("C", COMMISSIONER))
    assert stored(engine).multi_agency_package is True


def test_a_save_over_someone_elses_change_is_refused(engine, family_id):
    seen = {"referral_outcome": None}
    save(engine, {"referral_outcome": "accepted"})
    with pytest.raises(RecordInvalid) as refusal:
        save(engine, {"referral_outcome": "inappropriate", "signposted_to": "GP"}, seen=seen)
    assert "Someone else changed" in refusal.value.problems["family"]
    assert stored(engine).referral_outcome == "accepted"
