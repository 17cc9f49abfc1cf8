"""family short name

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:00:00

The name a key worker uses for a family ("Smith household", initials), shown to staff
beside the pseudonymous reference. It is optional, so existing families have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("short_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("family", schema=None) as batch_op:
        batch_op.drop_column("short_name")
