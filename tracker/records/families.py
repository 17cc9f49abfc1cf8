"""Adding, naming, closing and reassigning families, their plan goals and case notes.

Each function checks what it is given and raises ``RecordInvalid`` with plain
words per field, so a page can show the message beside the right box.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from pydantic import ValidationError, field_validator
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.people.audit import record
from tracker.records.closure_audits import open_closure_audit
from tracker.records.invitations import is_closed
from tracker.store.errors import RecordInvalid
from tracker.store.models import Family, FamilyBase, FamilyNote, KeyWorker, PlanGoal, longest
from tracker.store.vocabulary import AGE_GROUPS, CLOSURE_REASONS, GOAL_STATUSES, TIERS_OF_NEED


def checked_short_name(value: str | None) -> str | None:
    """A short name as stored: trimmed, None when blank; too long raises ``ValueError``."""
    value = (value or "").strip()
    if len(value) > (most := longest(Family.short_name)):
        raise ValueError(f"Keep the short name to {most} characters or fewer.")
    return value or None


class FamilyCreate(FamilyBase):
    """What the "add a family" form may set; closure comes later, by its own form."""

    closed_on: None = None
    closure_reason: None = None
    closure_note: None = None
    re_referred_on: None = None

    @field_validator("family_ref", "area", "referral_source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("This is required.")
        return value

    @field_validator("short_name", mode="before")
    @classmethod
    def _short_name(cls, value: str | None) -> str | None:
        return checked_short_name(value)

    @field_validator("tier_of_need")
    @classmethod
    def _known_tier(cls, value: str) -> str:
        if value not in TIERS_OF_NEED:
            raise ValueError(f"Choose one of: {', '.join(TIERS_OF_NEED)}.")
        return value

    @field_validator("age_group")
    @classmethod
    def _known_age_group(cls, value: str | None) -> str | None:
        if value is not None and value not in AGE_GROUPS:
            raise ValueError(f"Choose one of: {', '.join(AGE_GROUPS)}.")
        return value

    @field_validator("referral_date")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("The referral date cannot be in the future.")
        return value


def field_problems(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors as one plain message per field."""
    problems = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "form"
        problems.setdefault(name, item["msg"].removeprefix("Value error, "))
    return problems


def build_family(**fields) -> FamilyCreate:
    """Validate form input into a ``FamilyCreate``, or raise ``RecordInvalid``."""
    try:
        return FamilyCreate.model_validate(fields)
    except ValidationError as error:
        raise RecordInvalid(field_problems(error)) from error


def add_family(
    session: Session, *, data: FamilyCreate, key_worker_id: int | None, actor: str
) -> Family:
    taken = session.execute(
        sa.select(Family.id).where(Family.family_ref == data.family_ref)
    ).first()
    if taken:
        raise RecordInvalid({"family_ref": "This reference is already used by another family."})
    family = Family(**data.model_dump(), key_worker_id=key_worker_id)
    session.add(family)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="family",
        entity_id=family.id,
        family_id=family.id,
        after={**data.model_dump(), "key_worker_id": key_worker_id},
    )
    return family


def close_family(
    session: Session,
    *,
    family_id: int,
    closed_on: date,
    closure_reason: str,
    closure_note: str,
    today: date,
    actor: str,
) -> None:
    """Close a case (again, once re-referred). A plan not wholly achieved needs a recorded
    reason, and opens a closure audit for a manager."""
    family = session.get(Family, family_id)
    if family is None:
        raise RecordInvalid({"family": "This family no longer exists."})
    problems = {}
    note = (closure_note or "").strip()
    if is_closed(family):
        problems["family"] = f"This family was already closed on {family.closed_on:%d %b %Y}."
    if closure_reason not in CLOSURE_REASONS:
        problems["closure_reason"] = "Choose how the case ended."
    elif closure_reason != "wholly_achieved" and not note:
        problems["closure_note"] = (
            "The plan was not wholly achieved: say briefly why, for the record."
        )
    if len(note) > (most := longest(Family.closure_note)):
        problems["closure_note"] = f"Keep the note under {most:,} characters."
    if closed_on > today:
        problems["closed_on"] = "The closing date cannot be in the future."
    elif closed_on < family.referral_date:
        problems["closed_on"] = "The closing date is before the referral date."
    elif family.re_referred_on is not None and closed_on < family.re_referred_on:
        problems["closed_on"] = "The closing date is before the family was re-referred."
    if problems:
        raise RecordInvalid(problems)
    family.closed_on = closed_on
    family.closure_reason = closure_reason
    family.closure_note = note or None
    session.add(family)
    record(
        session,
        actor=actor,
        action="update",
        entity="family",
        entity_id=family.id,
        family_id=family.id,
        before={"closed_on": None},
        after={
            "closed_on": closed_on,
            "closure_reason": closure_reason,
            "closure_note": family.closure_note,
        },
    )
    open_closure_audit(
        session,
        family_id=family.id,
        closed_on=closed_on,
        closure_reason=closure_reason,
        actor=actor,
    )


def rename_family(session: Session, *, family_id: int, short_name: str | None, actor: str) -> None:
    """Give a family a short name, change it, or (blank) take it away; audited."""
    family = session.get(Family, family_id)
    if family is None:
        raise RecordInvalid({"family": "This family no longer exists."})
    try:
        short_name = checked_short_name(short_name)
    except ValueError as problem:
        raise RecordInvalid({"short_name": str(problem)}) from problem
    if short_name != family.short_name:
        _change_family(session, family, actor, short_name=short_name)


def reassign_family(session: Session, *, family_id: int, key_worker_id: int, actor: str) -> None:
    """Move an open case to another key worker; their caseload shows it from now on."""
    family = session.get(Family, family_id)
    if family is None:
        raise RecordInvalid({"family": "This family no longer exists."})
    problems = {}
    if family.closed_on is not None:
        problems["family"] = (
            f"This case was closed on {family.closed_on:%d %b %Y}; only open cases can move."
        )
    if session.get(KeyWorker, key_worker_id) is None:
        problems["key_worker"] = "Choose a key worker from the list."
    elif key_worker_id == family.key_worker_id:
        problems["key_worker"] = "This family already has that key worker."
    if problems:
        raise RecordInvalid(problems)
    _change_family(session, family, actor, key_worker_id=key_worker_id)


def _change_family(session: Session, family: Family, actor: str, **changes) -> None:
    """Change some of a family's fields, with an audit row of what they were and are."""
    before = {field: getattr(family, field) for field in changes}
    for field, value in changes.items():
        setattr(family, field, value)
    session.add(family)
    record(
        session,
        actor=actor,
        action="update",
        entity="family",
        entity_id=family.id,
        family_id=family.id,
        before=before,
        after=changes,
    )


def before_referral(family: Family, day: date, what: str) -> str | None:
    """The question to ask before saving a ``what`` ("note", "goal") dated before the
    family was referred: usually a slip of the year, sometimes history worth keeping."""
    if day >= family.referral_date:
        return None
    return (
        f"This {what} is dated {day:%d %b %Y}, before the referral on "
        f"{family.referral_date:%d %b %Y}. Is that right?"
    )


def _date_problem(
    session: Session, *, family_id: int, day: date, today: date, what: str, confirmed: bool
) -> str | None:
    """What is wrong with a note's or goal's date: in the future, or (until the worker
    confirms it) before the family's referral."""
    if day > today:
        return "The date cannot be in the future."
    family = session.get(Family, family_id)
    if family is None or confirmed:
        return None
    return before_referral(family, day, what)


def add_goal(
    session: Session,
    *,
    family_id: int,
    text: str,
    domain: str | None,
    set_on: date,
    today: date,
    actor: str,
    date_confirmed: bool = False,
) -> PlanGoal:
    """Add a plan goal; a date before the referral needs ``date_confirmed``."""
    text = (text or "").strip()
    problems = {}
    if not text:
        problems["text"] = "Write the goal in a few words."
    elif len(text) > longest(PlanGoal.text):
        problems["text"] = f"Keep the goal under {longest(PlanGoal.text):,} characters."
    if problem := _date_problem(
        session, family_id=family_id, day=set_on, today=today, what="goal", confirmed=date_confirmed
    ):
        problems["set_on"] = problem
    if problems:
        raise RecordInvalid(problems)
    goal = PlanGoal(family_id=family_id, text=text, domain=domain or None, set_on=set_on)
    session.add(goal)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="goal",
        entity_id=goal.id,
        family_id=family_id,
        after={"text": text, "domain": goal.domain, "set_on": set_on},
    )
    return goal


def update_goal(
    session: Session,
    *,
    goal: PlanGoal,
    status: str,
    status_on: date,
    today: date,
    actor: str,
    expected_version: int | None = None,
) -> None:
    """Change a goal's status, refusing if it changed since ``expected_version`` was read.

    The page passes the version it showed, so of two people updating one goal the
    second is told rather than silently undoing the first.
    """
    problems = {}
    if status not in GOAL_STATUSES:
        problems["status"] = "Choose a status."
    if status_on > today:
        problems["status_on"] = "The date cannot be in the future."
    elif status_on < goal.set_on:
        problems["status_on"] = "The date is before the goal was set."
    if problems:
        raise RecordInvalid(problems)
    before = {"status": goal.status, "status_on": goal.status_on}
    expected = goal.version if expected_version is None else expected_version
    new_status_on = None if status == "open" else status_on
    updated = session.connection().execute(
        sa.update(PlanGoal)
        .where(PlanGoal.id == goal.id, PlanGoal.version == expected)
        .values(status=status, status_on=new_status_on, version=PlanGoal.version + 1)
    )
    if updated.rowcount != 1:
        now = session.execute(sa.select(PlanGoal.status).where(PlanGoal.id == goal.id)).scalar()
        raise RecordInvalid(
            {
                "goal": "Someone else updated this goal since you opened the page: it is now "
                f"{GOAL_STATUSES.get(now, 'deleted').lower()}. "
                "Check it, then update it again if you still need to."
            }
        )
    record(
        session,
        actor=actor,
        action="update",
        entity="goal",
        entity_id=goal.id,
        family_id=goal.family_id,
        before=before,
        after={"status": status, "status_on": new_status_on},
    )


def add_note(
    session: Session,
    *,
    family_id: int,
    written_on: date,
    text: str,
    author: str,
    today: date,
    actor: str,
    date_confirmed: bool = False,
) -> FamilyNote:
    """Add a case note; a date before the referral needs ``date_confirmed``."""
    text = (text or "").strip()
    problems = {}
    if not text:
        problems["text"] = "The note is empty."
    elif len(text) > longest(FamilyNote.text):
        problems["text"] = f"Keep the note under {longest(FamilyNote.text):,} characters."
    if problem := _date_problem(
        session,
        family_id=family_id,
        day=written_on,
        today=today,
        what="note",
        confirmed=date_confirmed,
    ):
        problems["written_on"] = problem
    if problems:
        raise RecordInvalid(problems)
    note = FamilyNote(family_id=family_id, written_on=written_on, text=text, author=author)
    session.add(note)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="note",
        entity_id=note.id,
        family_id=family_id,
        after={"written_on": written_on, "text": text},
    )
    return note


def family_by_ref(connection: Connection, family_ref: str) -> Family | None:
    row = connection.execute(
        sa.select(Family.__table__).where(Family.family_ref == family_ref)
    ).first()
    return Family.model_validate(dict(row._mapping)) if row else None


def key_workers(connection: Connection) -> pd.DataFrame:
    rows = connection.execute(
        sa.select(KeyWorker.id, KeyWorker.name, KeyWorker.background, KeyWorker.dedicated).order_by(
            KeyWorker.name
        )
    ).all()
    return pd.DataFrame(rows, columns=["id", "name", "background", "dedicated"])


def goals(connection: Connection, family_id: int) -> pd.DataFrame:
    rows = connection.execute(
        sa.select(
            PlanGoal.id,
            PlanGoal.text,
            PlanGoal.domain,
            PlanGoal.status,
            PlanGoal.set_on,
            PlanGoal.status_on,
            PlanGoal.version,
        )
        .where(PlanGoal.family_id == family_id)
        .order_by(PlanGoal.set_on, PlanGoal.id)
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "text", "domain", "status", "set_on", "status_on", "version"]
    )


def notes(connection: Connection, family_id: int) -> pd.DataFrame:
    rows = connection.execute(
        sa.select(FamilyNote.written_on, FamilyNote.author, FamilyNote.text)
        .where(FamilyNote.family_id == family_id)
        .order_by(FamilyNote.written_on.desc(), FamilyNote.id.desc())
    ).all()
    return pd.DataFrame(rows, columns=["written_on", "author", "text"])
