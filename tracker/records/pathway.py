"""A family's referral pathway: the panel's dates, the multi-agency package, what became of
the referral and when the service first made contact.

The report card counts panel referrals, packages and inappropriate referrals, and times the
response from referral to first contact, from these fields. The importer checks families.csv
by the same rules (``tracker.files.importing.checks``).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from tracker.people.access import Viewer, authorise
from tracker.people.audit import record
from tracker.store.errors import RecordInvalid
from tracker.store.models import PATHWAY_FIELDS, Family, longest
from tracker.store.vocabulary import REFERRAL_OUTCOMES

DATES = ("panel_referral_on", "panel_decision_on", "first_contact_on")


def pathway_of(family: Family) -> dict:
    """The family's pathway fields as stored."""
    return {field: getattr(family, field) for field in PATHWAY_FIELDS}


def agency_list(text: str | None) -> list[str]:
    """The agencies typed one per line or separated by semicolons, trimmed."""
    parts = (text or "").replace("\n", ";").split(";")
    return [part.strip() for part in parts if part.strip()]


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def checked_pathway(family: Family, fields: dict, today: date) -> dict:
    """The pathway as it would be stored, or ``RecordInvalid`` naming each field wrong."""
    wanted = {**pathway_of(family), **fields}
    agencies = "; ".join(agency_list(wanted["agencies"])) or None
    signposted = _text(wanted["signposted_to"])
    outcome = wanted["referral_outcome"] or None
    referral, decision = wanted["panel_referral_on"], wanted["panel_decision_on"]
    contact = wanted["first_contact_on"]
    problems = {}
    for field in DATES:
        if wanted[field] is not None and wanted[field] > today:
            problems[field] = "The date cannot be in the future."
    if decision is not None and "panel_decision_on" not in problems:
        if referral is None:
            problems["panel_decision_on"] = "Give the date of the panel referral too."
        elif decision < referral:
            problems["panel_decision_on"] = (
                f"The panel decided before the family was referred to it ({referral:%d %b %Y})."
            )
    if (
        contact is not None
        and "first_contact_on" not in problems
        and contact < family.referral_date
    ):
        problems["first_contact_on"] = (
            f"First contact is before the referral on {family.referral_date:%d %b %Y}."
        )
    if outcome is not None and outcome not in REFERRAL_OUTCOMES:
        problems["referral_outcome"] = f"Choose one of: {', '.join(REFERRAL_OUTCOMES.values())}."
    if outcome == "inappropriate" and signposted is None:
        problems["signposted_to"] = "Say where the family was signposted instead."
    elif outcome != "inappropriate" and signposted is not None:
        problems["signposted_to"] = (
            "Only an inappropriate referral is signposted elsewhere; leave this blank."
        )
    elif signposted is not None and len(signposted) > (most := longest(Family.signposted_to)):
        problems["signposted_to"] = f"Keep this to {most} characters or fewer."
    package = wanted["multi_agency_package"]
    if agencies is not None and package is not True:
        problems["agencies"] = "List agencies only when the family has a multi-agency package."
    elif agencies is not None and len(agencies) > (most := longest(Family.agencies)):
        problems["agencies"] = f"Keep the agencies to {most} characters or fewer."
    if problems:
        raise RecordInvalid(problems)
    return {
        **wanted,
        "agencies": agencies,
        "signposted_to": signposted,
        "referral_outcome": outcome,
    }


def update_pathway(
    session: Session,
    viewer: Viewer,
    family_id: int,
    fields: dict,
    *,
    today: date,
    seen: dict | None = None,
) -> dict:
    """Change a family's pathway; what changed, before and after, is audited.

    ``seen`` is the pathway the page showed: if someone saved another since, this save is
    refused rather than silently undoing theirs. Returns the fields that changed.
    """
    unknown = set(fields) - set(PATHWAY_FIELDS)
    if unknown:
        raise ValueError(f"not pathway fields: {', '.join(sorted(unknown))}")
    family = session.get(Family, family_id)
    authorise(viewer, "edit_pathway", family=family)
    before = pathway_of(family)
    if seen is not None and any(before[field] != value for field, value in seen.items()):
        raise RecordInvalid(
            {
                "family": "Someone else changed this family's referral pathway since you "
                "opened the page. Check it, then save again if you still need to."
            }
        )
    wanted = checked_pathway(family, fields, today)
    changed = {field: wanted[field] for field in PATHWAY_FIELDS if wanted[field] != before[field]}
    if not changed:
        return {}
    for field, value in changed.items():
        setattr(family, field, value)
    session.add(family)
    record(
        session,
        actor=viewer.actor,
        action="pathway_updated",
        entity="family",
        entity_id=family.id,
        family_id=family.id,
        before={field: before[field] for field in changed},
        after=changed,
    )
    return changed
