"""goal version

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:40:00

A goal's status is changed by whoever opened the family's page; without a version the
last of two people to save silently overwrote the first, as assessments once did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("plan_goal", schema=None) as batch_op:
        batch_op.drop_column("version")
