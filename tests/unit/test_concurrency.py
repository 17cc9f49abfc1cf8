"""Eight people saving at once, in separate processes, on both stores.

Three of them edit the same assessment from the same starting version: exactly one wins,
the others are told about the clash, and the stored scores are the winner's. Everyone also
saves a review for their own family, and none of those is lost. On SQLite, writers queue
through the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.unit.concurrency_worker import CONTENDERS, TODAY, draft
from tests.unit.helpers import FAMILY_HEADER, write_csv
from tracker.files.importing import import_files
from tracker.instruments.loader import get_instrument
from tracker.records.assessments import save_assessment
from tracker.store.db import write_session
from tracker.store.models import Assessment, Family, Score

WORKERS = 8
ROOT = Path(__file__).resolve().parents[2]


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
    saved = {}
    for family_id in family_ids:
        with write_session(engine) as session:
            saved[family_id] = save_assessment(
                session,
                draft(family_id, "baseline", date(2025, 2, 1), 3.0),
                instrument=taf,
                entered_by="setup",
                today=TODAY,
            )
    shared_id = saved[family_ids[0]]

    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.unit.concurrency_worker",
                json.dumps(
                    {
                        "url": database_url,
                        "worker": worker,
                        "shared_id": shared_id,
                        "family_ids": family_ids,
                        "go": str(go),
                    }
                ),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WORKERS)
    ]
    go.touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

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
