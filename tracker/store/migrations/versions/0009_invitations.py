"""invitations: self-rating links and self-completed assessments

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00

A key worker sends a family a link to rate on their own phone. ``invitation`` keeps the
sha256 of each link's token (never the token), ``invitation_try`` the recent uses of links
for the rate limits every app server shares, and an assessment the family sent that way
is marked ``self_completed``; those already stored were not.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(
            # A plain "0", not sa.false(): SQLite then adds the column in place instead of
            # rebuilding the table, and a rebuild would drop every score with the old table.
            sa.Column("self_completed", sa.Boolean(), nullable=False, server_default="0")
        )
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("greeting", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("opened_at", MOMENT, nullable=True),
        sa.Column("submitted_at", MOMENT, nullable=True),
        sa.Column("revoked_at", MOMENT, nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("draft", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_invitation_assessment_id_assessment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["family.id"],
            name=op.f("fk_invitation_family_id_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_family_id"), ["family_id"], unique=False)
    op.create_table(
        "invitation_try",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('ok', 'refused', 'limited')", name=op.f("ck_invitation_try_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_invitation_try_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_try")),
    )
    with op.batch_alter_table("invitation_try", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_try_at"), ["at"], unique=False)
        batch_op.create_index("ix_invitation_try_client_at", ["client", "at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitation_try_invitation_id"), ["invitation_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("invitation_try")
    op.drop_table("invitation")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("self_completed")
