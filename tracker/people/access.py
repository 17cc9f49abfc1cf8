"""Who may see and change what: one policy that every page and command asks.

Pages must never decide this themselves; hiding a page in navigation is not
authorisation. The ``Viewer`` comes from signing in (app.py): a local account or
the organisation's identity provider.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from tracker.store.models import Family

PRACTITIONER = "practitioner"
MANAGER = "manager"
COMMISSIONER = "commissioner"
ADMIN = "admin"

# Actions on one family need the family; the rest are about the whole service.
FAMILY_ACTIONS = frozenset(
    {"view_family", "edit_family", "close_family", "invite_family", "edit_pathway"}
)

# ``offline_form``: take a family's form out and import it back, for their own families only.
# ``invite_family``: send a family a link to rate on their own phone.
# ``edit_pathway``: record a family's referral pathway (panel dates, agencies, outcome).
_PRACTICE = {
    "view_caseload",
    "add_family",
    "view_family",
    "edit_family",
    "offline_form",
    "invite_family",
    "edit_pathway",
}
PERMISSIONS = {
    PRACTITIONER: _PRACTICE,
    MANAGER: _PRACTICE
    | {
        "close_family",
        "reassign_family",
        "view_cohort",
        "view_scatter",
        "view_staff",
        "view_report_card",
        "edit_report_card",
        "import_data",
        "export_data",
        "view_audit",
        # Closure audits, case-file samples and their grades, and the team's feedback.
        "quality_assurance",
        "view_efficiency",
    },
    # Commissioners see the service as figures only: no family, no names (of families or
    # of staff: key worker types, never key workers), no scatter.
    COMMISSIONER: {"view_cohort", "view_report_card"},
    # Admins manage accounts, not family data: no import (which can change scores), no
    # export or backup (which hold every family).
    ADMIN: {"manage_users", "view_instruments", "view_audit"},
}

# One refusal for a family that exists elsewhere and one that does not, so a reference
# typed into the address bar tells nobody whether that family exists.
FAMILY_REFUSAL = "That family is not on your caseload."


class AccessDenied(PermissionError):
    """The viewer may not do this; the message is safe to show them."""


@dataclass(frozen=True)
class Viewer:
    """The person using the app, as the policy sees them."""

    name: str
    role: str
    key_worker_id: int | None = None
    user_id: int | None = None
    username: str = ""

    @property
    def actor(self) -> str:
        """How the audit trail names them."""
        return self.username or self.name

    @property
    def sees_whole_service(self) -> bool:
        return self.role == MANAGER

    @property
    def without_caseload(self) -> bool:
        """A practitioner linked to no key worker: their caseload is nobody, not everyone
        unassigned, and they may do nothing until an administrator links them."""
        return self.role == PRACTITIONER and self.key_worker_id is None


def authorise_role(viewer: Viewer | None, action: str | None) -> None:
    """Raise ``AccessDenied`` unless someone is signed in and their role includes ``action``
    (any role, for None): the check a page makes before it knows of any family."""
    if viewer is None:
        raise AccessDenied("Please sign in first.")
    if action is None:
        return
    if action not in PERMISSIONS.get(viewer.role, set()):
        raise AccessDenied("Your role does not allow this.")
    if viewer.without_caseload:
        raise AccessDenied(
            "Your account is not linked to a key worker record yet; ask an administrator."
        )


def authorise(viewer: Viewer | None, action: str, *, family: Family | None = None) -> None:
    """Raise ``AccessDenied`` unless ``viewer`` may do ``action`` (to ``family``)."""
    authorise_role(viewer, action)
    if action in FAMILY_ACTIONS and (
        family is None
        or not (viewer.sees_whole_service or family.key_worker_id == viewer.key_worker_id)
    ):
        raise AccessDenied(FAMILY_REFUSAL)


def allowed(viewer: Viewer | None, action: str) -> bool:
    """Whether the policy lets the viewer do ``action`` at all: for deciding what to offer."""
    try:
        authorise_role(viewer, action)
    except AccessDenied:
        return False
    return True


def visible_families(viewer: Viewer):
    """A SQL condition selecting the families ``viewer`` may see."""
    if viewer.sees_whole_service:
        return sa.true()
    if viewer.without_caseload:
        return sa.false()
    return Family.key_worker_id == viewer.key_worker_id
