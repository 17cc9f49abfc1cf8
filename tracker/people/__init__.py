"""People: who may do what, how they sign in, and the audit trail of what they did."""

from tracker.people.access import (
    ADMIN,
    COMMISSIONER,
    MANAGER,
    PRACTITIONER,
    AccessDenied,
    Viewer,
    allowed,
    authorise,
    visible_families,
)
from tracker.people.audit import audit_frame, record

__all__ = [
    "ADMIN",
    "COMMISSIONER",
    "MANAGER",
    "PRACTITIONER",
    "AccessDenied",
    "Viewer",
    "allowed",
    "audit_frame",
    "authorise",
    "record",
    "visible_families",
]
