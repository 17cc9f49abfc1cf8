"""The audit trail in sentences: "Amira Ahmed changed Housing from 4 to 3 on 12 Mar 2026".

Each kind of row the app writes (an ``action`` on an ``entity``, see
``tracker.people.audit.record``) has its own sentence, with people, areas, families and
goals named through ``AuditNames``; a kind not known here still reads as a plain
sentence, never as JSON or column names. Pure functions: rows in, words out.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from tracker.files.canonical import CANONICAL
from tracker.measures.audit_names import AuditNames
from tracker.measures.reportcard.card import STORY_FIELDS
from tracker.measures.reportcard.registry import MEASURES_BY_KEY
from tracker.people.auth import UNKNOWN_ACCOUNT
from tracker.render.history_words import (
    ASSESSMENT_NAME,
    FAMILY,
    KIND_ORDER,
    KINDS_BY_NOUN,
    NOUNS,
    SCORE_NAME,
    VERBS,
    Row,
    another_day,
    area_name,
    changes_text,
    day_text,
    instrument_name,
    listed,
    loaded,
    quote_text,
    value_text,
)
from tracker.render.scoring import score_text
from tracker.store.vocabulary import (
    AUDIT_SCALE,
    CASE_FILE_QUALITIES,
    CLOSURE_AUDIT_HEADINGS,
    GRADES,
    STAKEHOLDER_ROLES,
)


# One function per entity: (row, who, before, after, names) -> the sentence, undated.
def _family(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    before = before if isinstance(before, dict) else {}
    if row["action"] == "view":
        return f"{who} opened the record of family {row['entity_id']}"
    if row["action"] == "create":
        family = f"family {after['family_ref']}" if after.get("family_ref") else "a family"
        referred = (
            f", referred {day_text(after['referral_date'])}" if after.get("referral_date") else ""
        )
        return f"{who} added {family}{referred}"
    if row["action"] == "import" and "added" in after:
        added = after["added"]
        kinds = sorted(
            set(added) - {"families"}, key=lambda k: (KIND_ORDER.get(k, len(KIND_ORDER)), k)
        )
        things = listed([_count(kind, added[kind]) for kind in kinds], most=len(kinds))
        if "families" in added:
            with_what = f" with {things}" if things else ""
            return f"{who} added family {row['entity_id']} by import{with_what}"
        return f"{who} added {things} to family {row['entity_id']} by import"
    if after.get("closed_on") and not before.get("closed_on"):
        reason = value_text("closure_reason", after.get("closure_reason"), names)
        return f"{who} closed the case on {day_text(after['closed_on'])}: {reason}"
    if set(after) == {"key_worker_id"}:
        old, new = before.get("key_worker_id"), after["key_worker_id"]
        return (
            f"{who} moved the family from {value_text('key_worker_id', old, names)} "
            f"to {value_text('key_worker_id', new, names)}"
        )
    return f"{who} changed the family's {changes_text(before, after, names)}{_by_import(row)}"


def _count(kind: str, number: int) -> str:
    """ "2 goals", "1 onward referral": a kind of file row, counted."""
    noun = NOUNS.get(kind) or (CANONICAL[kind].noun if kind in CANONICAL else kind[:-1])
    if number == 1 or noun == "feedback":
        return f"{number:,} {noun}"
    return f"{number:,} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _by_import(row: Row) -> str:
    return " by import" if row["action"] == "import" else ""


def _assessment(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    if row["action"] == "import":
        what = _identified(row, ASSESSMENT_NAME, names)
        return (
            f"{who} changed the assessment {what} by import: {changes_text(before, after, names)}"
        )
    tool = instrument_name(after.get("instrument"), names)
    occasion = value_text("occasion", after.get("occasion"), names)
    rater = value_text("rater", after.get("rater"), names)
    which = f"({tool}, {rater}, {day_text(after['assessed_on'])})"
    if row["action"] == "create" or not isinstance(before, dict):
        return f"{who} recorded the {occasion} scores {which}"
    old, new = before.get("scores") or {}, after.get("scores") or {}
    instrument = names.instruments.get(after.get("instrument"))
    keys = [d.key for d in instrument.domains] if instrument else sorted(set(old) | set(new))
    parts = [
        f"{area_name(after.get('instrument'), key, names)} from {score_text(old, key)} "
        f"to {score_text(new, key)}"
        for key in keys
        if (key in old, old.get(key)) != (key in new, new.get(key))
    ]
    details = {k: v for k, v in after.items() if k not in ("scores", "instrument")}
    moved = changes_text({k: before.get(k) for k in details}, details, names)
    if moved:
        parts.append(moved)
    if not parts:
        return f"{who} saved the {occasion} scores {which} again, unchanged"
    return f"{who} changed {listed(parts)} in the {occasion} scores {which}"


def _identified(row: Row, columns: tuple[str, ...], names: AuditNames) -> str:
    """An imported row's name ("taf-dtt · 2026-01-12 · worker") in words."""
    parts = str(row.get("entity_id") or "").split(" · ")
    words = [
        instrument_name(part, names) if column == "instrument" else value_text(column, part, names)
        for column, part in zip(columns, parts, strict=False)
    ]
    return "(" + ", ".join(words) + ")"


def _score(row: Row, who: str, before, after, names: AuditNames) -> str:
    """A domain score an import replaced, named by its instrument, day, rater and area."""
    name = dict(zip(SCORE_NAME, str(row.get("entity_id")).split(" · "), strict=False))
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    area = area_name(name.get("instrument"), name.get("domain"), names)
    which = _identified(row, tuple(column for column in SCORE_NAME if column != "domain"), names)
    parts = []
    if "score" in after or "score" in before:
        parts.append(
            f"{area} from {value_text('score', before.get('score'), names)} "
            f"to {value_text('score', after.get('score'), names)}"
        )
    if "note" in after or "note" in before:
        parts.append(f"the note on {area}")
    return f"{who} changed {listed(parts or [area])} {which} by import"


def _goal(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    if row["action"] == "create":
        agreed = (
            f", agreed {day_text(after['set_on'])}" if another_day(row, after, "set_on") else ""
        )
        return f"{who} added the goal {quote_text(after.get('text', ''))}{agreed}"
    text = names.goals.get(str(row.get("entity_id")))
    goal = f"the goal {quote_text(text)}" if text else "a goal"
    if row["action"] == "update" and set(after) <= {"status", "status_on"}:
        status = value_text("status", after.get("status"), names)
        since = f" from {day_text(after['status_on'])}" if after.get("status_on") else ""
        return f"{who} marked {goal} as {status}{since}"
    if row["action"] == "import":
        goal = f"the goal {quote_text(row.get('entity_id'))}"
    return f"{who} changed {goal}{_by_import(row)}: {changes_text(before, after, names)}"


def _note(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    if row["action"] == "create":
        dated = (
            f" dated {day_text(after['written_on'])}"
            if another_day(row, after, "written_on")
            else ""
        )
        return f"{who} added a note{dated}: {quote_text(after.get('text', ''))}"
    return _imported(row, who, before, after, names)


def _imported(row: Row, who: str, before, after, names: AuditNames) -> str:
    """A row of any other file an import replaced ("the activity (12 Jan 2026, …)")."""
    kind = KINDS_BY_NOUN.get(str(row.get("entity")))
    if kind is None or row["action"] != "import":
        return _generic(row, who, before, after, names)
    name = _identified(row, tuple(c for c in kind.identity if c != FAMILY), names)
    return f"{who} changed the {kind.noun} {name} by import: {changes_text(before, after, names)}"


# Why a self-rating link was refused, as tracker.records.invitations audits it.
_INVITE_REFUSALS = {
    "used": "it had been used already",
    "expired": "it had run out",
    "revoked": "it had been cancelled",
    "too many tries from this link": "too many tries of it",
    "too many tries from this address": "too many tries from one address",
}


def _invitation(row: Row, who: str, before, after, names: AuditNames) -> str:
    """A self-rating link's steps; the family acts without an account, so is "the family"."""
    after = after if isinstance(after, dict) else {}
    action = row["action"]
    link = f"self-rating link {row.get('entity_id')}"
    tool = instrument_name(after.get("instrument"), names)
    if action == "invite_created":
        until = (
            f", lasting until {day_text(after['expires_at'])}" if after.get("expires_at") else ""
        )
        return f"{who} made a {link} for {tool}{until}"
    if action == "invite_opened":
        return f"The family opened {link}"
    if action == "invite_submitted":
        counts = f": {after.get('answered', 0)} areas answered, {after.get('skipped', 0)} skipped"
        return f"The family sent their own view ({tool}) by {link}{counts}"
    if action == "invite_revoked":
        return f"{who} cancelled {link} ({tool})"
    reason = str(after.get("reason") or "")
    if row.get("entity") == "client":
        return f"A self-rating link that does not exist was tried from {row.get('entity_id')}"
    if reason == "cannot be recorded":
        problems = after.get("problems") if isinstance(after.get("problems"), dict) else {}
        why = listed([str(text).rstrip(".") for text in problems.values()])
        return f"The family's answers by {link} could not be recorded" + (f": {why}" if why else "")
    return f"{link[0].upper()}{link[1:]} was refused: {_INVITE_REFUSALS.get(reason, reason)}"


def _user(row: Row, who: str, before, after, names: AuditNames) -> str:
    if str(row["action"]).startswith("invite_"):
        return _invitation(row, who, before, after, names)
    after = after if isinstance(after, dict) else {}
    action = row["action"]
    account = names.accounts.get(str(row.get("entity_id")), "an account")
    if action == "create":
        role = f" ({after['role']})" if after.get("role") else ""
        return f"{who} added the account {after.get('username', '')}{role}"
    if action == "sign_in":
        return f"{who} signed in" + (
            " with single sign-on" if after.get("method") == "oidc" else ""
        )
    if action == "sign_in_failed":
        if after.get("email"):
            return f"A sign-in with the unknown e-mail address {after['email']} failed"
        return _failed(row, who, after)
    if action == "lockout":
        until = value_text("locked_until", after.get("locked_until"), names)
        return f"{who}'s account was locked until {until} after too many failed sign-ins"
    if action == "sign_out":
        return _signed_out(who, str(after.get("reason") or ""))
    if after == {"password": "reset"}:
        return f"{who} reset the password of {account}"
    if set(after) == {"active"}:
        return f"{who} {'re-enabled' if after['active'] else 'disabled'} the account of {account}"
    return f"{who} changed the account of {account}: {changes_text(before, after, names)}"


def _failed(row: Row, who: str, after) -> str:
    person = "an unknown account" if row["actor"] == UNKNOWN_ACCOUNT else who
    reason = f" ({after['reason']})" if after.get("reason") else ""
    return f"A sign-in as {person} failed{reason}"


def _signed_out(who: str, reason: str) -> str:
    """The reason is what the person was told ("You were signed out after 30 minutes…")."""
    first = reason.split(". ")[0].rstrip(".")
    if first.startswith("You were signed out"):
        return f"{who} was signed out{first.removeprefix('You were signed out')}"
    if first in ("", "signed out", "You have signed out"):
        return f"{who} signed out"
    return f"{who} was signed out ({first})"


def _cost(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    amount = after.get("amount")
    money = f"£{amount:,.2f}".removesuffix(".00") if isinstance(amount, int | float) else "blank"
    return f"{who} set the programme cost for {row.get('entity_id')} to {money}"


def _target(row: Row, who: str, before, after, names: AuditNames) -> str:
    measure, _, scope = str(row.get("entity_id")).partition(" ")
    spec = MEASURES_BY_KEY.get(measure)
    which = f"“{spec.label if spec else measure}” ({scope})" if scope else f"“{measure}”"
    if row["action"] == "delete":
        return f"{who} removed the target for {which}"
    target = (after or {}).get("target") if isinstance(after, dict) else None
    return f"{who} set the target for {which} to {value_text('target', target, names)}"


def _story(row: Row, who: str, before, after, names: AuditNames) -> str:
    rest, _, key = str(row.get("entity_id")).rpartition(" ")
    field = STORY_FIELDS.get(key, key.replace("_", " "))
    verb = "rewrote" if row["action"] == "update" else "wrote"
    return f"{who} {verb} “{field}” for {rest}: {quote_text(after or '')}"


def _download(row: Row, who: str, before, after, names: AuditNames) -> str:
    return f"{who} downloaded {'a ' if row['action'] == 'backup' else ''}{row.get('entity_id')}"


def _database(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    forced = ", overriding the safety check" if after.get("forced") else ""
    return f"{who} restored the database from {row.get('entity_id')}{forced}"


def _import(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    counts = after.get("counts") or {}
    added = sum(kind.get("new", 0) for kind in counts.values() if isinstance(kind, dict))
    replaced = sum(kind.get("replaced", 0) for kind in counts.values() if isinstance(kind, dict))
    how = " with Replace" if after.get("replace") else ""
    return (
        f"{who} imported {row.get('entity_id')}{how}: {added:,} rows added, {replaced:,} replaced"
    )


def _generic(row: Row, who: str, before, after, names: AuditNames) -> str:
    verb = VERBS.get(row["action"], str(row["action"]).replace("_", " "))
    thing = " ".join(str(part) for part in (row.get("entity"), row.get("entity_id")) if part)
    changes = changes_text(before, after, names)
    return f"{who} {verb} {thing}" + (f": {changes}" if changes else "")


def _closure_audit(row: Row, who: str, before, after, names: AuditNames) -> str:
    """A closure audit falling due as a case closes, and its completion with the scores."""
    after = after if isinstance(after, dict) else {}
    closure = f"the case closed on {day_text(after['closed_on'])}"
    if row["action"] == "closure_audit_created":
        reason = value_text("closure_reason", after.get("closure_reason"), names)
        return f"A closure audit fell due for {closure} ({reason})"
    scores = listed(
        [
            f"{heading.lower()} {AUDIT_SCALE[after[f'{key}_score']].lower()}"
            for key, heading in CLOSURE_AUDIT_HEADINGS.items()
            if after.get(f"{key}_score") in AUDIT_SCALE
        ],
        most=len(CLOSURE_AUDIT_HEADINGS),
    )
    return f"{who} completed the closure audit of {closure}" + (f": {scores}" if scores else "")


def _sample(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    size = after.get("size")
    cases = f"{size:,} case{'' if size == 1 else 's'}" if isinstance(size, int) else "cases"
    period = f" closed {day_text(after['period_start'])} to {day_text(after['period_end'])}"
    seed = f" (seed {after['seed']})" if after.get("seed") is not None else ""
    return f"{who} drew a sample of {cases}{period}{seed}"


def _case_file(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    grades = listed(
        [
            f"{label.split(',')[0].lower()} {GRADES[after[f'{key}_grade']].lower()}"
            for key, label in CASE_FILE_QUALITIES.items()
            if after.get(f"{key}_grade") in GRADES
        ],
        most=len(CASE_FILE_QUALITIES),
    )
    return f"{who} graded a sampled case file" + (f": {grades}" if grades else "")


def _stakeholder_feedback(row: Row, who: str, before, after, names: AuditNames) -> str:
    after = after if isinstance(after, dict) else {}
    role = STAKEHOLDER_ROLES.get(after.get("role"), "a member of the team").lower()
    period = f" for {day_text(after['period_start'])} to {day_text(after['period_end'])}"
    return f"{who} added feedback from a {role}{period}"


# Actions with a sentence of their own, whatever entity they are written against; a
# pathway change reads as any change to a family does.
_ACTION_SENTENCES: dict[str, Callable[..., str]] = {
    "closure_audit_created": _closure_audit,
    "closure_audit_completed": _closure_audit,
    "sample_drawn": _sample,
    "case_file_rated": _case_file,
    "stakeholder_feedback_added": _stakeholder_feedback,
}

_SENTENCES: dict[str, Callable[..., str]] = {
    "family": _family,
    "assessment": _assessment,
    "domain score": _score,
    "goal": _goal,
    "note": _note,
    "user": _user,
    "client": _user,
    "cost": _cost,
    "target": _target,
    "story": _story,
    "download": _download,
    "database": _database,
    "import": _import,
    "invitation": _invitation,
}


def who(actor: str, names: AuditNames) -> str:
    """The person behind an audit row's actor: their display name where known."""
    if actor in names.people:
        return names.people[actor]
    if actor.startswith("cli:"):
        return f"{actor.removeprefix('cli:')} (command line)"
    if actor == UNKNOWN_ACCOUNT:
        return "Someone"
    return actor


def sentence(row: Row, names: AuditNames, *, dated: bool = True) -> str:
    """One audit row as a sentence, ending with the day it happened when ``dated``."""
    person = who(str(row.get("actor") or ""), names)
    before, after = loaded(row.get("before")), loaded(row.get("after"))
    write = _ACTION_SENTENCES.get(str(row.get("action"))) or _SENTENCES.get(
        str(row.get("entity")), _imported
    )
    try:
        text = write(row, person, before, after, names)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        text = _generic(row, person, before, after, names)
    family = names.families.get(row.get("family_id"))
    if family and family not in text:
        text += f" for family {family}"
    if dated and row.get("at") is not None:
        text += f" on {pd.Timestamp(row['at']):%d %b %Y}"
    return text + "."


def history_table(frame: pd.DataFrame, names: AuditNames) -> pd.DataFrame:
    """Audit rows (as ``audit_frame`` gives them) as a time and a sentence each."""
    rows = frame.to_dict("records")
    return pd.DataFrame(
        {
            "When (UTC)": [f"{pd.Timestamp(row['at']):%d %b %Y %H:%M}" for row in rows],
            "What happened": [sentence(row, names, dated=False) for row in rows],
        }
    )
