"""quality assurance: closure audits, case-file samples, team feedback, referral pathway

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:30:00

A case closed with its plan not wholly achieved gets a ``closure_audit``; a manager draws
seeded samples of closed cases (``case_sample``, ``case_sample_member``) and grades each
case file (``case_file_audit``); key workers and panel members answer a questionnaire
(``stakeholder_feedback``); and a family gains its referral pathway, all optional.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)
QUESTIONS = ("reason", "plan_right", "engagement", "multi_agency", "differently")
QUALITIES = ("engagement", "multi_agency", "innovation")
GRADES = "'outstanding', 'good', 'requires_improvement', 'inadequate'"
REFERRAL_OUTCOMES = "'accepted', 'inappropriate'"
REFERRAL_OUTCOME_CHECK = f"referral_outcome IS NULL OR referral_outcome IN ({REFERRAL_OUTCOMES})"
# SQLite cannot add a CHECK to a table without rebuilding it, and rebuilding ``family``
# with foreign keys on would delete every row that cascades from it: triggers check there.
SQLITE_TRIGGERS = {
    "family_referral_outcome_insert": "INSERT",
    "family_referral_outcome_update": "UPDATE OF referral_outcome",
}


def _text(length: int):
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _add_family_columns() -> None:
    # Nullable columns with no default: SQLite adds them in place, without a rebuild.
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.add_column(sa.Column("panel_referral_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("panel_decision_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("multi_agency_package", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("agencies", _text(300), nullable=True))
        batch_op.add_column(sa.Column("referral_outcome", _text(20), nullable=True))
        batch_op.add_column(sa.Column("signposted_to", _text(120), nullable=True))
        batch_op.add_column(sa.Column("first_contact_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for name, operation in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON family "
                f"WHEN NEW.referral_outcome NOT IN ({REFERRAL_OUTCOMES}) "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: referral_outcome'); END"
            )
    else:
        op.create_check_constraint(
            op.f("ck_family_referral_outcome"), "family", REFERRAL_OUTCOME_CHECK
        )


def _create_closure_audit() -> None:
    answers = []
    for key in QUESTIONS:
        answers += [
            sa.Column(f"{key}_score", sa.Integer(), nullable=True),
            sa.Column(f"{key}_comment", _text(1000), nullable=True),
        ]
    op.create_table(
        "closure_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("completed_at", MOMENT, nullable=True),
        sa.Column("completed_by", _text(120), nullable=True),
        *answers,
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *(
            sa.CheckConstraint(
                f"{key}_score IS NULL OR {key}_score BETWEEN 1 AND 4",
                name=op.f(f"ck_closure_audit_{key}_score"),
            )
            for key in QUESTIONS
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_closure_audit_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_audit")),
        sa.UniqueConstraint("family_id", "closed_on", name="uq_closure_audit_closure"),
    )
    with op.batch_alter_table("closure_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closure_audit_family_id"), ["family_id"], unique=False)


def _create_samples() -> None:
    op.create_table(
        "case_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("how", _text(20), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("drawn_by", _text(120), nullable=False),
        sa.Column("drawn_at", MOMENT, nullable=False),
        sa.Column("note", _text(1000), nullable=True),
        sa.CheckConstraint("how IN ('proportion', 'number')", name=op.f("ck_case_sample_how")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_case_sample_amount")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_case_sample_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_sample")),
    )
    op.create_table(
        "case_sample_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("stratum", _text(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_case_sample_member_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["case_sample.id"],
            name=op.f("fk_case_sample_member_sample_id_case_sample"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_sample_member")),
        sa.UniqueConstraint("sample_id", "family_id", name="uq_case_sample_member_family"),
    )
    with op.batch_alter_table("case_sample_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_sample_member_family_id"), ["family_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_sample_member_sample_id"), ["sample_id"], unique=False
        )
    grades = []
    for key in QUALITIES:
        grades += [
            sa.Column(f"{key}_grade", _text(30), nullable=False),
            sa.Column(f"{key}_evidence", _text(2000), nullable=True),
        ]
    op.create_table(
        "case_file_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        *grades,
        sa.Column("rated_by", _text(120), nullable=False),
        sa.Column("rated_at", MOMENT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        *(
            sa.CheckConstraint(
                f"{key}_grade IN ({GRADES})", name=op.f(f"ck_case_file_audit_{key}_grade")
            )
            for key in QUALITIES
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["case_sample_member.id"],
            name=op.f("fk_case_file_audit_member_id_case_sample_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file_audit")),
        sa.UniqueConstraint("member_id", name=op.f("uq_case_file_audit_member_id")),
    )


def _create_stakeholder_feedback() -> None:
    op.create_table(
        "stakeholder_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("role", _text(20), nullable=False),
        sa.Column("respondent", _text(120), nullable=True),
        sa.Column("pathway_score", sa.Integer(), nullable=False),
        sa.Column("multi_agency_score", sa.Integer(), nullable=False),
        sa.Column("comment", _text(2000), nullable=True),
        sa.Column("entered_by", _text(120), nullable=False),
        sa.Column("entered_at", MOMENT, nullable=False),
        sa.CheckConstraint(
            "role IN ('key_worker', 'panel_member')", name=op.f("ck_stakeholder_feedback_role")
        ),
        sa.CheckConstraint(
            "pathway_score BETWEEN 1 AND 4", name=op.f("ck_stakeholder_feedback_pathway_score")
        ),
        sa.CheckConstraint(
            "multi_agency_score BETWEEN 1 AND 4",
            name=op.f("ck_stakeholder_feedback_multi_agency_score"),
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_stakeholder_feedback_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder_feedback")),
    )


def upgrade() -> None:
    _add_family_columns()
    _create_closure_audit()
    _create_samples()
    _create_stakeholder_feedback()


def downgrade() -> None:
    op.drop_table("stakeholder_feedback")
    op.drop_table("case_file_audit")
    op.drop_table("case_sample_member")
    op.drop_table("case_sample")
    op.drop_table("closure_audit")
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.drop_constraint(op.f("ck_family_referral_outcome"), "family", type_="check")
    with op.batch_alter_table("family", schema=None) as batch_op:
        for column in (
            "first_contact_on",
            "signposted_to",
            "referral_outcome",
            "agencies",
            "multi_agency_package",
            "panel_decision_on",
            "panel_referral_on",
        ):
            batch_op.drop_column(column)
