"""journeys: each family's journeys, kept on every write

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:30:00

``journey`` holds, per family, instrument, rater view and journey, its baseline, first
review and latest assessment (tracker/store/journeys.py), so the cohort reads one row per
family. It is filled here from the assessments already stored; every later write keeps it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from tracker.store.journeys import rebuild_journeys

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _assessment_link(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["assessment.id"], name=op.f(f"fk_journey_{column}_assessment")
    )


def upgrade() -> None:
    op.create_table(
        "journey",
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("raters", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("journey", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("baseline_on", sa.Date(), nullable=False),
        sa.Column("first_review_id", sa.Integer(), nullable=True),
        sa.Column("first_review_on", sa.Date(), nullable=True),
        sa.Column("latest_id", sa.Integer(), nullable=True),
        sa.Column("latest_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_journey_family_id_family"),
            ondelete="CASCADE",
        ),
        _assessment_link("baseline_id"),
        _assessment_link("first_review_id"),
        _assessment_link("latest_id"),
        sa.PrimaryKeyConstraint(
            "family_id", "instrument", "raters", "journey", name=op.f("pk_journey")
        ),
    )
    with op.batch_alter_table("journey", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journey_instrument_raters_journey",
            ["instrument", "raters", "journey"],
            unique=False,
        )
    rebuild_journeys(op.get_bind())


def downgrade() -> None:
    op.drop_table("journey")
