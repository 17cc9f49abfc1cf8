"""The sample's quality-assurance records, made as a manager would make them in the app.

Closure audits and case-file samples have no canonical file, so ``tracker init --sample``
makes them through the records functions after importing the sample: an audit for every
closure not wholly achieved, the older ones completed and the last few weeks' waiting, and
a 20% case-file sample of the year's closed cases with three in four of its files rated.
The same sample gives the same records; only the times some were saved differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from tracker.files.sample_words import CASE_FILE_EVIDENCE, CLOSURE_AUDIT_COMMENTS
from tracker.people.access import MANAGER, Viewer
from tracker.records.case_sampling import draw_sample, members, rate_case_file
from tracker.records.closure_audits import (
    COMMENT_FIELDS,
    SCORE_FIELDS,
    complete_audit,
    open_closure_audit,
)
from tracker.store.models import ClosureAudit, Family
from tracker.store.vocabulary import AUDITED_CLOSURES, CASE_FILE_QUALITIES, GRADES

ACTOR = "tracker init --sample"
# Audits of closures this recent are still waiting; older ones were completed this many
# days or so after the case closed.
WAITING_DAYS, COMPLETED_AFTER_DAYS = 42, (10, 40)
# A fifth of the year's closures, so the report card has enough rated files to show (fewer
# than the minimum group good or better would be hidden); every fourth is left to rate.
SAMPLE_SHARE, SAMPLE_SEED, UNRATED_EVERY = 0.2, 20261101, 4
# How sampled case files tend to be graded, best first (GRADES' order).
GRADE_WEIGHTS = (0.2, 0.55, 0.2, 0.05)


@dataclass(frozen=True)
class QualityCounts:
    audits: int
    completed: int
    sampled: int
    rated: int


def add_quality_records(session: Session, *, as_of: date, seed: int) -> QualityCounts:
    """Closure audits and a rated case-file sample for the imported sample cohort."""
    manager = Viewer(name="Sample manager", role=MANAGER, username=ACTOR)
    rng = np.random.default_rng([seed, 0, 11])
    closures = session.execute(
        sa.select(Family.id, Family.closed_on, Family.closure_reason)
        .where(Family.closure_reason.in_(AUDITED_CLOSURES))
        .order_by(Family.closed_on, Family.family_ref)
    ).all()
    completed = 0
    for family_id, closed_on, reason in closures:
        # Importing the closure opened its audit already; this opens any it did not.
        open_closure_audit(
            session, family_id=family_id, closed_on=closed_on, closure_reason=reason, actor=ACTOR
        )
        audit_id = session.execute(
            sa.select(ClosureAudit.id).where(
                ClosureAudit.family_id == family_id, ClosureAudit.closed_on == closed_on
            )
        ).scalar_one()
        # The task opened when the case closed, so the waiting ones show their real age.
        opened = datetime.combine(closed_on, time(17), tzinfo=UTC)
        session.execute(
            sa.update(ClosureAudit).where(ClosureAudit.id == audit_id).values(created_at=opened)
        )
        if (as_of - closed_on).days <= WAITING_DAYS:
            continue
        answers = {field: int(rng.integers(1, 5)) for field in SCORE_FIELDS.values()}
        for key, field in COMMENT_FIELDS.items():
            answers[field] = CLOSURE_AUDIT_COMMENTS[key] if rng.random() < 0.5 else None
        done = opened + timedelta(days=int(rng.integers(*COMPLETED_AFTER_DAYS)))
        complete_audit(session, manager, audit_id, answers, version=1, now=done)
        completed += 1

    sample_id = draw_sample(
        session,
        manager,
        period_start=as_of - timedelta(days=365),
        period_end=as_of,
        how="proportion",
        amount=SAMPLE_SHARE,
        seed=SAMPLE_SEED,
    )
    drawn = members(session.connection(), sample_id)
    rated = 0
    for position, member_id in enumerate(drawn["member_id"], start=1):
        if position % UNRATED_EVERY == 0:
            continue
        grades = {
            key: str(rng.choice(list(GRADES), p=GRADE_WEIGHTS)) for key in CASE_FILE_QUALITIES
        }
        evidence = {key: CASE_FILE_EVIDENCE[key] for key in CASE_FILE_QUALITIES}
        rate_case_file(session, manager, int(member_id), grades, evidence)
        rated += 1
    return QualityCounts(len(closures), completed, len(drawn), rated)
