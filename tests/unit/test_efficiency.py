"""The efficiency figures, worked by hand on a small service on 15 June 2026.

Asha holds F1-F3 open: F1's baseline (1 May) makes its first review due 1 June, 14 days
overdue; F2's baseline (10 June) makes it due 10 July, on track; F3 has no baseline.
Ben holds F4 and F5 open: F4 had its baseline on 20 Feb and a review on 20 Mar, so review
two is due 20 June, in 5 days; F5's baseline on 10 Jan made its first review due 10 Feb,
125 days overdue. Closed: F6 (Ben, wholly achieved, 31 May 2026), F7 (Ben, partially
achieved, 2 June 2026), F8 (Asha, not achieved, 30 June 2025: before the 12 months),
F9 (Asha, stepped up, 1 July 2025: the first of them) and F10 (Ben, dropped out, 3 May 2026).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.unit.helpers import families_file, scores_file
from tracker.files.importing import import_files
from tracker.measures.caseload import caseload, overdue_by_worker
from tracker.measures.efficiency import (
    CLOSURE_GROUPS,
    MOVED_ON,
    NOT_WHOLLY_ACHIEVED,
    WHOLLY_ACHIEVED,
    closed_per_month,
    closures,
    open_cases_by_worker,
)
from tracker.people.access import MANAGER, PRACTITIONER, Viewer
from tracker.store.db import write_session
from tracker.store.models import Family, KeyWorker
from tracker.store.vocabulary import CLOSURE_REASONS

TODAY = date(2026, 6, 15)
ASHA, BEN = "Asha Khan", "Ben Green"
CLOSED = {
    "F6": (date(2026, 5, 31), "wholly_achieved"),
    "F7": (date(2026, 6, 2), "partially_achieved"),
    "F8": (date(2025, 6, 30), "not_achieved"),
    "F9": (date(2025, 7, 1), "stepped_up"),
    "F10": (date(2026, 5, 3), "dropped_out"),
}


@pytest.fixture
def service(engine, tmp_path):
    holders = {"F1": ASHA, "F2": ASHA, "F3": ASHA, "F4": BEN, "F5": BEN, "F6": BEN}
    holders |= {"F7": BEN, "F8": ASHA, "F9": ASHA, "F10": BEN}
    families = [
        [ref, "Northfield", "tier 2", worker, "School", "2025-01-02"]
        for ref, worker in holders.items()
    ]
    scores = [
        ["F1", "taf-dtt", "B", "2026-05-01", "worker", "housing", "3"],
        ["F2", "taf-dtt", "B", "2026-06-10", "joint", "housing", "3"],
        ["F4", "taf-dtt", "B", "2026-02-20", "worker", "housing", "3"],
        ["F4", "taf-dtt", "R1", "2026-03-20", "worker", "housing", "4"],
        ["F5", "taf-dtt", "B", "2026-01-10", "worker", "housing", "2"],
        ["F6", "taf-dtt", "B", "2026-01-05", "worker", "housing", "2"],
    ]
    report = import_files(
        engine, [families_file(tmp_path, families), scores_file(tmp_path, scores)], today=TODAY
    )
    assert report.ok, report.problems
    with write_session(engine) as session:
        for ref, (closed_on, reason) in CLOSED.items():
            session.execute(
                sa.update(Family)
                .where(Family.family_ref == ref)
                .values(closed_on=closed_on, closure_reason=reason, closure_note="Hand-made.")
            )
    with engine.connect() as connection:
        asha_id = connection.execute(
            sa.select(KeyWorker.id).where(KeyWorker.name == ASHA)
        ).scalar_one()
    return engine, Viewer(ASHA, PRACTITIONER, key_worker_id=asha_id)


def whole_caseload(engine, viewer: Viewer) -> pd.DataFrame:
    with engine.connect() as connection:
        return caseload(connection, viewer, today=TODAY, include_closed=True)


def test_every_closure_reason_is_in_exactly_one_group():
    grouped = [key for keys in CLOSURE_GROUPS.values() for key in keys]
    assert sorted(grouped) == sorted(CLOSURE_REASONS)
    assert CLOSURE_GROUPS[WHOLLY_ACHIEVED] == ("wholly_achieved",)
    assert set(CLOSURE_GROUPS[MOVED_ON]) == {"stepped_up", "moved_away"}


def test_open_cases_per_key_worker(service):
    engine, _ = service
    table = open_cases_by_worker(whole_caseload(engine, Viewer("M", MANAGER)))
    assert table.to_dict("records") == [
        {"key_worker": ASHA, "open_cases": 3, "baseline_needed": 1, "overdue": 1, "due_soon": 0},
        {"key_worker": BEN, "open_cases": 2, "baseline_needed": 0, "overdue": 1, "due_soon": 1},
    ]


def test_a_practitioner_counts_only_their_own(service):
    engine, asha = service
    table = open_cases_by_worker(whole_caseload(engine, asha))
    assert table["key_worker"].tolist() == [ASHA]
    assert table["open_cases"].tolist() == [3]


def test_reviews_overdue_per_worker_are_the_caseloads(service):
    engine, _ = service
    table = overdue_by_worker(whole_caseload(engine, Viewer("M", MANAGER)), today=TODAY)
    assert table[["key_worker", "overdue", "longest_days_overdue"]].values.tolist() == [
        [BEN, 1, 125],
        [ASHA, 1, 14],
    ]
    assert table["family_refs"].tolist() == [["F5"], ["F1"]]


def test_cases_closed_per_month_by_group(service):
    engine, _ = service
    with engine.connect() as connection:
        table = closed_per_month(closures(connection, Viewer("M", MANAGER)), today=TODAY)
    months = table.set_index(table["month"].dt.strftime("%Y-%m"))
    assert len(table) == 12
    assert months.index[0] == "2025-07" and months.index[-1] == "2026-06"
    assert months.loc["2025-07", [WHOLLY_ACHIEVED, NOT_WHOLLY_ACHIEVED, MOVED_ON]].tolist() == [
        0,
        0,
        1,
    ]
    assert months.loc["2026-05", [WHOLLY_ACHIEVED, NOT_WHOLLY_ACHIEVED, "total"]].tolist() == [
        1,
        1,
        2,
    ]
    assert months.loc["2026-06", NOT_WHOLLY_ACHIEVED] == 1
    # F8 closed in June 2025, a month before the twelve shown.
    assert table["total"].sum() == 4
    assert months.loc["2025-08":"2026-04", "total"].sum() == 0


def test_closures_follow_who_may_see_them(service):
    engine, asha = service
    with engine.connect() as connection:
        mine = closures(connection, asha)
        table = closed_per_month(mine, today=TODAY)
    assert len(mine) == 2  # F8 and F9
    assert table["total"].sum() == 1  # F9; F8 is too old


def test_no_closures_gives_twelve_empty_months():
    empty = pd.DataFrame(columns=["family_id", "closed_on", "closure_reason"])
    table = closed_per_month(empty, today=TODAY)
    assert len(table) == 12
    assert table[[*CLOSURE_GROUPS, "total"]].to_numpy().sum() == 0
