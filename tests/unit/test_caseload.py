"""Review due dates and the caseload: one month after the baseline, then quarterly."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.helpers import families_file, scores_file
from tracker.files.importing import import_files
from tracker.measures.caseload import (
    STATUS_BASELINE_NEEDED,
    STATUS_CLOSED,
    STATUS_DUE_SOON,
    STATUS_ON_TRACK,
    STATUS_OVERDUE,
    caseload,
    review_due,
    review_status,
)
from tracker.people.access import MANAGER, PRACTITIONER, Viewer


@pytest.mark.parametrize(
    ("baseline", "reviews", "due"),
    [
        (date(2025, 1, 15), 0, date(2025, 2, 15)),
        (date(2025, 1, 15), 1, date(2025, 5, 15)),
        (date(2025, 1, 15), 2, date(2025, 8, 15)),
        # Month ends clamp: 31 January plus one month is the last day of February.
        (date(2025, 1, 31), 0, date(2025, 2, 28)),
        (date(2024, 11, 30), 1, date(2025, 3, 30)),
    ],
)
def test_review_schedule(baseline, reviews, due):
    assert review_due(baseline, reviews) == due


@pytest.mark.parametrize(
    ("due", "closed", "status"),
    [
        (date(2025, 5, 31), False, STATUS_OVERDUE),
        (date(2025, 6, 1), False, STATUS_DUE_SOON),
        (date(2025, 6, 15), False, STATUS_DUE_SOON),
        (date(2025, 6, 16), False, STATUS_ON_TRACK),
        (None, False, STATUS_BASELINE_NEEDED),
        (date(2025, 5, 1), True, STATUS_CLOSED),
    ],
)
def test_review_status_relative_to_today(due, closed, status):
    assert review_status(due, closed=closed, today=date(2025, 6, 1)) == status


def test_caseload_rows_for_a_worker(engine, tmp_path):
    rows = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],
        ["F1", "taf-dtt", "R1", "2025-03-01", "worker", "housing", "3"],
        ["F1", "family-outcomes-10", "B", "2025-04-10", "worker", "wellbeing", "3"],
        ["F2", "taf-dtt", "B", "2025-05-20", "joint", "housing", "2"],
    ]
    families = [
        ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"],
        ["F2", "Riverside", "tier 3", "Ann Worker", "GP", "2025-01-10"],
        ["F3", "Riverside", "tier 3", "Ann Worker", "GP", "2025-05-10"],
        ["F4", "Riverside", "tier 3", "Bob Worker", "GP", "2025-05-10"],
    ]
    report = import_files(
        engine,
        [families_file(tmp_path, families), scores_file(tmp_path, rows)],
        today=date(2025, 6, 1),
    )
    assert report.ok, report.problems
    with engine.connect() as connection:
        ann = Viewer("Ann Worker", PRACTITIONER, key_worker_id=1)
        frame = caseload(connection, ann, today=date(2025, 6, 1)).set_index("family_ref")
        everyone = caseload(connection, Viewer("M", MANAGER), today=date(2025, 6, 1))
    assert sorted(frame.index) == ["F1", "F2", "F3"]
    assert len(everyone) == 4
    # F1: taf review 1 done, so review 2 is due 1 June (2025-02-01 + 4 months); the star's
    # first review is due 10 May. The earlier of the two is overdue.
    assert frame.loc["F1", "next_review_due"] == date(2025, 5, 10)
    assert frame.loc["F1", "status"] == STATUS_OVERDUE
    assert frame.loc["F1", "instruments"] == "family-outcomes-10, taf-dtt"
    assert frame.loc["F1", "last_assessed_on"] == date(2025, 4, 10)
    assert frame.loc["F2", "next_review_due"] == date(2025, 6, 20)
    assert frame.loc["F2", "status"] == STATUS_ON_TRACK
    assert frame.loc["F3", "status"] == STATUS_BASELINE_NEEDED
    # Most urgent first.
    assert list(frame.index) == ["F1", "F3", "F2"]
