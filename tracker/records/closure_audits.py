"""Closure audits: why a case closed with its plan not wholly achieved.

The service audits every such case, to learn why. ``close_family`` opens the audit as a
manager's task in the same transaction as the closure; a manager completes it later,
scoring each of ``CLOSURE_AUDIT_QUESTIONS`` on ``AUDIT_SCALE`` with a comment. A save
names the version it started from, so of two managers completing one audit the second
is told rather than silently overwriting the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.people.access import Viewer, authorise
from tracker.people.audit import record
from tracker.store.closures import add_closure_audit, closure_audit_due
from tracker.store.errors import RecordInvalid
from tracker.store.models import ClosureAudit, Family, longest
from tracker.store.vocabulary import AUDIT_SCALE, CLOSURE_AUDIT_QUESTIONS

ENTITY = "closure_audit"
# Each question's answer, as the table and the form name them.
SCORE_FIELDS = {key: f"{key}_score" for key in CLOSURE_AUDIT_QUESTIONS}
COMMENT_FIELDS = {key: f"{key}_comment" for key in CLOSURE_AUDIT_QUESTIONS}
COMMENT_MOST = longest(ClosureAudit.reason_comment)
_ANSWERS = [
    field for key in CLOSURE_AUDIT_QUESTIONS for field in (SCORE_FIELDS[key], COMMENT_FIELDS[key])
]
_COLUMNS = [
    "id",
    "family_id",
    "family_ref",
    "short_name",
    "closed_on",
    "closure_reason",
    "created_at",
    "completed_at",
    "completed_by",
    "version",
    *_ANSWERS,
]


def open_closure_audit(
    session: Session, *, family_id: int, closed_on: date, closure_reason: str, actor: str
) -> ClosureAudit | None:
    """Open the audit task for a closure whose plan was not wholly achieved; audited.

    One per closure: a family re-referred and closed again gets another, and calling this
    twice for one closure opens none the second time. Other reasons open none.
    """
    if not closure_audit_due(session.connection(), family_id, closed_on, closure_reason):
        return None
    audit = session.get(ClosureAudit, add_closure_audit(session.connection(), family_id, closed_on))
    record(
        session,
        actor=actor,
        action="closure_audit_created",
        entity=ENTITY,
        entity_id=audit.id,
        family_id=family_id,
        after={"closed_on": closed_on, "closure_reason": closure_reason},
    )
    return audit


def _audits(connection: Connection, *, completed: bool) -> pd.DataFrame:
    done = ClosureAudit.completed_at.is_not(None)
    rows = connection.execute(
        sa.select(
            ClosureAudit.id,
            ClosureAudit.family_id,
            Family.family_ref,
            Family.short_name,
            ClosureAudit.closed_on,
            Family.closure_reason,
            ClosureAudit.created_at,
            ClosureAudit.completed_at,
            ClosureAudit.completed_by,
            ClosureAudit.version,
            *(getattr(ClosureAudit, field) for field in _ANSWERS),
        )
        .join(Family, Family.id == ClosureAudit.family_id)
        .where(done if completed else sa.not_(done))
        .order_by(
            ClosureAudit.completed_at.desc() if completed else ClosureAudit.created_at,
            ClosureAudit.id,
        )
    ).all()
    return pd.DataFrame(rows, columns=_COLUMNS)


def outstanding_audits(connection: Connection, *, today: date | None = None) -> pd.DataFrame:
    """The audits waiting to be completed, oldest first, with ``age_days``: whole days since
    each task was opened.

    ``closure_reason`` is the family's latest; it is the audited closure's unless the
    family has been closed again since, when that closure has an audit of its own.
    """
    frame = _audits(connection, completed=False)
    today = today or date.today()
    opened = pd.to_datetime(frame["created_at"], utc=True).dt.date
    frame["age_days"] = [(today - day).days for day in opened]
    return frame


def completed_audits(connection: Connection) -> pd.DataFrame:
    """The completed audits, most recently completed first, with their answers."""
    return _audits(connection, completed=True)


def check_answers(answers: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """The answers as stored (a score per question, a trimmed comment or None), and a
    plain message for each field that cannot be saved."""
    cleaned: dict[str, object] = {}
    problems: dict[str, str] = {}
    for key, question in CLOSURE_AUDIT_QUESTIONS.items():
        score = answers.get(SCORE_FIELDS[key])
        if score is None or isinstance(score, bool) or score not in AUDIT_SCALE:
            problems[SCORE_FIELDS[key]] = f"Choose an answer to “{question}”"
        else:
            cleaned[SCORE_FIELDS[key]] = int(score)
        comment = str(answers.get(COMMENT_FIELDS[key]) or "").strip()
        if len(comment) > COMMENT_MOST:
            problems[COMMENT_FIELDS[key]] = (
                f"Keep the comment on “{question}” to {COMMENT_MOST:,} characters or fewer."
            )
        cleaned[COMMENT_FIELDS[key]] = comment or None
    return cleaned, problems


def complete_audit(
    session: Session,
    viewer: Viewer,
    audit_id: int,
    answers: Mapping[str, object],
    version: int,
    *,
    now: datetime | None = None,
) -> None:
    """Complete an audit with a score (1-4) and an optional comment per question; audited.

    Refused with plain words per field for a missing score or an overlong comment, and
    refused when the audit changed since ``version`` was read or is complete already.
    """
    authorise(viewer, "quality_assurance")
    cleaned, problems = check_answers(answers)
    if problems:
        raise RecordInvalid(problems)
    audit = session.get(ClosureAudit, audit_id)
    if audit is None:
        raise RecordInvalid({"audit": "This closure audit no longer exists."})
    updated = session.connection().execute(
        sa.update(ClosureAudit)
        .where(
            ClosureAudit.id == audit_id,
            ClosureAudit.version == version,
            ClosureAudit.completed_at.is_(None),
        )
        .values(
            **cleaned,
            completed_at=now or datetime.now(UTC),
            completed_by=viewer.actor,
            version=ClosureAudit.version + 1,
        )
    )
    if updated.rowcount != 1:
        session.refresh(audit)
        if audit.completed_at is not None:
            raise RecordInvalid(
                {
                    "audit": f"{audit.completed_by} completed this audit on "
                    f"{audit.completed_at:%d %b %Y}, after you opened it. Read theirs below."
                }
            )
        raise RecordInvalid(
            {
                "audit": "Someone else changed this audit since you opened it. "
                "Open it again, then complete it if you still need to."
            }
        )
    record(
        session,
        actor=viewer.actor,
        action="closure_audit_completed",
        entity=ENTITY,
        entity_id=audit_id,
        family_id=audit.family_id,
        after={"closed_on": audit.closed_on, **cleaned},
    )
