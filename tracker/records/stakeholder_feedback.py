"""Feedback from the other key players around a family: key workers and panel members
answer a short questionnaire each period, beside the families' own feedback.

Each answer rates how well the referral pathway worked and the quality of multi-agency
working on FEEDBACK_SCALE, with an optional comment and, if they wish, a name or initials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.people.access import Viewer, authorise_role
from tracker.people.audit import record
from tracker.store.errors import RecordInvalid
from tracker.store.models import StakeholderFeedback, longest
from tracker.store.vocabulary import FEEDBACK_SCALE, STAKEHOLDER_ROLES

COLUMNS = [
    "period_start",
    "period_end",
    "role",
    "respondent",
    "pathway_score",
    "multi_agency_score",
    "comment",
    "entered_by",
    "entered_at",
]


@dataclass(frozen=True)
class Questionnaire:
    """One person's answers, as a form collects them."""

    period_start: date | None
    period_end: date | None
    role: str | None
    pathway_score: int | None
    multi_agency_score: int | None
    respondent: str | None = None
    comment: str | None = None


def _problems(answers: Questionnaire, today: date) -> dict[str, str]:
    problems = {}
    start, end = answers.period_start, answers.period_end
    if start is None:
        problems["period_start"] = "Give the first day of the period."
    if end is None:
        problems["period_end"] = "Give the last day of the period."
    elif end > today:
        problems["period_end"] = "The period cannot end in the future."
    elif start is not None and end < start:
        problems["period_end"] = "The period ends before it starts."
    if answers.role not in STAKEHOLDER_ROLES:
        problems["role"] = f"Choose one of: {', '.join(STAKEHOLDER_ROLES.values())}."
    scale = ", ".join(f"{point} {label}" for point, label in FEEDBACK_SCALE.items())
    for field in ("pathway_score", "multi_agency_score"):
        if getattr(answers, field) not in FEEDBACK_SCALE:
            problems[field] = f"Choose a rating: {scale}."
    for field in ("respondent", "comment"):
        text = (getattr(answers, field) or "").strip()
        if len(text) > (most := longest(getattr(StakeholderFeedback, field))):
            problems[field] = f"Keep this to {most:,} characters or fewer."
    return problems


def add_feedback(
    session: Session, viewer: Viewer, answers: Questionnaire, *, today: date
) -> StakeholderFeedback:
    """Store one questionnaire, audited, or raise ``RecordInvalid`` naming each field."""
    authorise_role(viewer, "quality_assurance")
    if problems := _problems(answers, today):
        raise RecordInvalid(problems)
    row = StakeholderFeedback(
        period_start=answers.period_start,
        period_end=answers.period_end,
        role=answers.role,
        respondent=(answers.respondent or "").strip() or None,
        pathway_score=answers.pathway_score,
        multi_agency_score=answers.multi_agency_score,
        comment=(answers.comment or "").strip() or None,
        entered_by=viewer.actor,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=viewer.actor,
        action="stakeholder_feedback_added",
        entity="stakeholder feedback",
        entity_id=row.id,
        after={
            "period_start": row.period_start,
            "period_end": row.period_end,
            "role": row.role,
            "pathway_score": row.pathway_score,
            "multi_agency_score": row.multi_agency_score,
        },
    )
    return row


def feedback_by_period(connection: Connection) -> pd.DataFrame:
    """Every questionnaire, the latest period first, then by role and as entered."""
    rows = connection.execute(
        sa.select(*(getattr(StakeholderFeedback, column) for column in COLUMNS)).order_by(
            StakeholderFeedback.period_end.desc(),
            StakeholderFeedback.period_start.desc(),
            StakeholderFeedback.role,
            StakeholderFeedback.id,
        )
    ).all()
    return pd.DataFrame(rows, columns=COLUMNS)
