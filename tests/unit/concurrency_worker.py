"""One writer for the concurrency test, run as its own process (python -m ...).

A separate interpreter, rather than multiprocessing, so the worker never re-runs whatever
script the test process happens to call its main module (AppTest runs app.py as one).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from tracker.instruments.loader import get_instrument
from tracker.records.assessments import AssessmentDraft, VersionConflict, save_assessment
from tracker.store.db import make_engine, write_session

CONTENDERS = 3
TODAY = date(2025, 6, 1)


def draft(family_id: int, occasion: str, day: date, value: float) -> AssessmentDraft:
    taf = get_instrument("taf-dtt")
    return AssessmentDraft(
        family_id=family_id,
        instrument="taf-dtt",
        occasion=occasion,
        assessed_on=day,
        rater="worker",
        values=dict.fromkeys(taf.domain_keys, value),
    )


def main() -> None:
    job = json.loads(sys.argv[1])
    worker, shared_id, family_ids = job["worker"], job["shared_id"], job["family_ids"]
    taf = get_instrument("taf-dtt")
    engine = make_engine(job["url"])
    outcome = {"worker": worker, "shared": None, "own": None}
    go = Path(job["go"])
    while not go.exists():  # start together
        time.sleep(0.01)
    if worker < CONTENDERS:
        try:
            with write_session(engine) as session:
                save_assessment(
                    session,
                    draft(family_ids[0], "baseline", date(2025, 2, 1), 1.0 + worker),
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
            draft(family_ids[worker], "review", date(2025, 3, 1), 2.0),
            instrument=taf,
            entered_by=f"w{worker}",
            today=TODAY,
        )
    outcome["own"] = "saved"
    engine.dispose()
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
