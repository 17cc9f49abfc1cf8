"""The caseload: each family's next review date and status, most urgent first."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.unit.helpers import families_file, scores_file
from tracker.files.importing import import_files
from tracker.measures.caseload import (
    NO_KEY_WORKER,
    STATUS_BASELINE_NEEDED,
    STATUS_CLOSED,
    STATUS_DUE_SOON,
    STATUS_ON_TRACK,
    STATUS_OVERDUE,
    caseload,
    overdue_by_worker,
    review_status,
)
from tracker.people.access import MANAGER, PRACTITIONER, Viewer
from tracker.store.db import write_session
from tracker.store.models import Family


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


def test_the_family_own_rating_counts_as_a_review_on_the_caseload(engine, tmp_path):
    # Baseline 1 Feb (worker); the family's own rating on 1 Mar is the first review done,
    # so the second is due 1 + 3 = 4 months after the baseline: 1 June, not 1 March.
    rows = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],
        ["F1", "taf-dtt", "R1", "2025-03-01", "family", "housing", "3"],
    ]
    report = import_files(
        engine,
        [families_file(tmp_path), scores_file(tmp_path, rows)],
        today=date(2025, 6, 1),
    )
    assert report.ok, report.problems
    with engine.connect() as connection:
        frame = caseload(connection, Viewer("M", MANAGER), today=date(2025, 4, 1))
    assert frame.set_index("family_ref").loc["F1", "next_review_due"] == date(2025, 6, 1)


def test_each_row_names_the_key_worker_and_the_short_name(engine, tmp_path):
    families = [
        ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"],
        ["F2", "Riverside", "tier 3", "Ann Worker", "GP", "2025-01-10"],
    ]
    report = import_files(engine, [families_file(tmp_path, families)], today=date(2025, 6, 1))
    assert report.ok, report.problems
    with write_session(engine) as session:
        session.execute(
            sa.update(Family).where(Family.family_ref == "F1").values(short_name="Smith household")
        )
        session.execute(
            sa.update(Family).where(Family.family_ref == "F2").values(key_worker_id=None)
        )
    with engine.connect() as connection:
        frame = caseload(connection, Viewer("M", MANAGER), today=date(2025, 6, 1))
    rows = frame.set_index("family_ref")
    assert rows.loc["F1", "key_worker"] == "Ann Worker"
    assert rows.loc["F2", "key_worker"] == NO_KEY_WORKER
    assert rows.loc["F1", "short_name"] == "Smith household"
    assert rows.loc["F2", "short_name"] is None


def _caseload_rows(*rows) -> pd.DataFrame:
    """A caseload as ``caseload`` returns it, cut to what the overdue view reads."""
    return pd.DataFrame(rows, columns=["family_ref", "key_worker", "status", "next_review_due"])


def test_overdue_reviews_are_grouped_by_worker_most_overdue_first():
    today = date(2025, 6, 1)
    frame = _caseload_rows(
        ["F1", "Ann Worker", STATUS_OVERDUE, date(2025, 5, 20)],  # 12 days
        ["F2", "Ann Worker", STATUS_OVERDUE, date(2025, 3, 1)],  # 92 days
        ["F3", "Ann Worker", STATUS_ON_TRACK, date(2025, 8, 1)],
        ["F4", "Bob Worker", STATUS_OVERDUE, date(2025, 5, 31)],  # 1 day
        ["F5", "Cat Worker", STATUS_DUE_SOON, date(2025, 6, 5)],
        ["F6", NO_KEY_WORKER, STATUS_OVERDUE, date(2025, 1, 1)],  # 151 days
        ["F7", "Dan Worker", STATUS_BASELINE_NEEDED, None],
    )
    table = overdue_by_worker(frame, today=today)
    # Ann has the most overdue; then one each, the longest wait first. Cat and Dan have none.
    assert table.to_dict("records") == [
        {
            "key_worker": "Ann Worker",
            "overdue": 2,
            "longest_days_overdue": 92,
            "family_refs": ["F2", "F1"],
        },
        {
            "key_worker": NO_KEY_WORKER,
            "overdue": 1,
            "longest_days_overdue": 151,
            "family_refs": ["F6"],
        },
        {
            "key_worker": "Bob Worker",
            "overdue": 1,
            "longest_days_overdue": 1,
            "family_refs": ["F4"],
        },
    ]


def test_no_overdue_reviews_make_an_empty_view():
    frame = _caseload_rows(["F1", "Ann Worker", STATUS_ON_TRACK, date(2025, 8, 1)])
    table = overdue_by_worker(frame, today=date(2025, 6, 1))
    assert table.empty
    assert list(table.columns) == ["key_worker", "overdue", "longest_days_overdue", "family_refs"]
