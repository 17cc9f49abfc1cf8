"""Self-rating links: making, opening, drafting, sending and cancelling one.

The attacks on the link (guessing, reuse, floods, leaks) are in
tests/security/test_invitation_links.py; these are the ordinary journeys and the checks.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.unit.helpers import new_family
from tracker.instruments.loader import InstrumentError, get_instrument
from tracker.people.access import AccessDenied, Viewer
from tracker.records import invitations
from tracker.records.assessments import AssessmentDraft, load_assessment, save_assessment
from tracker.records.invitations import (
    CANNOT_SEND,
    INVITE_REFUSAL,
    NOTHING_CHOSEN,
    CannotSend,
    InvitationRefused,
    create_invitation,
    family_invitations,
    invitation_url,
    open_invitation,
    revoke_invitation,
    save_draft,
    submit_invitation,
)
from tracker.store.db import write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import Assessment, AuditLog, Family, Invitation, KeyWorker

TAF = get_instrument("taf-dtt")
# 10 am in London on 1 June 2025 (British Summer Time).
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
CLIENT = "203.0.113.7"
ANN = Viewer(name="Ann Worker", role="practitioner", key_worker_id=1, username="ann")
BOB = Viewer(name="Bob Worker", role="practitioner", key_worker_id=2, username="bob")
BOSS = Viewer(name="Service manager", role="manager", username="boss")


def make_family(engine, ref: str = "F1", key_worker_id: int = 1) -> int:
    """A family referred on 6 Jan 2025, on key worker ``key_worker_id``'s caseload."""
    with write_session(engine) as session:
        for number in (1, 2):
            if session.get(KeyWorker, number) is None:
                session.add(KeyWorker(id=number, name=f"Worker {number}"))
    return new_family(engine, ref, key_worker_id)


def invite(engine, family_id: int, viewer: Viewer = ANN, now: datetime = NOW, **options):
    """(invitation id, token) for the family, as ``viewer``."""
    options.setdefault("greeting", "Hello Smith household")
    with write_session(engine) as session:
        family = session.get(Family, family_id)
        return create_invitation(session, viewer, family, "taf-dtt", now=now, **options)


def opened(engine, token: str, *, now: datetime = NOW, first_view: bool = True, client=CLIENT):
    with write_session(engine) as session:
        return open_invitation(session, token, client=client, first_view=first_view, now=now)


def draft_saved(engine, token: str, answers, *, now: datetime = NOW, client=CLIENT) -> None:
    with write_session(engine) as session:
        save_draft(session, token, answers, client=client, now=now)


def sent(engine, token: str, answers, *, now: datetime = NOW, client=CLIENT) -> int:
    with write_session(engine) as session:
        return submit_invitation(session, token, answers, client=client, now=now)


def states(engine, family_id: int, now: datetime = NOW) -> list[str]:
    with write_session(engine) as session:
        return [row.state for row in family_invitations(session, family_id, now=now)]


def actions(engine) -> list[str]:
    with engine.connect() as connection:
        return connection.execute(sa.select(AuditLog.action).order_by(AuditLog.id)).scalars().all()


def stored_draft(engine, invitation_id: int):
    with engine.connect() as connection:
        return connection.execute(
            sa.select(Invitation.draft).where(Invitation.id == invitation_id)
        ).scalar_one()


@pytest.fixture
def family_id(engine) -> int:
    return make_family(engine)


# --------------------------------------------------------------------------------------
# Making a link
# --------------------------------------------------------------------------------------


def test_a_link_is_made_for_the_family_and_lasts_the_set_days(engine, family_id, monkeypatch):
    monkeypatch.setenv("TRACKER_PUBLIC_URL", "https://outcomes.example.org/")
    monkeypatch.setenv("TRACKER_INVITE_DAYS", "10")
    invitation_id, token = invite(engine, family_id)
    assert invitation_url(token) == f"https://outcomes.example.org/rate?invite={token}"
    with write_session(engine) as session:
        [summary] = family_invitations(session, family_id, now=NOW)
    assert (summary.id, summary.instrument_key, summary.state) == (
        invitation_id,
        "taf-dtt",
        "waiting",
    )
    assert summary.greeting == "Hello Smith household" and summary.created_by == "ann"
    assert summary.expires_at == NOW + timedelta(days=10)
    assert actions(engine)[-1] == "invite_created"


def test_the_worker_may_choose_how_long_a_link_lasts(engine, family_id):
    _, token = invite(engine, family_id, expires_days=3)
    assert opened(engine, token).expires_at == NOW + timedelta(days=3)


@pytest.mark.parametrize("days", [0, -1, 61])
def test_a_link_lasts_from_one_to_sixty_days(engine, family_id, days):
    with pytest.raises(RecordInvalid) as refused:
        invite(engine, family_id, expires_days=days)
    assert "1 to 60 days" in refused.value.problems["expires_days"]


@pytest.mark.parametrize(
    ("greeting", "words"),
    [("   ", "Write a greeting"), ("x" * 41, "40 characters"), ("Hi f1 family", "reference")],
)
def test_the_greeting_is_short_and_never_names_the_reference(engine, family_id, greeting, words):
    with pytest.raises(RecordInvalid) as refused:
        invite(engine, family_id, greeting=greeting)
    assert words in refused.value.problems["greeting"]
    assert "invite_created" not in actions(engine)


def test_a_closed_family_is_not_sent_a_link(engine, family_id):
    with write_session(engine) as session:
        session.get(Family, family_id).closed_on = date(2025, 5, 1)
    with pytest.raises(RecordInvalid) as refused:
        invite(engine, family_id)
    assert "closed on 01 May 2025" in refused.value.problems["family"]


def test_a_re_referred_family_is_open_again(engine, family_id):
    with write_session(engine) as session:
        family = session.get(Family, family_id)
        family.closed_on, family.re_referred_on = date(2025, 3, 1), date(2025, 4, 1)
    assert invite(engine, family_id)[0]


def test_an_unknown_instrument_is_refused(engine, family_id):
    with write_session(engine) as session, pytest.raises(InstrumentError):
        create_invitation(session, ANN, session.get(Family, family_id), "nope", greeting="Hello")


def test_practitioners_invite_their_own_families_and_managers_any(engine, family_id):
    with pytest.raises(AccessDenied):
        invite(engine, family_id, viewer=BOB)
    commissioner = Viewer(name="C", role="commissioner", username="c")
    with pytest.raises(AccessDenied):
        invite(engine, family_id, viewer=commissioner)
    assert invite(engine, family_id, viewer=BOSS)[0]


# --------------------------------------------------------------------------------------
# Opening and drafting
# --------------------------------------------------------------------------------------


def test_opening_shows_the_greeting_and_instrument_and_is_audited_once_a_visit(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    shown = opened(engine, token)
    assert (shown.invitation_id, shown.greeting, shown.instrument_key, shown.draft) == (
        invitation_id,
        "Hello Smith household",
        "taf-dtt",
        {},
    )
    opened(engine, token, first_view=False)
    assert actions(engine).count("invite_opened") == 1
    assert states(engine, family_id) == ["opened"]


def test_a_draft_survives_a_reload_and_each_save_replaces_the_last(engine, family_id):
    _, token = invite(engine, family_id)
    draft_saved(engine, token, {"housing": 4, "general_health": None})
    assert opened(engine, token).draft == {"housing": 4.0, "general_health": None}
    draft_saved(engine, token, {"housing": 2})
    assert opened(engine, token, first_view=False).draft == {"housing": 2.0}
    assert "update" not in actions(engine)  # draft saves write no audit row


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"not_an_area": 3}, "not for an area"),
        ({"housing": 3.5}, "not a point"),
        ({"housing": 6}, "not a point"),
        ({"housing": True}, "not a point"),
        ({"housing": "3"}, "not a point"),
        (["housing", 3], "area and point pairs"),
        ({**dict.fromkeys(TAF.domain_keys, 3), "extra": 3}, "at most 22 answers"),
    ],
)
def test_a_draft_is_checked_against_the_instrument(engine, family_id, answers, words):
    invitation_id, token = invite(engine, family_id)
    draft_saved(engine, token, {"housing": 1})
    with pytest.raises(ValueError, match=words):
        draft_saved(engine, token, answers)
    assert json.loads(stored_draft(engine, invitation_id)) == {"housing": 1.0}


def test_an_oversized_draft_is_refused(engine, family_id, monkeypatch):
    invitation_id, token = invite(engine, family_id)
    monkeypatch.setattr(invitations, "DRAFT_MAX_CHARS", 30)
    draft_saved(engine, token, {"housing": 1})
    with pytest.raises(ValueError, match="too much"):
        draft_saved(engine, token, {"housing": 1, "general_health": 2})
    assert json.loads(stored_draft(engine, invitation_id)) == {"housing": 1.0}


def test_the_draft_column_holds_a_whole_instrument(engine, family_id):
    _, token = invite(engine, family_id)
    draft_saved(engine, token, dict.fromkeys(TAF.domain_keys, 5))
    assert len(opened(engine, token).draft) == len(TAF.domains)


# --------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------


def test_what_arrives_is_the_familys_own_self_completed_view_dated_today(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    draft_saved(engine, token, {"housing": 4})
    answers = {"housing": 4, "general_health": None, "income_employment_finance": 2}
    assessment_id = sent(engine, token, answers)
    with engine.connect() as connection:
        stored = load_assessment(connection, assessment_id)
        self_completed = connection.execute(
            sa.select(Assessment.self_completed).where(Assessment.id == assessment_id)
        ).scalar_one()
    assert (stored.rater, stored.assessed_on, stored.occasion) == (
        "family",
        date(2025, 6, 1),
        "baseline",
    )
    assert self_completed is True and stored.entered_by == "family (own phone)"
    assert stored.values["housing"] == 4 and stored.values["income_employment_finance"] == 2
    # Every area is stored: those not answered are skipped, as the form's N/A.
    assert set(stored.values) == set(TAF.domain_keys) and stored.values["aspirations"] is None
    assert stored_draft(engine, invitation_id) is None
    assert states(engine, family_id) == ["sent"]
    assert actions(engine)[-2:] == ["create", "invite_submitted"]


def test_staff_assessments_are_not_self_completed(engine, family_id):
    draft = AssessmentDraft(
        family_id=family_id,
        instrument="taf-dtt",
        occasion="baseline",
        assessed_on=date(2025, 2, 1),
        rater="family",
        values=dict.fromkeys(TAF.domain_keys, 3.0),
    )
    with write_session(engine) as session:
        save_assessment(session, draft, instrument=TAF, entered_by="Ann", today=date(2025, 6, 1))
    with engine.connect() as connection:
        assert connection.execute(sa.select(Assessment.self_completed)).scalar_one() is False


def worker_baseline(engine, family_id: int, on: date) -> None:
    draft = AssessmentDraft(
        family_id=family_id,
        instrument="taf-dtt",
        occasion="baseline",
        assessed_on=on,
        rater="worker",
        values=dict.fromkeys(TAF.domain_keys, 3.0),
    )
    with write_session(engine) as session:
        save_assessment(session, draft, instrument=TAF, entered_by="Ann", today=on)


@pytest.mark.parametrize(
    ("baseline_on", "occasion"), [(date(2025, 2, 1), "review"), (date(2025, 6, 1), "baseline")]
)
def test_the_occasion_follows_the_familys_history(engine, family_id, baseline_on, occasion):
    worker_baseline(engine, family_id, baseline_on)
    _, token = invite(engine, family_id)
    with engine.connect() as connection:
        assert load_assessment(connection, sent(engine, token, {"housing": 2})).occasion == occasion


def test_the_day_is_londons_not_the_servers(engine, family_id):
    late = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 June in London
    _, token = invite(engine, family_id)
    with engine.connect() as connection:
        stored = load_assessment(connection, sent(engine, token, {"housing": 2}, now=late))
    assert stored.assessed_on == date(2025, 6, 2)


def test_nothing_chosen_is_not_sent_and_the_draft_is_kept(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    with pytest.raises(ValueError, match=NOTHING_CHOSEN):
        sent(engine, token, {"housing": None})
    assert json.loads(stored_draft(engine, invitation_id)) == {"housing": None}
    assert states(engine, family_id) == ["waiting"]


def test_a_case_closed_since_the_link_was_made_keeps_the_answers(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    with write_session(engine) as session:
        session.get(Family, family_id).closed_on = date(2025, 5, 20)
    with pytest.raises(CannotSend) as refused:
        sent(engine, token, {"housing": 2})
    assert str(refused.value) == CANNOT_SEND
    assert json.loads(stored_draft(engine, invitation_id)) == {"housing": 2.0}
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(Assessment.id))).scalar_one() == 0
        after = connection.execute(
            sa.select(AuditLog.after).where(AuditLog.action == "invite_refused")
        ).scalar_one()
    assert json.loads(after)["reason"] == "cannot be recorded"
    assert "closed" in json.dumps(json.loads(after)["problems"])
    assert states(engine, family_id) == ["waiting"]  # not spent: it can be sent once reopened


def test_a_second_self_rating_the_same_day_cannot_be_sent(engine, family_id):
    _, first = invite(engine, family_id)
    _, second = invite(engine, family_id)
    sent(engine, first, {"housing": 2})
    with pytest.raises(CannotSend):
        sent(engine, second, {"housing": 3})
    assert states(engine, family_id) == ["waiting", "sent"]


def test_a_link_is_spent_once_sent(engine, family_id):
    _, token = invite(engine, family_id)
    sent(engine, token, {"housing": 2})
    for attempt in (lambda: opened(engine, token), lambda: sent(engine, token, {"housing": 3})):
        with pytest.raises(InvitationRefused, match=INVITE_REFUSAL):
            attempt()


# --------------------------------------------------------------------------------------
# Cancelling and running out
# --------------------------------------------------------------------------------------


def test_a_cancelled_link_is_refused_and_its_draft_dropped(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    draft_saved(engine, token, {"housing": 2})
    with write_session(engine) as session:
        revoke_invitation(session, ANN, invitation_id, now=NOW)
    assert stored_draft(engine, invitation_id) is None
    assert states(engine, family_id) == ["cancelled"]
    with pytest.raises(InvitationRefused, match=INVITE_REFUSAL):
        opened(engine, token)
    with pytest.raises(RecordInvalid, match="cancelled already"), write_session(engine) as session:
        revoke_invitation(session, ANN, invitation_id, now=NOW)
    assert "invite_revoked" in actions(engine)


def test_only_the_familys_workers_cancel_and_a_sent_link_cannot_be(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    with pytest.raises(AccessDenied), write_session(engine) as session:
        revoke_invitation(session, BOB, invitation_id, now=NOW)
    sent(engine, token, {"housing": 2})
    with pytest.raises(RecordInvalid, match="already sent"), write_session(engine) as session:
        revoke_invitation(session, BOSS, invitation_id, now=NOW)
    with pytest.raises(RecordInvalid, match="no link number 999"), write_session(engine) as session:
        revoke_invitation(session, BOSS, 999, now=NOW)


def test_a_link_runs_out_and_its_draft_goes(engine, family_id):
    invitation_id, token = invite(engine, family_id, expires_days=2)
    draft_saved(engine, token, {"housing": 2})
    just_before = NOW + timedelta(days=2, seconds=-1)
    assert opened(engine, token, now=just_before).draft == {"housing": 2.0}
    with pytest.raises(InvitationRefused, match=INVITE_REFUSAL):
        opened(engine, token, now=NOW + timedelta(days=2))
    assert stored_draft(engine, invitation_id) is None
    assert states(engine, family_id, now=NOW + timedelta(days=2)) == ["expired"]


def test_links_are_listed_newest_first_with_their_states(engine, family_id):
    first, _ = invite(engine, family_id)
    second, token = invite(engine, family_id, now=NOW + timedelta(minutes=1))
    opened(engine, token, now=NOW + timedelta(minutes=2))
    with write_session(engine) as session:
        listed = family_invitations(session, family_id, now=NOW + timedelta(minutes=3))
    assert [(row.id, row.state) for row in listed] == [(second, "opened"), (first, "waiting")]
