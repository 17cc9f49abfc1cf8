"""Every change writes an audit row in its own transaction; a refused change writes none.

Rows are chained by their hashes from the first (migrated rows included), and read back
alike from either store.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.unit.helpers import SCORE_HEADER, families_file, write_csv
from tracker.cli import main
from tracker.files.importing import import_files
from tracker.instruments.loader import get_instrument
from tracker.measures.periods import financial_quarter
from tracker.measures.reportcard import Scope
from tracker.measures.reportcard.inputs import save_cost, save_story, save_target
from tracker.people.audit import audit_frame, record, verify_chain
from tracker.records.assessments import AssessmentDraft, save_assessment
from tracker.records.families import add_goal, add_note, close_family, family_by_ref, update_goal
from tracker.store import migrate
from tracker.store.audit_chain import GENESIS
from tracker.store.db import make_engine, read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AuditLog, PlanGoal

TAF = get_instrument("taf-dtt")
TODAY = date(2025, 6, 1)


def rows(engine) -> list[AuditLog]:
    with read_session(engine) as session:
        return session.execute(sa.select(AuditLog).order_by(AuditLog.id)).scalars().all()


@pytest.fixture
def family(engine, tmp_path):
    report = import_files(engine, [families_file(tmp_path)], today=TODAY, actor="importer")
    assert report.ok
    with read_session(engine) as session:
        return family_by_ref(session.connection(), "F1")


def test_an_import_is_recorded_once_and_a_dry_run_or_refusal_not_at_all(engine, tmp_path, family):
    imports = [row for row in rows(engine) if row.entity == "import"]
    assert len(imports) == 1 and imports[0].actor == "importer"
    assert json.loads(imports[0].after)["counts"]["families"]["new"] == 2
    bad = write_csv(
        tmp_path / "bad.csv",
        SCORE_HEADER,
        [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "9"]],
    )
    before = len(rows(engine))
    assert not import_files(engine, [bad], today=TODAY).ok
    good = write_csv(
        tmp_path / "good.csv",
        SCORE_HEADER,
        [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "3"]],
    )
    assert import_files(engine, [good], today=TODAY, dry_run=True).ok
    assert len(rows(engine)) == before


def test_assessments_record_before_and_after(engine, family):
    draft = AssessmentDraft(
        family_id=family.id,
        instrument="taf-dtt",
        occasion="baseline",
        assessed_on=date(2025, 2, 1),
        rater="worker",
        values=dict.fromkeys(TAF.domain_keys, 3.0),
    )
    with write_session(engine) as session:
        assessment_id = save_assessment(
            session, draft, instrument=TAF, entered_by="ann", today=TODAY
        )
    draft.values["housing"] = 1.0
    with write_session(engine) as session:
        save_assessment(
            session,
            draft,
            instrument=TAF,
            entered_by="bob",
            today=TODAY,
            assessment_id=assessment_id,
            expected_version=1,
        )
    bad = AssessmentDraft(**{**draft.__dict__, "assessed_on": date(2030, 1, 1)})
    with pytest.raises(RecordInvalid), write_session(engine) as session:
        save_assessment(session, bad, instrument=TAF, entered_by="eve", today=TODAY)
    changes = [row for row in rows(engine) if row.entity == "assessment"]
    assert [(row.actor, row.action) for row in changes] == [("ann", "create"), ("bob", "update")]
    assert json.loads(changes[1].before)["scores"]["housing"] == 3.0
    assert json.loads(changes[1].after)["scores"]["housing"] == 1.0
    assert {row.family_id for row in changes} == {family.id}


def test_goals_notes_closure_and_report_card_settings_are_recorded(engine, family):
    with write_session(engine) as session:
        goal = add_goal(
            session,
            actor="ann",
            family_id=family.id,
            text="Walk to school",
            domain=None,
            set_on=date(2025, 2, 1),
            today=TODAY,
        )
        add_note(
            session,
            actor="ann",
            family_id=family.id,
            written_on=TODAY,
            text="Visit",
            author="Ann",
            today=TODAY,
        )
    with write_session(engine) as session:
        update_goal(
            session,
            actor="ann",
            goal=session.get(PlanGoal, goal.id),
            status="wholly_achieved",
            status_on=TODAY,
            today=TODAY,
        )
    with pytest.raises(RecordInvalid), write_session(engine) as session:
        close_family(
            session,
            actor="eve",
            family_id=family.id,
            closed_on=TODAY,
            closure_reason="not_achieved",
            closure_note="",
            today=TODAY,
        )
    with write_session(engine) as session:
        close_family(
            session,
            actor="boss",
            family_id=family.id,
            closed_on=TODAY,
            closure_reason="wholly_achieved",
            closure_note="",
            today=TODAY,
        )
    quarter = financial_quarter(TODAY)
    with write_session(engine) as session:
        save_cost(session, actor="boss", period=quarter, scope=Scope(), amount=1000)
        save_target(session, actor="boss", measure="reliable_improvement", scope=Scope(), target=70)
        save_story(
            session, period=quarter, scope=Scope(), story={"working": "Visits"}, author="boss"
        )
    kinds = [(row.actor, row.action, row.entity) for row in rows(engine) if row.action != "import"]
    assert kinds == [
        ("ann", "create", "goal"),
        ("ann", "create", "note"),
        ("ann", "update", "goal"),
        ("boss", "update", "family"),
        ("boss", "create", "cost"),
        ("boss", "create", "target"),
        ("boss", "create", "story"),
    ]
    assert "eve" not in {row.actor for row in rows(engine)}


def test_exports_and_backups_from_the_command_line_are_recorded(engine, family, tmp_path):
    assert main(["export", "--format", "zip", "--out", str(tmp_path / "all.zip")]) == 0
    assert main(["backup", "--out", str(tmp_path / "copy.db")]) == 0
    actions = [(row.action, row.entity_id) for row in rows(engine)][-2:]
    assert actions == [("export", "full export (zip) to all.zip"), ("backup", "backup to copy.db")]
    assert all(row.actor.startswith("cli") for row in rows(engine)[-2:])


def test_rows_written_before_the_chain_are_chained_by_the_migration(database_url, capsys):
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0006")
    with engine.begin() as connection:
        for number in range(3):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_id, after) "
                    "VALUES (:at, :actor, 'update', 'family', '1', :after)"
                ),
                {
                    "at": datetime(2025, 3, number + 1, 9, 30, 0, 123456, tzinfo=UTC),
                    "actor": f"before-the-chain-{number}",
                    "after": json.dumps({"area": "North"}),
                },
            )
    migrate.upgrade(engine)
    with write_session(engine) as session:
        record(session, actor="after", action="update", entity="family", entity_id=1)
    with engine.connect() as connection:
        check = verify_chain(connection)
        first = connection.execute(sa.select(AuditLog.prev_hash).order_by(AuditLog.id)).first()
    assert check.whole and check.rows == 4
    assert first.prev_hash == GENESIS
    assert main(["audit", "verify"]) == 0
    assert "4 rows" in capsys.readouterr().out
    engine.dispose()


def test_an_empty_trail_is_whole(engine, capsys):
    assert main(["audit", "verify"]) == 0
    assert "empty" in capsys.readouterr().out


def test_times_read_back_in_utc_on_either_store(engine):
    with write_session(engine) as session:
        record(session, actor="ann", action="view", entity="family", entity_id="F1")
    with engine.connect() as connection:
        frame = audit_frame(connection)
        stored = connection.execute(sa.select(AuditLog.at)).scalar_one()
    moment = frame["at"].iloc[0]
    assert str(moment.tzinfo) == "UTC"
    naive_utc = stored if stored.tzinfo is None else stored.astimezone(UTC).replace(tzinfo=None)
    assert moment.tz_localize(None).to_pydatetime() == naive_utc
    assert abs(datetime.now(UTC) - moment.to_pydatetime()).total_seconds() < 60
