"""The database tables, as SQLModel classes.

Every table has a surrogate integer key; the natural keys the service uses
(``family_ref``, an assessment's family + instrument + date + rater) carry
unique constraints so imports can match on them. Controlled values are
checked by the database too, so a bad row cannot arrive by any route.

The quality-assurance tables live in ``quality_models``, the journeys kept on every write in
``journeys`` and the shared column helpers in ``columns``; all are imported here, so
importing this module registers every table.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.store.columns import longest as longest
from tracker.store.columns import one_of
from tracker.store.columns import utc_now as utc_now
from tracker.store.journeys import Journey as Journey
from tracker.store.quality_models import CaseFileAudit as CaseFileAudit
from tracker.store.quality_models import CaseSample as CaseSample
from tracker.store.quality_models import CaseSampleMember as CaseSampleMember
from tracker.store.quality_models import ClosureAudit as ClosureAudit
from tracker.store.quality_models import StakeholderFeedback as StakeholderFeedback
from tracker.store.vocabulary import (
    ACTIVITY_KINDS,
    CLOSURE_REASONS,
    GOAL_STATUSES,
    OCCASIONS,
    RATERS,
    REFERRAL_OUTCOMES,
    ROLES,
)


class KeyWorkerBase(SQLModel):
    name: str = Field(max_length=120, sa_column_kwargs={"unique": True}, nullable=False)
    background: str = Field(default="other", max_length=40)
    dedicated: bool = Field(default=True)


class KeyWorker(KeyWorkerBase, table=True):
    __tablename__ = "key_worker"

    id: int | None = Field(default=None, primary_key=True)


class FamilyBase(SQLModel):
    family_ref: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    # What the key worker calls the family ("Smith household", initials): shown to staff
    # beside the reference, never in published figures or the research extract.
    short_name: str | None = Field(default=None, max_length=40)
    area: str = Field(max_length=120)
    tier_of_need: str = Field(max_length=20)
    referral_source: str = Field(max_length=120)
    referral_date: date
    closed_on: date | None = None
    closure_reason: str | None = Field(default=None, max_length=40)
    closure_note: str | None = Field(default=None, max_length=1000)
    re_referred_on: date | None = None
    consent_to_share: bool | None = None
    consent_on: date | None = None
    age_group: str | None = Field(default=None, max_length=20)
    child_disability: bool | None = None
    presenting_issues: str | None = Field(default=None, max_length=500)


class Family(FamilyBase, table=True):
    __tablename__ = "family"
    __table_args__ = (
        sa.Index("ix_family_area_tier", "area", "tier_of_need"),
        sa.CheckConstraint(
            "closure_reason IS NULL OR " + one_of("closure_reason", CLOSURE_REASONS),
            name="closure_reason",
        ),
        # Added by migration 0010 without rebuilding the table (a trigger on SQLite).
        sa.CheckConstraint(
            "referral_outcome IS NULL OR " + one_of("referral_outcome", REFERRAL_OUTCOMES),
            name="referral_outcome",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key_worker_id: int | None = Field(default=None, foreign_key="key_worker.id", index=True)
    # The referral pathway (migration 0010): all optional, as older records have none.
    panel_referral_on: date | None = None
    panel_decision_on: date | None = None
    multi_agency_package: bool | None = None
    # The agencies in the package, "; "-separated.
    agencies: str | None = Field(default=None, max_length=300)
    referral_outcome: str | None = Field(default=None, max_length=20)
    # Where an inappropriate referral was signposted instead.
    signposted_to: str | None = Field(default=None, max_length=120)
    first_contact_on: date | None = None


# The referral pathway's fields, in order: the form, families.csv and the checks read them.
PATHWAY_FIELDS = (
    "panel_referral_on",
    "panel_decision_on",
    "multi_agency_package",
    "agencies",
    "referral_outcome",
    "signposted_to",
    "first_contact_on",
)


def family_label(family_ref: str, short_name: str | None = None) -> str:
    """How staff see a family wherever they pick or read about one: the reference, then
    the short name when the key worker gave one."""
    # A table read by pandas holds a missing short name as NaN, which is truthy.
    named = isinstance(short_name, str) and short_name
    return f"{family_ref} ({short_name})" if named else family_ref


class Assessment(SQLModel, table=True):
    """One scoring of one instrument for one family, by one rater, on one day."""

    __tablename__ = "assessment"
    __table_args__ = (
        sa.UniqueConstraint(
            "family_id", "instrument", "assessed_on", "rater", name="uq_assessment_identity"
        ),
        sa.CheckConstraint(one_of("occasion", OCCASIONS), name="occasion"),
        sa.CheckConstraint(one_of("rater", RATERS), name="rater"),
        sa.Index("ix_assessment_instrument_family", "instrument", "family_id", "assessed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE")
    instrument: str = Field(max_length=64)
    instrument_version: int = 1
    occasion: str = Field(max_length=20)
    assessed_on: date
    rater: str = Field(max_length=10)
    entered_by: str | None = Field(default=None, max_length=120)
    entered_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )
    # Optimistic locking: every write bumps it, and a save that names a stale
    # version is refused instead of silently overwriting someone else's work.
    version: int = Field(default=1, nullable=False)
    # Sent by the family from their own phone through an invitation link.
    self_completed: bool = Field(
        default=False, nullable=False, sa_column_kwargs={"server_default": "0"}
    )


class Invitation(SQLModel, table=True):
    """A link a family uses once to rate on their own phone (tracker/records/invitations.py).

    Only the sha256 of the link's token is kept, never the token. ``draft`` holds a
    half-done rating as JSON until it is sent, cancelled or runs out.
    """

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    instrument: str = Field(max_length=64)
    # What the family reads at the top ("Hello Smith household"): never the reference.
    greeting: str = Field(max_length=40)
    created_by: str = Field(max_length=120)
    created_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    opened_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    submitted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    assessment_id: int | None = Field(
        default=None, foreign_key="assessment.id", ondelete="SET NULL"
    )
    draft: str | None = Field(default=None, max_length=4096)


INVITATION_OUTCOMES = ("ok", "refused", "limited")


class InvitationTry(SQLModel, table=True):
    """One use of an invitation link, kept for the length of the rate limits' window.

    The limits live in the database so every app server shares them; old rows are pruned.
    """

    __tablename__ = "invitation_try"
    __table_args__ = (
        sa.CheckConstraint(one_of("outcome", INVITATION_OUTCOMES), name="outcome"),
        sa.Index("ix_invitation_try_client_at", "client", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False, index=True)
    client: str = Field(max_length=120)
    invitation_id: int | None = Field(
        default=None, foreign_key="invitation.id", ondelete="CASCADE", index=True
    )
    outcome: str = Field(max_length=10)


class Score(SQLModel, table=True):
    """A domain score; a null value means "not scored / not applicable"."""

    __tablename__ = "score"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "domain", name="uq_score_domain"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", ondelete="CASCADE")
    domain: str = Field(max_length=64)
    value: float | None = None
    note: str | None = Field(default=None, max_length=2000)


class PlanGoal(SQLModel, table=True):
    __tablename__ = "plan_goal"
    __table_args__ = (sa.CheckConstraint(one_of("status", GOAL_STATUSES), name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    text: str = Field(max_length=500)
    domain: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=20)
    set_on: date
    status_on: date | None = None
    # Bumped by every change, so a change made from a stale page is refused.
    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})


class ServiceActivity(SQLModel, table=True):
    __tablename__ = "service_activity"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ACTIVITY_KINDS), name="kind"),
        sa.CheckConstraint("hours >= 0", name="hours"),
    )

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    activity_on: date
    hours: float
    kind: str = Field(max_length=20)


class ReferralOn(SQLModel, table=True):
    """A referral from the service on to a specialist service."""

    __tablename__ = "referral_on"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    service: str = Field(max_length=120)
    referred_on: date


class Feedback(SQLModel, table=True):
    __tablename__ = "feedback"
    __table_args__ = (sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction"),)

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    given_on: date
    satisfaction: int
    comment: str | None = Field(default=None, max_length=2000)


class FamilyNote(SQLModel, table=True):
    """A dated case note on the family's timeline."""

    __tablename__ = "family_note"

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    written_on: date
    author: str | None = Field(default=None, max_length=120)
    text: str = Field(max_length=4000)
    created_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )


class ProgrammeCost(SQLModel, table=True):
    """What the programme cost in a period, for the whole service or one part of it."""

    __tablename__ = "programme_cost"
    __table_args__ = (
        sa.UniqueConstraint(
            "period_start",
            "period_end",
            "scope_kind",
            "scope_value",
            name="uq_programme_cost_period_scope",
        ),
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("period_end >= period_start", name="period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_start: date
    period_end: date
    scope_kind: str = Field(default="service", max_length=20)
    scope_value: str = Field(default="", max_length=120)
    amount: float
    note: str | None = Field(default=None, max_length=500)


class MeasureTarget(SQLModel, table=True):
    """A target for one report-card measure and scope."""

    __tablename__ = "measure_target"
    __table_args__ = (
        sa.UniqueConstraint("measure", "scope_kind", "scope_value", name="uq_measure_target_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    measure: str = Field(max_length=60)
    scope_kind: str = Field(default="service", max_length=20)
    scope_value: str = Field(default="", max_length=120)
    target: float


class ReportStory(SQLModel, table=True):
    """One "story behind the curve" text of a period's report card."""

    __tablename__ = "report_story"
    __table_args__ = (
        sa.UniqueConstraint(
            "period_start",
            "period_end",
            "scope_kind",
            "scope_value",
            "field",
            name="uq_report_story_field",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_start: date
    period_end: date
    scope_kind: str = Field(default="service", max_length=20)
    scope_value: str = Field(default="", max_length=120)
    field: str = Field(max_length=40)
    text: str = Field(default="", max_length=8000)
    updated_by: str | None = Field(default=None, max_length=120)
    updated_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )


class AppUser(SQLModel, table=True):
    """Someone who signs in. Practitioners are linked to their key worker record."""

    __tablename__ = "app_user"
    __table_args__ = (sa.CheckConstraint(one_of("role", ROLES), name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=120, sa_column_kwargs={"unique": True}, nullable=False)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=20)
    key_worker_id: int | None = Field(default=None, foreign_key="key_worker.id")
    email: str | None = Field(default=None, max_length=254, index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=True)
    is_demo: bool = Field(default=False)
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )


class AuditLog(SQLModel, table=True):
    """Append-only record of who did what, written in the same transaction as the change.

    The database refuses UPDATE and DELETE on it (triggers, migration 0007), and each row
    is chained to the one before by its hash.
    """

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False, index=True
    )
    actor: str = Field(max_length=120)
    action: str = Field(max_length=30)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=120)
    family_id: int | None = Field(default=None, index=True)
    before: str | None = None
    after: str | None = None
    # The hash chain (tracker/store/audit_chain.py): the row before's hash, and this row's.
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)
