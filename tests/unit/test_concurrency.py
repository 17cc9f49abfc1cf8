"""Eight people saving at once, in separate processes, on both stores.

Three of them edit the same assessment from the same starting version: exactly one wins,
the others are told about the clash, and the stored scores are the winner's. Everyone also
saves a review for their own family, and none of those is lost. On SQLite, writers queue
through the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import multiprocessing
from datetime import date

import sqlalchemy as sa

from tests.unit.helpers import FAMILY_HEADER, write_csv
from tracker.assessments import AssessmentDraft, VersionConflict, save_assessment
from tracker.db import make_engine, write_session
from tracker.importing import import_files
from tracker.instrument import get_instrument
from tracker.models import Assessment, Family, Score

WORKERS = 8
CONTENDERS = 3
TODAY = date(2025, 6, 1)


def _draft(family_id: int, occasion: str, day: date, value: float) -> AssessmentDraft:
    taf = get_instrument("taf-dtt")
    return AssessmentDraft(
        family_id=family_id,
        instrument="taf-dtt",
        occasion=occasion,
        assessed_on=day,
        rater="worker",
        values=dict.fromkeys(taf.domain_keys, value),
    )


def _work(url: str, worker: int, shared_id: int, family_ids: list[int], barrier, results):
    taf = get_instrument("taf-dtt")
    engine = make_engine(url)
    outcome = {"worker": worker, "shared": None, "own": None, "error": None}
    try:
        barrier.wait(timeout=60)
        if worker < CONTENDERS:
            try:
                with write_session(engine) as session:
                    save_assessment(
                        session,
                        _draft(family_ids[0], "baseline", date(2025, 2, 1), 1.0 + worker),
                        instrument=taf,
                        entered_by=f"w{worker}",
                        today=TODAY,
                        assessment_id=shared_id,
                        expected_version=1,
                    )
                outcome["shared"] = "won"
            except VersionConflict as clash:
                outcome["shared"] = f"conflict:{clash.current.version}"
        with write_session(engine) as session:
            save_assessment(
                session,
                _draft(family_ids[worker], "review", date(2025, 3, 1), 2.0),
                instrument=taf,
                entered_by=f"w{worker}",
                today=TODAY,
            )
        outcome["own"] = "saved"
    except Exception as error:  # reported back to the test, which fails on it
        outcome["error"] = f"{type(error).__name__}: {error}"
    finally:
        engine.dispose()
        results.put(outcome)


def test_eight_writers_lose_nothing_and_clashes_are_reported(engine, database_url, tmp_path):
    families = write_csv(
        tmp_path / "families.csv",
        FAMILY_HEADER,
        [[f"F{n}", "North", "tier 2", "Ann", "GP", "2025-01-06"] for n in range(WORKERS)],
    )
    assert import_files(engine, [families], today=TODAY).ok
    with engine.connect() as connection:
        ids = dict(connection.execute(sa.select(Family.family_ref, Family.id)).all())
    family_ids = [ids[f"F{n}"] for n in range(WORKERS)]
    taf = get_instrument("taf-dtt")
    for family_id in family_ids:
        with write_session(engine) as session:
            saved = save_assessment(
                session,
                _draft(family_id, "baseline", date(2025, 2, 1), 3.0),
                instrument=taf,
                entered_by="setup",
                today=TODAY,
            )
            if family_id == family_ids[0]:
                shared_id = saved

    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [
        context.Process(
            target=_work, args=(database_url, worker, shared_id, family_ids, barrier, results)
        )
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)

    assert [o for o in outcomes if o["error"]] == []
    shared = sorted(o["shared"] for o in outcomes if o["worker"] < CONTENDERS)
    assert shared == ["conflict:2", "conflict:2", "won"]
    winner = next(o["worker"] for o in outcomes if o["shared"] == "won")
    with engine.connect() as connection:
        version = connection.execute(
            sa.select(Assessment.version).where(Assessment.id == shared_id)
        ).scalar_one()
        values = set(
            connection.execute(
                sa.select(Score.value).where(Score.assessment_id == shared_id)
            ).scalars()
        )
        reviews = connection.execute(
            sa.select(sa.func.count(Assessment.id)).where(Assessment.occasion == "review")
        ).scalar_one()
    assert version == 2
    assert values == {1.0 + winner}
    assert reviews == WORKERS
