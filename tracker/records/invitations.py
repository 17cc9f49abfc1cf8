"""Self-rating links: a family rates on their own phone, once, without an account.

The link is a capability, so it is treated as one (docs/security.md): 256 random bits,
only their sha256 stored, a few days' life, one use, cancellable, rate-limited per link
and per client address in the database every app server shares, answers checked and
size-capped, and every step audited without the token.

A refusal commits the caller's session before raising, so that the try and its audit row
survive the caller's rollback: call these functions in a write session of their own.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from tracker.instruments.loader import get_instrument
from tracker.people.access import Viewer, authorise
from tracker.people.audit import record
from tracker.records.assessments import AssessmentDraft, save_assessment, suggest_occasion
from tracker.records.invitation_guards import (
    add_try,
    answer_problem,
    client_name,
    count_tries,
    prune,
)
from tracker.store.errors import RecordInvalid
from tracker.store.models import Assessment, Family, Invitation, longest
from tracker.store.settings import MAX_EXPIRES_DAYS, get_settings

INVITE_REFUSAL = (
    "This link cannot be used. It may have run out, been used already or been "
    "cancelled. Please ask your key worker for a new one."
)
TOO_MANY_TRIES = "Too many tries from here. Please wait a few minutes and try again."
CANNOT_SEND = (
    "Your answers could not be sent today. They are kept on this link: please tell your key worker."
)
NOTHING_CHOSEN = "Choose an answer for at least one question before you send."
ENTERED_BY = "family (own phone)"
RATER = "family"
# Dates are the family's day, wherever the server's clock is.
LONDON = ZoneInfo("Europe/London")
GREETING_MAX = longest(Invitation.greeting)
DRAFT_MAX_CHARS = longest(Invitation.draft)
# token_urlsafe(32) gives 43 characters; anything much longer is not a token of ours.
TOKEN_MAX_CHARS = 100
STATES = ("waiting", "opened", "sent", "expired", "cancelled")
# Why a link was refused, as the audit trail says it, by its state.
_REASONS = {"sent": "used", "expired": "expired", "cancelled": "revoked"}


class InvitationRefused(Exception):
    """The link cannot be used; ``str(error)`` is safe to show to anyone."""


class CannotSend(ValueError):
    """The answers are fine but cannot become an assessment today; the draft is kept."""


@dataclass(frozen=True)
class OpenInvitation:
    invitation_id: int
    greeting: str
    instrument_key: str
    draft: dict[str, float | None]
    expires_at: datetime


@dataclass(frozen=True)
class InvitationSummary:
    id: int
    instrument_key: str
    greeting: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    state: str


def _utc(moment: datetime | None) -> datetime:
    """An aware UTC moment; SQLite hands stored ones back without their zone."""
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def london_day(now: datetime | None = None) -> date:
    return _utc(now).astimezone(LONDON).date()


def _hash(token: str) -> str:
    # A fast hash is right here, unlike for passwords: the token is 256 random bits, so
    # nobody can guess one from its hash however fast they can compute sha256.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def invitation_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/rate?invite={token}"


def state_of(invitation: Invitation, now: datetime | None = None) -> str:
    if invitation.revoked_at is not None:
        return "cancelled"
    if invitation.submitted_at is not None:
        return "sent"
    if _utc(invitation.expires_at) <= _utc(now):
        return "expired"
    return "opened" if invitation.opened_at is not None else "waiting"


def is_closed(family: Family) -> bool:
    """Closed, and not re-referred since."""
    return family.closed_on is not None and not (
        family.re_referred_on is not None and family.re_referred_on >= family.closed_on
    )


def default_greeting(family: Family) -> str:
    """The greeting offered first: "Hello" and the short name if it fits, else "Hello"."""
    greeting = f"Hello {family.short_name}" if family.short_name else "Hello"
    return greeting if len(greeting) <= GREETING_MAX else "Hello"


def create_invitation(
    session: Session,
    viewer: Viewer,
    family: Family,
    instrument_key: str,
    *,
    greeting: str,
    expires_days: int | None = None,
    now: datetime | None = None,
) -> tuple[int, str]:
    """Make a link for ``family`` to rate ``instrument_key``: its id and its token.

    The token is returned once and never stored; show it to the worker and forget it.
    Raises ``AccessDenied``, ``InstrumentError`` or ``RecordInvalid`` (by field).
    """
    authorise(viewer, "invite_family", family=family)
    instrument = get_instrument(instrument_key)
    now = _utc(now)
    days = get_settings().invite_days if expires_days is None else expires_days
    greeting = " ".join((greeting or "").split())
    problems = {}
    if is_closed(family):
        problems["family"] = (
            f"This family's case closed on {family.closed_on:%d %b %Y}: "
            "only open cases can be sent a link."
        )
    if not 1 <= days <= MAX_EXPIRES_DAYS:
        problems["expires_days"] = f"A link lasts from 1 to {MAX_EXPIRES_DAYS} days."
    if not greeting:
        problems["greeting"] = "Write a greeting, for example “Hello”."
    elif len(greeting) > GREETING_MAX:
        problems["greeting"] = f"Keep the greeting to {GREETING_MAX} characters."
    elif family.family_ref.lower() in greeting.lower():
        problems["greeting"] = (
            "Leave the family's reference out of the greeting: the link may be seen by others."
        )
    if problems:
        raise RecordInvalid(problems)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_hash(token),
        family_id=family.id,
        instrument=instrument.key,
        greeting=greeting,
        created_by=viewer.actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    record(
        session,
        actor=viewer.actor,
        action="invite_created",
        entity="invitation",
        entity_id=invitation.id,
        family_id=family.id,
        after={
            "instrument": instrument.key,
            "greeting": greeting,
            "expires_at": invitation.expires_at,
        },
    )
    return invitation.id, token


def _refuse(
    session: Session,
    client: str,
    invitation: Invitation | None,
    reason: str,
    message: str = INVITE_REFUSAL,
):
    """Audit why, commit (so the try counts whatever the caller does next), raise."""
    if invitation is None:
        where = {"entity": "client", "entity_id": client}
    else:
        where = {
            "entity": "invitation",
            "entity_id": invitation.id,
            "family_id": invitation.family_id,
        }
    record(
        session,
        actor=ENTERED_BY,
        action="invite_refused",
        after={"reason": reason, "client": client},
        **where,
    )
    session.commit()
    raise InvitationRefused(message)


def _limited(
    session: Session, now: datetime, since: datetime, client: str, invitation: Invitation | None
):
    """Refuse with TOO_MANY_TRIES; write one row and one audit row per window, not one per
    request, so a flood cannot fill the store."""
    invitation_id = None if invitation is None else invitation.id
    where = {"client": client, "invitation_id": None}
    if invitation is not None:
        where = {"invitation_id": invitation_id}
    if count_tries(session, since, "limited", **where):
        session.commit()
        raise InvitationRefused(TOO_MANY_TRIES)
    add_try(session, now, client, invitation_id, "limited")
    which = "this address" if invitation is None else "this link"
    _refuse(session, client, invitation, f"too many tries from {which}", TOO_MANY_TRIES)


def _admit(session: Session, token: str, client: str | None, now: datetime) -> Invitation:
    """The usable invitation behind ``token``, counted as one try; refusals raise."""
    settings = get_settings()
    client = client_name(client)
    since = now - timedelta(minutes=settings.invite_window_minutes)
    prune(session, since, now)
    if count_tries(session, since, "refused", client=client) >= settings.invite_tries_per_client:
        _limited(session, now, since, client, None)
    invitation = None
    if isinstance(token, str) and 0 < len(token) <= TOKEN_MAX_CHARS:
        invitation = session.execute(
            sa.select(Invitation).where(Invitation.token_hash == _hash(token))
        ).scalar_one_or_none()
    if invitation is None:
        add_try(session, now, client, None, "refused")
        _refuse(session, client, None, "unknown")
    state = state_of(invitation, now)
    if state in _REASONS:
        add_try(session, now, client, invitation.id, "refused")
        _refuse(session, client, invitation, _REASONS[state])
    if (
        count_tries(session, since, "ok", invitation_id=invitation.id)
        >= settings.invite_tries_per_link
    ):
        _limited(session, now, since, client, invitation)
    add_try(session, now, client, invitation.id, "ok")
    return invitation


def open_invitation(
    session: Session,
    token: str,
    *,
    client: str | None,
    first_view: bool,
    now: datetime | None = None,
) -> OpenInvitation:
    """What the family's page shows; ``first_view`` (a new browser visit) is audited."""
    now = _utc(now)
    invitation = _admit(session, token, client, now)
    if first_view:
        if invitation.opened_at is None:
            invitation.opened_at = now
        record(
            session,
            actor=ENTERED_BY,
            action="invite_opened",
            entity="invitation",
            entity_id=invitation.id,
            family_id=invitation.family_id,
        )
    return OpenInvitation(
        invitation_id=invitation.id,
        greeting=invitation.greeting,
        instrument_key=invitation.instrument,
        draft=json.loads(invitation.draft) if invitation.draft else {},
        expires_at=_utc(invitation.expires_at),
    )


def _checked(session: Session, invitation: Invitation, answers) -> dict[str, float | None]:
    """The answers as stored, or ValueError (after committing the try) in plain words."""
    instrument = get_instrument(invitation.instrument)
    problem = answer_problem(instrument, answers)
    clean = {} if problem else {k: None if v is None else float(v) for k, v in answers.items()}
    if not problem and len(json.dumps(clean, sort_keys=True)) > DRAFT_MAX_CHARS:
        problem = "answers: too much to keep."
    if problem:
        session.commit()
        raise ValueError(problem)
    return clean


def save_draft(
    session: Session,
    token: str,
    answers: dict[str, float | None],
    *,
    client: str | None,
    now: datetime | None = None,
) -> None:
    """Keep the answers so far (the whole draft, replacing the last), so a reload resumes.

    Each save counts toward the link's limit but is not audited.
    """
    invitation = _admit(session, token, client, _utc(now))
    invitation.draft = json.dumps(_checked(session, invitation, answers), sort_keys=True)


def _occasion(session: Session, family_id: int, instrument: str, today: date) -> str:
    """As the form suggests; on the day of a baseline, the family's view is part of it."""
    on_the_day = session.execute(
        sa.select(Assessment.id).where(
            Assessment.family_id == family_id,
            Assessment.instrument == instrument,
            Assessment.occasion == "baseline",
            Assessment.assessed_on == today,
        )
    ).first()
    return (
        "baseline" if on_the_day else suggest_occasion(session.connection(), family_id, instrument)
    )


def submit_invitation(
    session: Session,
    token: str,
    answers: dict[str, float | None],
    *,
    client: str | None,
    now: datetime | None = None,
) -> int:
    """Turn the answers into the family's own assessment, dated today; the link is spent.

    An area not answered counts as skipped. When the family cannot be given an assessment
    today (the case closed, one already sent today) ``CannotSend`` is raised, the answers
    are kept as the draft and the reason is audited.
    """
    now = _utc(now)
    invitation = _admit(session, token, client, now)
    clean = _checked(session, invitation, answers)
    draft_text = json.dumps(clean, sort_keys=True)
    instrument = get_instrument(invitation.instrument)
    values = {key: clean.get(key) for key in instrument.domain_keys}
    if all(value is None for value in values.values()):
        invitation.draft = draft_text
        session.commit()
        raise ValueError(NOTHING_CHOSEN)
    # Claim the link first: of two sends at once, the second finds it spent.
    claimed = session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.submitted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(submitted_at=now, draft=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        _refuse(session, client_name(client), invitation, "used")
    today = london_day(now)
    draft = AssessmentDraft(
        family_id=invitation.family_id,
        instrument=instrument.key,
        occasion=_occasion(session, invitation.family_id, instrument.key, today),
        assessed_on=today,
        rater=RATER,
        values=values,
    )
    try:
        assessment_id = save_assessment(
            session, draft, instrument=instrument, entered_by=ENTERED_BY, today=today
        )
    except RecordInvalid as invalid:
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id == invitation.id)
            .values(submitted_at=None, draft=draft_text)
            .execution_options(synchronize_session=False)
        )
        record(
            session,
            actor=ENTERED_BY,
            action="invite_refused",
            entity="invitation",
            entity_id=invitation.id,
            family_id=invitation.family_id,
            after={"reason": "cannot be recorded", "problems": invalid.problems},
        )
        session.commit()
        raise CannotSend(CANNOT_SEND) from None
    session.execute(
        sa.update(Assessment).where(Assessment.id == assessment_id).values(self_completed=True)
    )
    session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(assessment_id=assessment_id)
        .execution_options(synchronize_session=False)
    )
    session.expire(invitation)
    record(
        session,
        actor=ENTERED_BY,
        action="invite_submitted",
        entity="invitation",
        entity_id=invitation.id,
        family_id=invitation.family_id,
        after={
            "assessment_id": assessment_id,
            "instrument": instrument.key,
            "answered": sum(value is not None for value in values.values()),
            "skipped": sum(value is None for value in values.values()),
        },
    )
    return assessment_id


def revoke_invitation(
    session: Session, viewer: Viewer, invitation_id: int, *, now: datetime | None = None
) -> None:
    """Cancel a link that has not been used; its draft goes with it."""
    now = _utc(now)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise RecordInvalid({"invitation": f"There is no link number {invitation_id}."})
    authorise(viewer, "invite_family", family=session.get(Family, invitation.family_id))
    state = state_of(invitation, now)
    if state == "sent":
        raise RecordInvalid({"invitation": "The family has already sent their answers."})
    if state == "cancelled":
        raise RecordInvalid({"invitation": "This link was cancelled already."})
    invitation.revoked_at = now
    invitation.draft = None
    record(
        session,
        actor=viewer.actor,
        action="invite_revoked",
        entity="invitation",
        entity_id=invitation.id,
        family_id=invitation.family_id,
        after={"instrument": invitation.instrument, "was": state},
    )


def family_invitations(
    session: Session, family_id: int, *, now: datetime | None = None
) -> list[InvitationSummary]:
    """This family's links, newest first, with what became of each."""
    rows = (
        session.execute(
            sa.select(Invitation)
            .where(Invitation.family_id == family_id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
        .scalars()
        .all()
    )
    return [
        InvitationSummary(
            id=row.id,
            instrument_key=row.instrument,
            greeting=row.greeting,
            created_by=row.created_by,
            created_at=_utc(row.created_at),
            expires_at=_utc(row.expires_at),
            state=state_of(row, now),
        )
        for row in rows
    ]
