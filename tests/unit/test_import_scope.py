"""A key worker's import touches their own families' scores and nothing else: another
worker's family, a family that does not exist and any other kind of file are refused alike,
before anything is compared, so the refusal says nothing about anyone else's family."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.unit.helpers import SCORE_HEADER, families_file, scores_file, snapshot, write_csv
from tracker.files.importing import import_files, import_read, read_files
from tracker.people.access import (
    COMMISSIONER,
    FAMILY_REFUSAL,
    MANAGER,
    PRACTITIONER,
    AccessDenied,
    Viewer,
)
from tracker.people.audit import verify_chain
from tracker.store.models import AuditLog, KeyWorker

TODAY = date(2025, 6, 1)


@pytest.fixture
def loaded(engine, tmp_path):
    """F1 (Ann Worker's) and F2 (Bob Worker's), each with a baseline."""
    report = import_files(engine, [families_file(tmp_path), scores_file(tmp_path)], today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    return engine


def worker(engine, name: str) -> Viewer:
    with engine.connect() as connection:
        key_worker_id = connection.execute(
            sa.select(KeyWorker.id).where(KeyWorker.name == name)
        ).scalar_one()
    return Viewer(name=name, role=PRACTITIONER, key_worker_id=key_worker_id, username="ann")


def review(ref: str, day: str = "2025-04-01", instrument: str = "taf-dtt") -> list[str]:
    domain = "housing" if instrument == "taf-dtt" else "wellbeing"
    return [ref, instrument, "review", day, "worker", domain, "2"]


def bring_back(engine, tmp_path, rows, viewer, **options):
    folder = tmp_path / "back"
    folder.mkdir(exist_ok=True)
    path = write_csv(folder / "form.csv", SCORE_HEADER, rows)
    return import_read(engine, read_files([path], today=TODAY), viewer=viewer, **options)


def test_another_workers_family_and_an_unknown_one_are_refused_alike(loaded, tmp_path):
    before = snapshot(loaded)
    ann = worker(loaded, "Ann Worker")
    rows = [review("F1"), review("F2", instrument="family-outcomes-10"), review("F404")]
    report = bring_back(loaded, tmp_path, rows, ann)
    assert not report.ok
    assert [(p.line, p.column, p.message, p.value) for p in report.errors] == [
        (3, "family_ref", FAMILY_REFUSAL, "F2"),
        (4, "family_ref", FAMILY_REFUSAL, "F404"),
    ]
    assert not report.counts and not report.notices
    assert snapshot(loaded) == before


def test_nothing_but_scores_comes_in_from_a_key_worker(loaded, tmp_path):
    ann = worker(loaded, "Ann Worker")
    (tmp_path / "more").mkdir()
    families = families_file(tmp_path / "more")
    report = import_read(loaded, read_files([families], today=TODAY), viewer=ann, replace=True)
    assert [str(p) for p in report.errors] == [
        "families.csv:1: -: this is families.csv, which only a manager can import; "
        "bring back offline forms (scores) here"
    ]


def test_a_key_worker_brings_back_their_own_familys_form_with_an_audit(loaded, tmp_path):
    ann = worker(loaded, "Ann Worker")
    check = bring_back(loaded, tmp_path, [review("F1")], ann, dry_run=True)
    assert check.ok and check.counts["assessments"]["new"] == 1
    done = bring_back(loaded, tmp_path, [review("F1")], ann, actor="ann")
    assert done.ok and done.counts["scores"]["new"] == 1
    with loaded.connect() as connection:
        summary = connection.execute(
            sa.select(AuditLog.actor, AuditLog.after)
            .where(AuditLog.entity == "import")
            .order_by(AuditLog.id.desc())
        ).first()
        assert verify_chain(connection).whole
    assert summary.actor == "ann" and "own caseload" in summary.after


def test_a_manager_is_not_held_to_a_caseload(loaded, tmp_path):
    manager = Viewer(name="Manager", role=MANAGER, username="manny")
    report = bring_back(loaded, tmp_path, [review("F2", instrument="family-outcomes-10")], manager)
    assert report.ok, [str(p) for p in report.errors]


def test_a_commissioner_cannot_import_at_all(loaded, tmp_path):
    commissioner = Viewer(name="Commissioner", role=COMMISSIONER, username="connie")
    with pytest.raises(AccessDenied):
        bring_back(loaded, tmp_path, [review("F1")], commissioner)
