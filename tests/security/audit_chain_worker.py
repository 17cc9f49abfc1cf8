"""One audit writer for the concurrency attack, run as its own process (python -m ...)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tracker.people.audit import record
from tracker.store.db import make_engine, write_session


def main() -> None:
    job = json.loads(sys.argv[1])
    engine = make_engine(job["url"])
    go = Path(job["go"])
    while not go.exists():  # start together
        time.sleep(0.01)
    for number in range(job["rows"]):
        with write_session(engine) as session:
            record(
                session,
                actor=f"writer{job['worker']}",
                action="update",
                entity="family",
                entity_id=number,
            )
    engine.dispose()


if __name__ == "__main__":
    main()
