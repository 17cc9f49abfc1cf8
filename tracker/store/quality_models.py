"""The quality-assurance tables: closure audits, case-file samples and their grades, and the
key workers' and panel members' feedback (issue 22's records, beside the family's own in
``tracker.store.models``, which re-exports them)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.store.columns import one_of, score_between, utc_now
from tracker.store.vocabulary import (
    CASE_FILE_QUALITIES,
    CLOSURE_AUDIT_QUESTIONS,
    GRADES,
    STAKEHOLDER_ROLES,
)


class ClosureAudit(SQLModel, table=True):
    """Why a case closed with its plan not wholly achieved (tracker/records/closure_audits.py).

    Created as a manager's task when the case closes, one per closure, and completed
    later with a score of 1-4 and a comment per question in ``CLOSURE_AUDIT_QUESTIONS``.
    """

    __tablename__ = "closure_audit"
    __table_args__ = (
        sa.UniqueConstraint("family_id", "closed_on", name="uq_closure_audit_closure"),
        *(
            sa.CheckConstraint(score_between(f"{key}_score", 1, 4), name=f"{key}_score")
            for key in CLOSURE_AUDIT_QUESTIONS
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    closed_on: date
    created_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )
    completed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    completed_by: str | None = Field(default=None, max_length=120)
    reason_score: int | None = None
    reason_comment: str | None = Field(default=None, max_length=1000)
    plan_right_score: int | None = None
    plan_right_comment: str | None = Field(default=None, max_length=1000)
    engagement_score: int | None = None
    engagement_comment: str | None = Field(default=None, max_length=1000)
    multi_agency_score: int | None = None
    multi_agency_comment: str | None = Field(default=None, max_length=1000)
    differently_score: int | None = None
    differently_comment: str | None = Field(default=None, max_length=1000)
    # Bumped by every change, so a completion made from a stale page is refused.
    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})


SAMPLE_HOWS = ("proportion", "number")


class CaseSample(SQLModel, table=True):
    """A seeded random sample of the cases closed in a period, kept so it can be re-drawn."""

    __tablename__ = "case_sample"
    __table_args__ = (
        sa.CheckConstraint(one_of("how", SAMPLE_HOWS), name="how"),
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("period_end >= period_start", name="period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_start: date
    period_end: date
    how: str = Field(max_length=20)
    # A share (0.1 for 10%) or a number of cases, as ``how`` says.
    amount: float
    seed: int = Field(sa_type=sa.BigInteger)
    drawn_by: str = Field(max_length=120)
    drawn_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )
    note: str | None = Field(default=None, max_length=1000)


class CaseSampleMember(SQLModel, table=True):
    """One closed case drawn into a sample, with the stratum ("tier · area") it came from."""

    __tablename__ = "case_sample_member"
    __table_args__ = (
        sa.UniqueConstraint("sample_id", "family_id", name="uq_case_sample_member_family"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="case_sample.id", ondelete="CASCADE", index=True)
    family_id: int = Field(foreign_key="family.id", ondelete="CASCADE", index=True)
    stratum: str = Field(max_length=200)


class CaseFileAudit(SQLModel, table=True):
    """A sampled case file graded on each of ``CASE_FILE_QUALITIES``, with evidence notes."""

    __tablename__ = "case_file_audit"
    __table_args__ = tuple(
        sa.CheckConstraint(one_of(f"{key}_grade", GRADES), name=f"{key}_grade")
        for key in CASE_FILE_QUALITIES
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        foreign_key="case_sample_member.id",
        ondelete="CASCADE",
        sa_column_kwargs={"unique": True},
    )
    engagement_grade: str = Field(max_length=30)
    engagement_evidence: str | None = Field(default=None, max_length=2000)
    multi_agency_grade: str = Field(max_length=30)
    multi_agency_evidence: str | None = Field(default=None, max_length=2000)
    innovation_grade: str = Field(max_length=30)
    innovation_evidence: str | None = Field(default=None, max_length=2000)
    rated_by: str = Field(max_length=120)
    rated_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )
    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})


class StakeholderFeedback(SQLModel, table=True):
    """A key worker's or panel member's answers to the period's short questionnaire."""

    __tablename__ = "stakeholder_feedback"
    __table_args__ = (
        sa.CheckConstraint(one_of("role", STAKEHOLDER_ROLES), name="role"),
        sa.CheckConstraint("pathway_score BETWEEN 1 AND 4", name="pathway_score"),
        sa.CheckConstraint("multi_agency_score BETWEEN 1 AND 4", name="multi_agency_score"),
        sa.CheckConstraint("period_end >= period_start", name="period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_start: date
    period_end: date
    role: str = Field(max_length=20)
    # An optional name or initials: the questionnaire may be anonymous.
    respondent: str | None = Field(default=None, max_length=120)
    pathway_score: int
    multi_agency_score: int
    comment: str | None = Field(default=None, max_length=2000)
    entered_by: str = Field(max_length=120)
    entered_at: datetime = Field(
        default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False
    )
