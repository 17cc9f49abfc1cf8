"""The efficiency dashboard's figures: how the work is spread and how it flows.

The guidance's good-practice service runs two dashboards, one for outcomes (the report
card) and one for efficiency: open cases per key worker, cases closed per month and
reviews overdue per worker. Open and overdue come from the caseload
(``tracker.measures.caseload``, whose ``overdue_by_worker`` is the third table), so a
review is overdue here exactly when the caseload says so. These are staff-only management
figures, by key worker, and never published.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.measures.caseload import STATUS_BASELINE_NEEDED, STATUS_DUE_SOON, STATUS_OVERDUE
from tracker.people.access import Viewer, visible_families
from tracker.store.models import Family
from tracker.store.vocabulary import AUDITED_CLOSURES, CLOSURE_REASONS

MONTHS_SHOWN = 12
# Closures in three groups: achieved; not wholly achieved, which each get a closure audit;
# and the rest, where the family moved on (stepped up, moved away).
WHOLLY_ACHIEVED = "Wholly achieved"
NOT_WHOLLY_ACHIEVED = "Not wholly achieved"
MOVED_ON = "Stepped up or moved away"
CLOSURE_GROUPS = {
    WHOLLY_ACHIEVED: ("wholly_achieved",),
    NOT_WHOLLY_ACHIEVED: AUDITED_CLOSURES,
    MOVED_ON: tuple(
        key for key in CLOSURE_REASONS if key != "wholly_achieved" and key not in AUDITED_CLOSURES
    ),
}
GROUP_OF_REASON = {key: group for group, keys in CLOSURE_GROUPS.items() for key in keys}


def open_cases_by_worker(frame: pd.DataFrame) -> pd.DataFrame:
    """Open cases per key worker, with how many of them need a baseline, are overdue for
    review or fall due soon, busiest first.

    ``frame`` is a caseload (closed families, if included, are left out); "open" and the
    review statuses are the caseload's, as of the day it was worked out for.
    """
    open_cases = frame[frame["closed_on"].isna()]
    statuses = {
        "baseline_needed": STATUS_BASELINE_NEEDED,
        "overdue": STATUS_OVERDUE,
        "due_soon": STATUS_DUE_SOON,
    }
    by_worker = (
        open_cases.assign(
            **{column: open_cases["status"] == status for column, status in statuses.items()}
        )
        .groupby("key_worker")
        .agg(
            open_cases=("family_id", "size"),
            **{column: (column, "sum") for column in statuses},
        )
        .reset_index()
    )
    counts = ["open_cases", *statuses]
    by_worker[counts] = by_worker[counts].astype(int)
    return by_worker.sort_values(["open_cases", "key_worker"], ascending=[False, True]).reset_index(
        drop=True
    )


def closures(connection: Connection, viewer: Viewer) -> pd.DataFrame:
    """Every closed case ``viewer`` may see: ``family_id, closed_on`` (a date) and
    ``closure_reason``."""
    rows = connection.execute(
        sa.select(Family.id, Family.closed_on, Family.closure_reason).where(
            visible_families(viewer), Family.closed_on.is_not(None)
        )
    ).all()
    return pd.DataFrame(rows, columns=["family_id", "closed_on", "closure_reason"])


def closed_per_month(closed: pd.DataFrame, *, today: date) -> pd.DataFrame:
    """Cases closed in each of the last ``MONTHS_SHOWN`` calendar months, this one included
    (so far), oldest first: one row per month (``month``, its first day), a count per
    closure group (``CLOSURE_GROUPS``) and ``total``. Months with none show 0.

    A family closed twice (re-referred, then closed again) counts at its latest closing,
    the one its record holds.
    """
    last = pd.Period(today, freq="M")
    months = pd.period_range(end=last, periods=MONTHS_SHOWN, freq="M")
    when = pd.to_datetime(closed["closed_on"]).dt.to_period("M")
    counted = closed.assign(month=when, group=closed["closure_reason"].map(GROUP_OF_REASON)).loc[
        when.isin(months)
    ]
    table = (
        pd.crosstab(counted["month"], counted["group"])
        .reindex(index=months, columns=list(CLOSURE_GROUPS), fill_value=0)
        .astype(int)
    )
    table["total"] = table.sum(axis=1)
    table.index = months.to_timestamp()
    table.index.name = "month"
    table.columns.name = None
    return table.reset_index()
