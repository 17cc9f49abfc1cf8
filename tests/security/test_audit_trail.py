"""Attacks on the audit trail: rewriting it in SQL, forging rows, and racing writers.

The database itself refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit rows;
an owner who drops those triggers can still change the table, but the hash chain then
breaks and ``tracker audit verify`` names the first broken row. Each attack runs on
both stores.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tracker.cli import main
from tracker.files.backup import backup
from tracker.people.audit import record, verify_chain
from tracker.store.audit_chain import row_hash
from tracker.store.db import make_engine, write_session
from tracker.store.models import AuditLog

ROOT = Path(__file__).resolve().parents[2]
ROLES_SQL = ROOT / "deploy" / "postgres-roles.sql"
WRITERS, ROWS_EACH = 6, 15


def write_rows(engine, count: int = 5) -> list[int]:
    for number in range(count):
        with write_session(engine) as session:
            record(
                session,
                actor=f"user{number}",
                action="update",
                entity="family",
                entity_id=number,
                family_id=None,
                before={"area": "North"},
                after={"area": f"South {number}"},
            )
    with engine.connect() as connection:
        return connection.execute(sa.select(AuditLog.id).order_by(AuditLog.id)).scalars().all()


def drop_triggers(connection) -> None:
    """What an owner of the database could do before rewriting the trail."""
    if connection.dialect.name == "sqlite":
        names = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).scalars()
        for name in list(names):
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    else:
        connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")


def verify(capsys) -> tuple[int, str]:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
    ],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(engine, statement):
    ids = write_rows(engine, 3)
    with engine.connect() as connection:
        before = connection.execute(sa.select(AuditLog.id, AuditLog.actor)).all()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with engine.connect() as connection:
        assert connection.execute(sa.select(AuditLog.id, AuditLog.actor)).all() == before
    assert len(ids) == 3


@pytest.mark.postgres_only
def test_postgres_refuses_to_truncate_the_audit_table(engine):
    write_rows(engine, 2)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE audit_log")
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(AuditLog.id))).scalar_one() == 2


def test_a_whole_chain_verifies_with_its_count(engine, capsys):
    write_rows(engine, 4)
    code, output = verify(capsys)
    assert code == 0, output
    assert "4 rows" in output


def test_a_row_changed_by_an_owner_is_named(engine, capsys):
    ids = write_rows(engine)
    with engine.begin() as connection:
        drop_triggers(connection)
        connection.execute(
            sa.update(AuditLog).where(AuditLog.id == ids[2]).values(actor="someone else")
        )
    code, output = verify(capsys)
    assert code != 0
    assert f"row {ids[2]}" in output and "changed" in output
    # Once investigated, checking goes on from the broken row: the rows after it are whole.
    with engine.connect() as connection:
        broken_hash = connection.execute(
            sa.select(AuditLog.row_hash).where(AuditLog.id == ids[2])
        ).scalar_one()
    assert main(["audit", "verify", "--since", f"{ids[2]}:{broken_hash}"]) == 0
    assert "2 rows after row" in capsys.readouterr().out


def test_a_deleted_row_is_named_by_the_row_after_it(engine, capsys):
    ids = write_rows(engine)
    with engine.begin() as connection:
        drop_triggers(connection)
        connection.execute(sa.delete(AuditLog).where(AuditLog.id == ids[1]))
    code, output = verify(capsys)
    assert code != 0
    assert f"row {ids[2]}" in output and "missing" in output


def test_a_row_inserted_out_of_order_with_a_forged_hash_is_named(engine, capsys):
    ids = write_rows(engine)
    with engine.connect() as connection:
        hashes = dict(connection.execute(sa.select(AuditLog.id, AuditLog.row_hash)).all())
    # A row claiming to follow the second one, hashed exactly as the app would hash it.
    forged = {
        "at": datetime(2025, 1, 1, tzinfo=UTC),
        "actor": "manager",
        "action": "update",
        "entity": "family",
        "entity_id": "1",
        "family_id": None,
        "before": None,
        "after": json.dumps({"area": "Nowhere"}),
        "prev_hash": hashes[ids[1]],
    }
    forged["row_hash"] = row_hash(forged["prev_hash"], forged)
    with engine.begin() as connection:
        connection.execute(sa.insert(AuditLog), [forged])
        forged_id = connection.execute(sa.select(sa.func.max(AuditLog.id))).scalar_one()
    code, output = verify(capsys)
    assert code != 0
    assert f"row {forged_id}" in output


def test_a_rewritten_chain_is_caught_by_a_checkpoint(engine, capsys):
    """An owner who recomputes every hash after a change leaves a whole chain; the head an
    earlier scheduled check printed no longer matches."""
    ids = write_rows(engine, 3)
    code, output = verify(capsys)
    assert code == 0
    with engine.connect() as connection:
        head = connection.execute(
            sa.select(AuditLog.row_hash).where(AuditLog.id == ids[-1])
        ).scalar_one()
    assert head in output
    with engine.begin() as connection:
        drop_triggers(connection)
        connection.execute(sa.update(AuditLog).where(AuditLog.id == ids[0]).values(actor="x"))
        previous = None
        rows = connection.execute(sa.select(AuditLog).order_by(AuditLog.id)).all()
        for row in rows:
            values = dict(row._mapping)
            values["prev_hash"] = previous or values["prev_hash"]
            values["row_hash"] = row_hash(values["prev_hash"], values)
            connection.execute(
                sa.update(AuditLog)
                .where(AuditLog.id == values["id"])
                .values(prev_hash=values["prev_hash"], row_hash=values["row_hash"])
            )
            previous = values["row_hash"]
    assert verify(capsys)[0] == 0  # a keyless chain alone cannot tell
    code = main(["audit", "verify", "--expect", f"{ids[-1]}:{head}"])
    output = capsys.readouterr()
    assert code != 0
    assert f"row {ids[-1]}" in output.out + output.err


def test_concurrent_writers_leave_one_whole_chain(engine, database_url, tmp_path):
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.security.audit_chain_worker",
                json.dumps(
                    {"url": database_url, "worker": worker, "rows": ROWS_EACH, "go": str(go)}
                ),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WRITERS)
    ]
    go.touch()
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
    with engine.connect() as connection:
        check = verify_chain(connection)
    assert check.broken is None, check.broken
    assert check.rows == WRITERS * ROWS_EACH


@pytest.mark.postgres_only
def test_the_documented_app_role_cannot_change_the_trail_even_without_triggers(
    engine, database_url, tmp_path, request
):
    """deploy/postgres-roles.sql, run as docs/deploy.md says: the app works, the trail
    only grows, and the triggers are out of the app's reach."""
    write_rows(engine, 2)
    role = f"tracker_app_{secrets.token_hex(4)}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')

    def drop_role() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')

    request.addfinalizer(drop_role)
    owner_url = make_url(database_url).set(drivername="postgresql")
    subprocess.run(
        [
            "psql",
            owner_url.render_as_string(hide_password=False),
            "-v",
            f"app={role}",
            "-f",
            str(ROLES_SQL),
        ],
        check=True,
        capture_output=True,
    )
    app = make_engine(make_url(database_url).set(username=role).render_as_string(False))
    request.addfinalizer(app.dispose)
    write_rows(app, 2)  # the app adds to the trail as usual
    for statement in (
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DROP TRIGGER audit_log_no_update_or_delete ON audit_log",
    ):
        refused = pytest.raises(sa.exc.DBAPIError, match=r"permission denied|must be owner")
        with refused, app.begin() as connection:
            connection.exec_driver_sql(statement)
    with app.connect() as connection:
        assert verify_chain(connection).rows == 4
    assert backup(app, tmp_path / "by-the-app").stat().st_size > 0
