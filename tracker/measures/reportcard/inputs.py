"""Saving what managers type into the report card: costs, targets and the story behind the curve."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from tracker.measures.periods import Period
from tracker.measures.reportcard.card import STORY_FIELDS
from tracker.measures.reportcard.data import Scope
from tracker.measures.reportcard.registry import MEASURES_BY_KEY
from tracker.people.audit import record
from tracker.store.errors import RecordInvalid
from tracker.store.models import MeasureTarget, ProgrammeCost, ReportStory, longest


def save_cost(
    session: Session, *, period: Period, scope: Scope, amount: float, actor: str, note: str = ""
) -> None:
    """Set the programme cost of a period and scope, replacing any earlier figure."""
    if amount is None or amount < 0:
        raise RecordInvalid({"amount": "Enter the cost as a positive amount in pounds."})
    if len(note.strip()) > (most := longest(ProgrammeCost.note)):
        raise RecordInvalid({"note": f"Keep the note under {most:,} characters."})
    existing = session.execute(
        sa.select(ProgrammeCost).where(
            ProgrammeCost.period_start == period.start,
            ProgrammeCost.period_end == period.end,
            ProgrammeCost.scope_kind == scope.kind,
            ProgrammeCost.scope_value == scope.value,
        )
    ).scalar_one_or_none()
    row = existing or ProgrammeCost(
        period_start=period.start,
        period_end=period.end,
        scope_kind=scope.kind,
        scope_value=scope.value,
        amount=0,
    )
    before = None if existing is None else {"amount": existing.amount}
    row.amount = float(amount)
    row.note = note.strip() or None
    session.add(row)
    record(
        session,
        actor=actor,
        action="update" if existing else "create",
        entity="cost",
        entity_id=f"{period.label} {scope.label}",
        before=before,
        after={"amount": row.amount, "note": row.note},
    )


def save_target(
    session: Session, *, measure: str, scope: Scope, target: float | None, actor: str
) -> None:
    """Set or clear (with None) the target of a measure for a scope."""
    if measure not in MEASURES_BY_KEY:
        raise RecordInvalid({"measure": "Choose a measure."})
    existing = session.execute(
        sa.select(MeasureTarget).where(
            MeasureTarget.measure == measure,
            MeasureTarget.scope_kind == scope.kind,
            MeasureTarget.scope_value == scope.value,
        )
    ).scalar_one_or_none()
    label = f"{measure} {scope.label}"
    if target is None:
        if existing is not None:
            record(
                session,
                actor=actor,
                action="delete",
                entity="target",
                entity_id=label,
                before={"target": existing.target},
            )
            session.delete(existing)
        return
    record(
        session,
        actor=actor,
        action="update" if existing else "create",
        entity="target",
        entity_id=label,
        before=None if existing is None else {"target": existing.target},
        after={"target": float(target)},
    )
    row = existing or MeasureTarget(
        measure=measure, scope_kind=scope.kind, scope_value=scope.value, target=0
    )
    row.target = float(target)
    session.add(row)


def save_story(
    session: Session, *, period: Period, scope: Scope, story: dict[str, str], author: str
) -> None:
    """Save every story field of a period and scope in one go."""
    unknown = set(story) - set(STORY_FIELDS)
    if unknown:
        raise RecordInvalid({"story": f"Unknown story fields: {', '.join(sorted(unknown))}."})
    most = longest(ReportStory.text)
    too_long = [STORY_FIELDS[key] for key, text in story.items() if len(text) > most]
    if too_long:
        raise RecordInvalid({"story": f"Keep each text under {most:,} characters: {too_long[0]}."})
    existing = {
        row.field: row
        for row in session.execute(
            sa.select(ReportStory).where(
                ReportStory.period_start == period.start,
                ReportStory.period_end == period.end,
                ReportStory.scope_kind == scope.kind,
                ReportStory.scope_value == scope.value,
            )
        ).scalars()
    }
    for key, text in story.items():
        row = existing.get(key) or ReportStory(
            period_start=period.start,
            period_end=period.end,
            scope_kind=scope.kind,
            scope_value=scope.value,
            field=key,
        )
        if key in existing and existing[key].text == text.strip():
            continue
        before = existing[key].text if key in existing else None
        row.text = text.strip()
        row.updated_by = author
        row.updated_at = datetime.now(UTC)
        session.add(row)
        record(
            session,
            actor=author,
            action="update" if before is not None else "create",
            entity="story",
            entity_id=f"{period.label} {scope.label} {key}",
            before=before,
            after=row.text,
        )
