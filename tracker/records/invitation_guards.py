"""The guards in front of a self-rating link: the tries that rate-limit it, and the check of
what a family sends.

Tries live in the database, so every app server counts the same ones; a row lasts as long
as the window and is then pruned, so the table stays small however hard a link is tried.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from tracker.instruments.loader import Instrument
from tracker.people.auth import LOCAL_CLIENT
from tracker.store.models import Invitation, InvitationTry, longest


def count_tries(session: Session, since: datetime, outcome: str, **where) -> int:
    """Tries with this outcome since ``since``, of one client or one invitation."""
    conditions = [InvitationTry.at >= since, InvitationTry.outcome == outcome]
    conditions += [getattr(InvitationTry, name) == value for name, value in where.items()]
    return session.execute(
        sa.select(sa.func.count(InvitationTry.id)).where(*conditions)
    ).scalar_one()


def add_try(session: Session, now: datetime, client: str, invitation_id, outcome: str) -> None:
    session.execute(
        sa.insert(InvitationTry).values(
            at=now, client=client, invitation_id=invitation_id, outcome=outcome
        )
    )


def prune(session: Session, since: datetime, now: datetime) -> None:
    """Keep storage bounded: tries older than the window, drafts of links that ran out."""
    session.execute(sa.delete(InvitationTry).where(InvitationTry.at < since))
    session.execute(
        sa.update(Invitation)
        .where(Invitation.expires_at <= now, Invitation.draft.is_not(None))
        .values(draft=None)
        .execution_options(synchronize_session=False)
    )


def client_name(client: str | None) -> str:
    return (client or LOCAL_CLIENT)[: longest(InvitationTry.client)]


def answer_problem(instrument: Instrument, answers) -> str | None:
    """What is wrong with answers sent from the family's page, naming the field, or None:
    at most one per area, each a known area, each a point of the scale or None (skipped)."""
    if not isinstance(answers, Mapping):
        return "answers: send the answers as area and point pairs."
    if len(answers) > len(instrument.domains):
        return f"answers: at most {len(instrument.domains)} answers, one for each area."
    keys = set(instrument.domain_keys)
    for key, value in answers.items():
        if key not in keys:
            return "answers: one of the answers is not for an area of this form."
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not any(math.isclose(value, point) for point in instrument.points)
        ):
            return "answers: one of the answers is not a point of this form's scale."
    return None
