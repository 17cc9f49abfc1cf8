"""Recording and editing an assessment: checks, the typo guard and optimistic saves.

The page limits what can be typed, but every limit is checked again here,
because a page is not a security boundary and two people can edit at once.
A save names the version it started from; if someone saved in between, the
save is refused with their version so nothing is silently overwritten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.instruments.loader import Instrument
from tracker.people.audit import record
from tracker.store.errors import RecordInvalid
from tracker.store.history import draft_history_problems
from tracker.store.journeys import refresh_journeys
from tracker.store.models import Assessment, Family, Score, longest
from tracker.store.vocabulary import DEFAULT_RATERS, OCCASIONS, RATERS


@dataclass
class AssessmentDraft:
    """What the form holds. ``values`` maps every domain to a score, or None for N/A."""

    family_id: int
    instrument: str
    occasion: str
    assessed_on: date
    rater: str
    values: dict[str, float | None]
    notes: dict[str, str] = field(default_factory=dict)
    # Areas whose big change since last time the person has confirmed. None: nobody was
    # asked (an import or a script), so big changes are not checked.
    confirmed: frozenset[str] | None = None


@dataclass(frozen=True)
class StoredAssessment:
    id: int
    family_id: int
    instrument: str
    occasion: str
    assessed_on: date
    rater: str
    version: int
    entered_by: str | None
    entered_at: datetime
    values: dict[str, float | None]
    notes: dict[str, str]


class VersionConflict(Exception):
    """Someone saved this assessment after the editor opened it."""

    def __init__(self, current: StoredAssessment):
        super().__init__(f"assessment {current.id} is now at version {current.version}")
        self.current = current


def big_change_threshold(instrument: Instrument) -> float:
    """A jump of half the scale's points or more, rounded up, deserves a second look:
    3 on a 5-point scale, 5 on a 10-point one, 2.5 on 1-5 in half points."""
    points = round(instrument.scale_span / instrument.step) + 1
    return math.ceil(points / 2) * instrument.step


def big_changes(
    previous: dict[str, float | None], new: dict[str, float | None], instrument: Instrument
) -> dict[str, tuple[float, float]]:
    """Domains whose score moved by a suspicious amount, perhaps a slip of the finger."""
    threshold = big_change_threshold(instrument)
    flagged = {}
    for key in instrument.domain_keys:
        before, after = previous.get(key), new.get(key)
        if before is not None and after is not None and abs(after - before) >= threshold - 1e-9:
            flagged[key] = (before, after)
    return flagged


def unconfirmed_changes(
    previous: dict[str, float | None],
    new: dict[str, float | None],
    instrument: Instrument,
    confirmed: frozenset[str] | set[str],
) -> dict[str, tuple[float, float]]:
    """The big changes still waiting for a "Yes, this is right": the typo guard asks."""
    return {
        key: change
        for key, change in big_changes(previous, new, instrument).items()
        if key not in confirmed
    }


def comparison_raters(rater: str) -> tuple[str, ...]:
    """Whose earlier scores a new one is checked against: the family's own view against
    the family's, the worker's or a joint one against the worker's and joint ones."""
    return ("family",) if rater == "family" else DEFAULT_RATERS


def clashing_assessment(
    connection: Connection, draft: AssessmentDraft, assessment_id: int | None = None
) -> int | None:
    """Another assessment of this family and instrument by the same rater on the same date."""
    return connection.execute(
        sa.select(Assessment.id).where(
            Assessment.family_id == draft.family_id,
            Assessment.instrument == draft.instrument,
            Assessment.assessed_on == draft.assessed_on,
            Assessment.rater == draft.rater,
            Assessment.id != (assessment_id or -1),
        )
    ).scalar()


def _baseline_on(connection: Connection, family_id: int, instrument: str) -> date | None:
    return connection.execute(
        sa.select(sa.func.min(Assessment.assessed_on)).where(
            Assessment.family_id == family_id,
            Assessment.instrument == instrument,
            Assessment.occasion == "baseline",
        )
    ).scalar_one()


def suggest_occasion(connection: Connection, family_id: int, instrument: str) -> str:
    """Baseline when the family has none for this instrument, otherwise review."""
    return "review" if _baseline_on(connection, family_id, instrument) else "baseline"


def check_draft(
    connection: Connection,
    draft: AssessmentDraft,
    *,
    instrument: Instrument,
    today: date,
    assessment_id: int | None = None,
) -> dict[str, str]:
    """Every reason the draft cannot be saved, by field, in plain words."""
    problems: dict[str, str] = {}
    family = connection.execute(
        sa.select(Family.referral_date).where(Family.id == draft.family_id)
    ).one_or_none()
    if family is None:
        return {"family": "This family no longer exists."}
    if draft.instrument != instrument.key:
        problems["instrument"] = "The instrument does not match the form."
    if draft.occasion not in OCCASIONS:
        problems["occasion"] = f"Choose one of: {', '.join(OCCASIONS)}."
    if draft.rater not in RATERS:
        problems["rater"] = "Choose who gave the scores: the worker, the family, or both together."
    if draft.assessed_on > today:
        problems["assessed_on"] = "The date cannot be in the future."
    elif draft.assessed_on < family.referral_date:
        problems["assessed_on"] = (
            f"The date is before the family was referred ({family.referral_date:%d %b %Y})."
        )
    baseline_on = _baseline_on(connection, draft.family_id, draft.instrument)
    if draft.occasion != "baseline" and not {"occasion", "assessed_on"} & set(problems):
        if baseline_on is None:
            problems["occasion"] = "Record a baseline for this instrument before any review."
        elif draft.assessed_on <= baseline_on:
            problems["assessed_on"] = (
                f"A {draft.occasion} must come after the baseline on {baseline_on:%d %b %Y}."
            )
    if clashing_assessment(connection, draft, assessment_id) is not None:
        problems["assessed_on"] = (
            "There is already an assessment by this rater on this date. "
            "Correct that one, or change the date or who gave the scores."
        )
    if not {"occasion", "assessed_on"} & set(problems):
        # The importer asks the same: no second baseline, nothing after a closure, unless
        # a re-referral opened a new journey.
        problems.update(
            draft_history_problems(
                connection,
                family_id=draft.family_id,
                instrument=draft.instrument,
                occasion=draft.occasion,
                assessed_on=draft.assessed_on,
                assessment_id=assessment_id,
                instrument_name=instrument.name,
            )
        )

    missing = [d.label for d in instrument.domains if d.key not in draft.values]
    if missing:
        problems["scores"] = (
            "Score these areas or mark them not applicable: " + ", ".join(missing) + "."
        )
    unknown = sorted(set(draft.values) - set(instrument.domain_keys))
    if unknown:
        problems["scores"] = f"Not areas of {instrument.name}: {', '.join(unknown)}."
    labels = {d.key: d.label for d in instrument.domains}
    for key, value in draft.values.items():
        if value is None or key not in labels:
            continue
        if not isinstance(value, int | float) or math.isnan(value):
            problems[key] = f"{labels[key]}: enter a number."
        elif not instrument.scale_min <= value <= instrument.scale_max:
            problems[key] = (
                f"{labels[key]}: {value:g} is outside the scale "
                f"({instrument.scale_min:g} to {instrument.scale_max:g})."
            )
        elif not math.isclose(
            (value - instrument.scale_min) / instrument.step,
            round((value - instrument.scale_min) / instrument.step),
        ):
            problems[key] = f"{labels[key]}: scores go in steps of {instrument.step:g}."
    if draft.values and not missing and all(v is None for v in draft.values.values()):
        problems["scores"] = "Score at least one area; every area is marked not applicable."
    most = longest(Score.note)
    for key, note in draft.notes.items():
        if len(note) > most:
            problems[key] = f"{labels.get(key, key)}: keep the note under {most:,} characters."
    if draft.confirmed is not None and "assessed_on" not in problems:
        unconfirmed = _unconfirmed_problems(connection, draft, instrument, assessment_id)
        for key, text in unconfirmed.items():
            problems.setdefault(key, text)
    return problems


def confirmation_problems(
    previous: dict[str, float | None],
    new: dict[str, float | None],
    instrument: Instrument,
    confirmed: frozenset[str] | set[str],
) -> dict[str, str]:
    """Why each unconfirmed big change stops the save, in words that name the area."""
    labels = {d.key: d.label for d in instrument.domains}
    return {
        key: f"{labels[key]}: {before:g} to {after:g} is a big change since last time. "
        f"Tick “Yes, this is right” under {labels[key]} if it is right, or correct the score."
        for key, (before, after) in unconfirmed_changes(
            previous, new, instrument, confirmed
        ).items()
    }


def _unconfirmed_problems(
    connection: Connection,
    draft: AssessmentDraft,
    instrument: Instrument,
    assessment_id: int | None,
) -> dict[str, str]:
    previous = previous_assessment(
        connection,
        family_id=draft.family_id,
        instrument=draft.instrument,
        before=draft.assessed_on,
        raters=comparison_raters(draft.rater),
        exclude_id=assessment_id,
    )
    if previous is None:
        return {}
    return confirmation_problems(
        previous.values, draft.values, instrument, draft.confirmed or frozenset()
    )


def load_assessment(connection: Connection, assessment_id: int) -> StoredAssessment | None:
    assessment = connection.execute(
        sa.select(
            Assessment.id,
            Assessment.family_id,
            Assessment.instrument,
            Assessment.occasion,
            Assessment.assessed_on,
            Assessment.rater,
            Assessment.version,
            Assessment.entered_by,
            Assessment.entered_at,
        ).where(Assessment.id == assessment_id)
    ).first()
    if assessment is None:
        return None
    scores = connection.execute(
        sa.select(Score.domain, Score.value, Score.note).where(Score.assessment_id == assessment_id)
    ).all()
    return StoredAssessment(
        id=assessment.id,
        family_id=assessment.family_id,
        instrument=assessment.instrument,
        occasion=assessment.occasion,
        assessed_on=assessment.assessed_on,
        rater=assessment.rater,
        version=assessment.version,
        entered_by=assessment.entered_by,
        entered_at=assessment.entered_at,
        values={domain: value for domain, value, _note in scores},
        notes={domain: note for domain, _value, note in scores if note},
    )


def family_assessments(connection: Connection, family_id: int, instrument: str) -> pd.DataFrame:
    """The family's assessments of one instrument, oldest first, for picking one to edit."""
    rows = connection.execute(
        sa.select(
            Assessment.id,
            Assessment.occasion,
            Assessment.assessed_on,
            Assessment.rater,
            Assessment.version,
            Assessment.entered_by,
        )
        .where(Assessment.family_id == family_id, Assessment.instrument == instrument)
        .order_by(Assessment.assessed_on, Assessment.rater)
    ).all()
    return pd.DataFrame(
        rows, columns=["id", "occasion", "assessed_on", "rater", "version", "entered_by"]
    )


def previous_assessment(
    connection: Connection,
    *,
    family_id: int,
    instrument: str,
    before: date,
    raters: tuple[str, ...],
    exclude_id: int | None = None,
) -> StoredAssessment | None:
    """The most recent assessment before ``before`` by any of ``raters``, to compare with."""
    row = connection.execute(
        sa.select(Assessment.id)
        .where(
            Assessment.family_id == family_id,
            Assessment.instrument == instrument,
            Assessment.assessed_on < before,
            Assessment.rater.in_(raters),
            Assessment.id != (exclude_id or -1),
        )
        .order_by(Assessment.assessed_on.desc())
        .limit(1)
    ).first()
    return load_assessment(connection, row[0]) if row else None


def _score_rows(assessment_id: int, draft: AssessmentDraft) -> list[dict]:
    return [
        {
            "assessment_id": assessment_id,
            "domain": key,
            "value": None if value is None else float(value),
            "note": (draft.notes.get(key) or "").strip() or None,
        }
        for key, value in draft.values.items()
    ]


def save_assessment(
    session: Session,
    draft: AssessmentDraft,
    *,
    instrument: Instrument,
    entered_by: str,
    today: date,
    assessment_id: int | None = None,
    expected_version: int | None = None,
) -> int:
    """Insert a new assessment, or update one at ``expected_version``; return its id.

    Raises ``RecordInvalid`` with every problem, or ``VersionConflict`` when
    someone else saved the assessment first. Scores and the family's journeys are
    written in the same transaction as the assessment, so a failure leaves nothing
    half-written.
    """
    connection = session.connection()
    before = load_assessment(connection, assessment_id) if assessment_id is not None else None
    problems = check_draft(
        connection, draft, instrument=instrument, today=today, assessment_id=assessment_id
    )
    if problems:
        raise RecordInvalid(problems)
    now = datetime.now(UTC)
    if assessment_id is None:
        assessment = Assessment(
            family_id=draft.family_id,
            instrument=draft.instrument,
            instrument_version=instrument.version,
            occasion=draft.occasion,
            assessed_on=draft.assessed_on,
            rater=draft.rater,
            entered_by=entered_by,
            entered_at=now,
        )
        session.add(assessment)
        session.flush()
        assessment_id = assessment.id
    else:
        updated = connection.execute(
            sa.update(Assessment)
            .where(Assessment.id == assessment_id, Assessment.version == expected_version)
            .values(
                occasion=draft.occasion,
                assessed_on=draft.assessed_on,
                rater=draft.rater,
                entered_by=entered_by,
                entered_at=now,
                version=Assessment.version + 1,
            )
        )
        if updated.rowcount != 1:
            current = load_assessment(connection, assessment_id)
            if current is None:
                raise RecordInvalid({"assessment": "This assessment has been deleted."})
            raise VersionConflict(current)
        connection.execute(sa.delete(Score).where(Score.assessment_id == assessment_id))
    connection.execute(sa.insert(Score), _score_rows(assessment_id, draft))
    # The family's journeys follow from its assessments: kept in step in this transaction.
    refresh_journeys(connection, [draft.family_id, *([before.family_id] if before else [])])
    summary = {
        "instrument": draft.instrument,
        "occasion": draft.occasion,
        "assessed_on": draft.assessed_on,
        "rater": draft.rater,
        "scores": draft.values,
    }
    record(
        session,
        actor=entered_by,
        action="update" if before else "create",
        entity="assessment",
        entity_id=assessment_id,
        family_id=draft.family_id,
        before=None
        if before is None
        else {
            "instrument": before.instrument,
            "occasion": before.occasion,
            "assessed_on": before.assessed_on,
            "rater": before.rater,
            "scores": before.values,
        },
        after=summary,
    )
    return assessment_id
