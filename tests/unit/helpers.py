"""Small builders shared by the unit tests: CSV files, store snapshots and hand-worked
assessment frames."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd

from tracker.files.exporting import canonical_frames
from tracker.records.families import add_family, build_family
from tracker.store.db import write_session

FAMILY_HEADER = [
    "family_ref",
    "area",
    "tier_of_need",
    "key_worker",
    "referral_source",
    "referral_date",
]
SCORE_HEADER = ["family_ref", "instrument", "occasion", "assessed_on", "rater", "domain", "score"]


def frames(rows, as_timestamp: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assessments and scores frames from ``(id, family, occasion, "YYYY-MM-DD", rater,
    {domain: value})`` rows. A domain left out of the dict has no score row at all; days
    are dates, or pandas timestamps with ``as_timestamp``."""
    assessments, scores = [], []
    for assessment_id, family_id, occasion, day, rater, values in rows:
        on = pd.Timestamp(day) if as_timestamp else date.fromisoformat(day)
        assessments.append((assessment_id, family_id, occasion, on, rater))
        scores.extend((assessment_id, domain, value) for domain, value in values.items())
    return (
        pd.DataFrame(
            assessments,
            columns=["assessment_id", "family_id", "occasion", "assessed_on", "rater"],
        ),
        pd.DataFrame(scores, columns=["assessment_id", "domain", "value"]),
    )


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def families_file(folder: Path, rows: list[list] | None = None) -> Path:
    rows = (
        rows
        if rows is not None
        else [
            ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"],
            ["F2", "Riverside", "tier 3", "Bob Worker", "GP", "2025-01-10"],
        ]
    )
    return write_csv(folder / "families.csv", FAMILY_HEADER, rows)


def scores_file(folder: Path, rows: list[list] | None = None, name: str = "scores.csv") -> Path:
    rows = (
        rows
        if rows is not None
        else [
            ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],
            ["F1", "taf-dtt", "B", "2025-02-01", "worker", "general_health", "3"],
            ["F1", "taf-dtt", "R1", "2025-03-01", "worker", "housing", "2"],
            ["F1", "taf-dtt", "R1", "2025-03-01", "worker", "general_health", "NA"],
            ["F2", "family-outcomes-10", "baseline", "2025-02-03", "joint", "wellbeing", "3"],
        ]
    )
    return write_csv(folder / name, SCORE_HEADER, rows)


def snapshot(engine) -> dict[str, list]:
    """Everything stored, as plain rows, to compare before and after."""
    with engine.connect() as connection:
        return {
            name: frame.map(lambda value: None if pd.isna(value) else str(value)).values.tolist()
            for name, frame in canonical_frames(connection).items()
        }


def new_family(engine, ref: str = "F1", key_worker_id: int | None = None) -> int:
    """A family referred on 6 Jan 2025 (Northfield, tier 2, by a school), added as the
    Families page adds one; its id."""
    data = build_family(
        family_ref=ref,
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=date(2025, 1, 6),
    )
    with write_session(engine) as session:
        return add_family(session, actor="tester", data=data, key_worker_id=key_worker_id).id
