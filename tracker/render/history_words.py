"""The words of the audit trail's sentences: names of actions, fields and values, and
how a day, a quote, a value or a list of changes reads. ``history_text`` builds each
kind of row's sentence from them."""

import json
import re
from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

from tracker.files.canonical import ASSESSMENT_IDENTITY, CANONICAL, SCORES
from tracker.measures.audit_names import AuditNames
from tracker.store.vocabulary import (
    ACTIVITY_KINDS,
    CLOSURE_REASONS,
    GOAL_STATUSES,
    KEY_WORKER_BACKGROUNDS,
    OCCASION_LABELS,
    RATER_NAMES,
    REFERRAL_OUTCOMES,
)

# An audit row, as a mapping of its columns.
Row = Mapping
FAMILY = "family_ref"
# What names an imported row, as the import's audit row gives it (its family aside).
SCORE_NAME = tuple(column for column in SCORES.identity if column != FAMILY)
ASSESSMENT_NAME = tuple(column for column in ASSESSMENT_IDENTITY if column != FAMILY)
KINDS_BY_NOUN = {kind.noun: kind for kind in CANONICAL.values()}
# How a count names a kind of file row where its own noun is not the plain word.
NOUNS = {"scores": "score", "referrals_on": "onward referral"}
# What an import added to a family, counted in the files' order (assessments by their scores).
KIND_ORDER = {name: place for place, name in enumerate(["assessments", *CANONICAL])}
# How the audit page's filter names each action.
ACTION_LABELS = {
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "view": "Opened a family's record",
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "lockout": "Account locked",
    "sign_out": "Signed out",
    "export": "Downloaded",
    "import": "Imported",
    "backup": "Backed up",
    "restore": "Restored",
    "invite_created": "Self-rating link made",
    "invite_opened": "Self-rating link opened",
    "invite_submitted": "Self-rating sent",
    "invite_revoked": "Self-rating link cancelled",
    "invite_refused": "Self-rating link refused",
    "closure_audit_created": "Closure audit due",
    "closure_audit_completed": "Closure audit completed",
    "sample_drawn": "Case-file sample drawn",
    "case_file_rated": "Case file graded",
    "stakeholder_feedback_added": "Team feedback added",
    "pathway_updated": "Referral pathway changed",
}
VERBS = {
    "create": "added",
    "update": "changed",
    "delete": "removed",
    "view": "opened",
    "export": "downloaded",
    "import": "imported",
    "backup": "backed up",
    "restore": "restored",
}
# Stored field names as a sentence says them; any other name loses its underscores.
_FIELDS = {
    "key_worker_id": "key worker",
    "closed_on": "closing date",
    "closure_reason": "reason for closing",
    "closure_note": "closing note",
    "re_referred_on": "re-referral date",
    "set_on": "date agreed",
    "status_on": "status date",
    "written_on": "date",
    "assessed_on": "date",
    "goal": "goal",
    "note": "note",
    "panel_referral_on": "panel referral date",
    "panel_decision_on": "panel decision date",
    "multi_agency_package": "multi-agency package",
    "first_contact_on": "first contact date",
}
_CHOICES = {
    "closure_reason": CLOSURE_REASONS,
    "referral_outcome": REFERRAL_OUTCOMES,
    "status": GOAL_STATUSES,
    "occasion": OCCASION_LABELS,
    "rater": RATER_NAMES,
    "kind": ACTIVITY_KINDS,
    "background": KEY_WORKER_BACKGROUNDS,
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MOST_CHANGES = 5  # in one sentence; the rest are counted
LONGEST_QUOTE = 80  # characters of a note or story quoted


def loaded(value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def day_text(value) -> str:
    return f"{date.fromisoformat(str(value)[:10]):%d %b %Y}"


def quote_text(text) -> str:
    text = " ".join(str(text).split())
    return f"“{text[: LONGEST_QUOTE - 1]}…”" if len(text) > LONGEST_QUOTE else f"“{text}”"


def value_text(field: str, value, names: AuditNames) -> str:
    """One stored value as a sentence says it."""
    if value is None or value == "":
        return "not scored" if field == "score" else "blank"
    if field == "key_worker_id":
        return names.key_workers.get(int(value), "another key worker")
    if field in _CHOICES:
        return _CHOICES[field].get(value, str(value)).lower()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and _ISO_DAY.match(value):
        return day_text(value)
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return f"{datetime.fromisoformat(value):%d %b %Y %H:%M}"
    if field in ("text", "goal", "note", "closure_note", "comment"):
        return quote_text(value)
    return str(value)


def another_day(row: Row, after: dict, field: str) -> bool:
    """Whether a note's or goal's own date differs from the day it was written down."""
    if not after.get(field):
        return False
    return row.get("at") is None or day_text(after[field]) != f"{pd.Timestamp(row['at']):%d %b %Y}"


def _field(name: str) -> str:
    return _FIELDS.get(name, name.replace("_", " "))


def listed(parts: list[str], most: int = MOST_CHANGES) -> str:
    if not parts:
        return ""
    if len(parts) > most:
        parts = [*parts[: most - 1], f"{len(parts) - most + 1} more"]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def changes_text(before, after, names: AuditNames) -> str:
    """ "area from X to Y and status from A to B", for each value that changed."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    parts = [
        f"{_field(key)} from {value_text(key, before.get(key), names)} "
        f"to {value_text(key, after.get(key), names)}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
    return listed(parts) if parts else ""


def instrument_name(key, names: AuditNames) -> str:
    instrument = names.instruments.get(key)
    return instrument.short_name if instrument else str(key)


def area_name(instrument_key, domain, names: AuditNames) -> str:
    instrument = names.instruments.get(instrument_key)
    labels = {d.key: d.label for d in instrument.domains} if instrument else {}
    return labels.get(domain, str(domain).replace("_", " "))
