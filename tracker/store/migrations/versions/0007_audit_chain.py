"""audit chain: an append-only audit table, chained by hashes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:00:00

Each audit row gains the hash of the row before it and its own hash, filled in here for
the rows already stored so the chain starts whole. Then the database itself refuses
UPDATE and DELETE on the table (and TRUNCATE on PostgreSQL), so the app cannot rewrite
it even by mistake.

On SQLite a later ``batch_alter_table("audit_log")`` that rebuilds the table (changing a
column's type or nullability, dropping a column) drops these triggers with the old
table: such a migration must create them again afterwards (``create_triggers`` here).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from tracker.store.audit_chain import CONTENT, GENESIS, row_hash

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_log is append-only"
SQLITE_TRIGGERS = {
    "audit_log_no_update": "UPDATE",
    "audit_log_no_delete": "DELETE",
}
POSTGRES_FUNCTION = "audit_log_append_only"
HASH = sqlmodel.sql.sqltypes.AutoString(length=64)

# The table as this revision knows it: the model may change later, this must not.
audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("family_id", sa.Integer()),
    sa.column("before", sa.String()),
    sa.column("after", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, operation in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {operation} refused'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {POSTGRES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP; END; $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log "
        f"FOR EACH ROW EXECUTE FUNCTION {POSTGRES_FUNCTION}()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {POSTGRES_FUNCTION}()"
    )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_or_delete ON audit_log")
    op.execute(f"DROP FUNCTION IF EXISTS {POSTGRES_FUNCTION}()")


def _chain_stored_rows() -> None:
    """Hash the rows already stored, oldest first, so the chain starts whole."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(audit_log.c.id, *(audit_log.c[name] for name in CONTENT)).order_by(audit_log.c.id)
    ).all()
    previous, chained = GENESIS, []
    for row in rows:
        current = row_hash(previous, row._mapping)
        chained.append({"row_id": row.id, "prev": previous, "own": current})
        previous = current
    if chained:
        bind.execute(
            sa.update(audit_log)
            .where(audit_log.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("prev"), row_hash=sa.bindparam("own")),
            chained,
        )


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", HASH, nullable=True))
        batch_op.add_column(sa.Column("row_hash", HASH, nullable=True))
    _chain_stored_rows()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=HASH, nullable=False)
        batch_op.alter_column("row_hash", existing_type=HASH, nullable=False)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
