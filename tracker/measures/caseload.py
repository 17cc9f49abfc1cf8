"""A worker's caseload, with each family's next review date.

Reviews fall due on the service's one schedule (``tracker.measures.review_schedule``);
here every rater's assessment counts as a review, the family's own rating included,
since any of them means the review meeting took place.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.measures.review_schedule import next_reviews_due
from tracker.people.access import Viewer, visible_families
from tracker.store.models import Assessment, Family, KeyWorker, PlanGoal
from tracker.store.vocabulary import RATERS

DUE_SOON_DAYS = 14

STATUS_BASELINE_NEEDED = "Baseline needed"
STATUS_OVERDUE = "Overdue"
STATUS_DUE_SOON = "Due soon"
STATUS_ON_TRACK = "On track"
STATUS_CLOSED = "Closed"
# How the caseload names an open case nobody holds, where a key worker's name would be.
NO_KEY_WORKER = "No key worker"


def review_status(next_due: date | None, *, closed: bool, today: date) -> str:
    if closed:
        return STATUS_CLOSED
    if next_due is None:
        return STATUS_BASELINE_NEEDED
    if next_due < today:
        return STATUS_OVERDUE
    if (next_due - today).days <= DUE_SOON_DAYS:
        return STATUS_DUE_SOON
    return STATUS_ON_TRACK


def _next_due(assessments: pd.DataFrame) -> pd.DataFrame:
    """Per family: the earliest next-review date (a ``date``) over the instruments it uses."""
    due = next_reviews_due(
        assessments.assign(assessed_on=pd.to_datetime(assessments["assessed_on"])),
        raters=RATERS,
    )
    earliest = due.groupby("family_id")["due"].min()
    return earliest.dt.date.rename("next_review_due").reset_index()


def caseload(
    connection: Connection, viewer: Viewer, *, today: date, include_closed: bool = False
) -> pd.DataFrame:
    """The families ``viewer`` may see, one row each, most urgent first."""
    condition = visible_families(viewer)
    if not include_closed:
        condition = sa.and_(condition, Family.closed_on.is_(None))
    families = pd.DataFrame(
        connection.execute(
            sa.select(
                Family.id,
                Family.family_ref,
                Family.short_name,
                Family.tier_of_need,
                Family.area,
                Family.closed_on,
                Family.key_worker_id,
                sa.func.coalesce(KeyWorker.name, NO_KEY_WORKER),
            )
            .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
            .where(condition)
        ).all(),
        columns=[
            "family_id",
            "family_ref",
            "short_name",
            "tier_of_need",
            "area",
            "closed_on",
            "key_worker_id",
            "key_worker",
        ],
    )
    assessments = pd.DataFrame(
        connection.execute(
            sa.select(
                Assessment.family_id,
                Assessment.instrument,
                Assessment.occasion,
                Assessment.assessed_on,
                Assessment.rater,
            )
            .join(Family, Family.id == Assessment.family_id)
            .where(condition)
        ).all(),
        columns=["family_id", "instrument", "occasion", "assessed_on", "rater"],
    )
    open_goals = pd.DataFrame(
        connection.execute(
            sa.select(PlanGoal.family_id, sa.func.count(PlanGoal.id))
            .join(Family, Family.id == PlanGoal.family_id)
            .where(condition, PlanGoal.status == "open")
            .group_by(PlanGoal.family_id)
        ).all(),
        columns=["family_id", "open_goals"],
    )
    summary = (
        assessments.groupby("family_id")
        .agg(
            instruments=("instrument", lambda keys: ", ".join(sorted(set(keys)))),
            last_assessed_on=("assessed_on", "max"),
        )
        .reset_index()
    )
    frame = (
        families.merge(summary, on="family_id", how="left")
        .merge(_next_due(assessments), on="family_id", how="left")
        .merge(open_goals, on="family_id", how="left")
    )
    frame["open_goals"] = frame["open_goals"].fillna(0).astype(int)
    frame["instruments"] = frame["instruments"].fillna("")
    for column in ("short_name", "next_review_due"):  # None, not NaN, where there is none
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame["status"] = [
        review_status(due, closed=closed is not None and not pd.isna(closed), today=today)
        for due, closed in zip(frame["next_review_due"], frame["closed_on"], strict=True)
    ]
    frame["overdue"] = frame["status"] == STATUS_OVERDUE
    urgency = {
        STATUS_OVERDUE: 0,
        STATUS_BASELINE_NEEDED: 1,
        STATUS_DUE_SOON: 2,
        STATUS_ON_TRACK: 3,
        STATUS_CLOSED: 4,
    }
    frame = frame.assign(_urgency=frame["status"].map(urgency)).sort_values(
        ["_urgency", "next_review_due", "family_ref"], na_position="last"
    )
    return frame.drop(columns="_urgency").reset_index(drop=True)


def overdue_by_worker(frame: pd.DataFrame, *, today: date) -> pd.DataFrame:
    """Whose reviews are overdue: one row per key worker with any, most overdue first.

    ``frame`` is a caseload. Each row counts the worker's overdue families, says how many
    days the longest-waiting one is past its date, and lists their references, the
    longest-waiting first.
    """
    overdue = frame[frame["status"] == STATUS_OVERDUE]
    waited = [(today - due).days for due in overdue["next_review_due"]]
    overdue = overdue.assign(days_overdue=pd.Series(waited, index=overdue.index, dtype=int))
    overdue = overdue.sort_values(["days_overdue", "family_ref"], ascending=[False, True])
    by_worker = (
        overdue.groupby("key_worker", sort=False)
        .agg(
            overdue=("family_ref", "size"),
            longest_days_overdue=("days_overdue", "max"),
            family_refs=("family_ref", list),
        )
        .reset_index()
    )
    return by_worker.sort_values(
        ["overdue", "longest_days_overdue", "key_worker"], ascending=[False, False, True]
    ).reset_index(drop=True)
