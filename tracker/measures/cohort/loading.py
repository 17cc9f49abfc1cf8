"""Reading a cohort's rows from the database, filtered in SQL.

A cohort filter becomes one set of SQL conditions on assessments joined to their
family and key worker, so the assessments, the scores and the family attributes
a cohort is computed from are always the same families.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.store.db import read_frame
from tracker.store.models import Assessment, Family, KeyWorker, Score
from tracker.store.vocabulary import (
    AGE_GROUPS,
    DEFAULT_RATERS,
    KEY_WORKER_BACKGROUNDS,
    TIERS_OF_NEED,
)

# Dimensions a cohort can be broken down by: column in the family frame, and label.
DIMENSIONS = {
    "area": "Area",
    "tier_of_need": "Tier of need",
    "key_worker_type": "Key worker type",
    "age_group": "Age of youngest child",
    "referral_source": "Referral source",
}
# Groups with an order of their own are listed in it, youngest or lowest tier first;
# alphabetically "11-15" would come before "5-10".
ORDERS = {"age_group": AGE_GROUPS, "tier_of_need": TIERS_OF_NEED}
NOT_RECORDED = "Not recorded"
FAMILY_COLUMNS = ["family_id", *DIMENSIONS, "closed"]
ASSESSMENT_COLUMNS = ["assessment_id", "family_id", "occasion", "assessed_on", "rater"]
SCORE_COLUMNS = ["assessment_id", "domain", "value"]


@dataclass(frozen=True)
class CohortFilter:
    """Which families and ratings a cohort figure covers."""

    instrument: str
    area: str | None = None
    tier_of_need: str | None = None
    key_worker: str | None = None
    key_worker_type: str | None = None
    age_group: str | None = None
    referral_source: str | None = None
    status: str | None = None  # "open", "closed" or None for both
    raters: tuple[str, ...] = DEFAULT_RATERS
    baseline_from: date | None = None
    baseline_to: date | None = None

    def describe(self) -> dict:
        return {
            "area": self.area,
            "tier_of_need": self.tier_of_need,
            "key_worker": self.key_worker,
            "key_worker_type": self.key_worker_type,
            "age_group": self.age_group,
            "referral_source": self.referral_source,
            "status": self.status,
            "raters": list(self.raters),
            "baseline_from": self.baseline_from.isoformat() if self.baseline_from else None,
            "baseline_to": self.baseline_to.isoformat() if self.baseline_to else None,
        }


def family_conditions(cohort_filter: CohortFilter) -> list:
    """The filter's conditions on the family and its key worker."""
    equal_to = {
        Family.area: cohort_filter.area,
        Family.tier_of_need: cohort_filter.tier_of_need,
        KeyWorker.name: cohort_filter.key_worker,
        KeyWorker.background: cohort_filter.key_worker_type,
        Family.age_group: cohort_filter.age_group,
        Family.referral_source: cohort_filter.referral_source,
    }
    conditions = [column == value for column, value in equal_to.items() if value is not None]
    if cohort_filter.status == "open":
        conditions.append(Family.closed_on.is_(None))
    elif cohort_filter.status == "closed":
        conditions.append(Family.closed_on.is_not(None))
    return conditions


def conditions_of(cohort_filter: CohortFilter) -> list:
    """The filter as SQL conditions on assessments joined to family and key worker."""
    return [
        Assessment.instrument == cohort_filter.instrument,
        Assessment.rater.in_(cohort_filter.raters),
        *family_conditions(cohort_filter),
    ]


def _filtered(statement, conditions: list):
    return (
        statement.join(Family, Family.id == Assessment.family_id)
        .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
        .where(*conditions)
    )


def load_assessments(connection: Connection, conditions: list) -> pd.DataFrame:
    return read_frame(
        connection,
        _filtered(
            sa.select(
                Assessment.id.label("assessment_id"),
                Assessment.family_id,
                Assessment.occasion,
                Assessment.assessed_on,
                Assessment.rater,
            ),
            conditions,
        ),
        ASSESSMENT_COLUMNS,
    )


def load_families(connection: Connection, conditions: list) -> pd.DataFrame:
    """The attributes of the families with a matching assessment, for breakdowns."""
    families = read_frame(
        connection,
        _filtered(
            sa.select(
                Family.id,
                Family.area,
                Family.tier_of_need,
                KeyWorker.background,
                Family.age_group,
                Family.referral_source,
                Family.closed_on.is_not(None),
            ).select_from(Assessment),
            conditions,
        ).distinct(),
        FAMILY_COLUMNS,
    )
    families["key_worker_type"] = families["key_worker_type"].map(KEY_WORKER_BACKGROUNDS)
    return families


def load_scores_of(connection: Connection, assessment_ids: pd.Series) -> pd.DataFrame:
    """The scores of these assessments only (their ids written into the SQL as numbers,
    since a county's ids are more than SQLite will take as parameters)."""
    ids = sa.bindparam(
        "ids",
        value=sorted(int(i) for i in assessment_ids.unique()),
        expanding=True,
        literal_execute=True,
    )
    statement = sa.select(Score.assessment_id, Score.domain, Score.value).where(
        Score.assessment_id.in_(ids)
    )
    return read_frame(connection, statement, SCORE_COLUMNS)


def load_frames(
    connection: Connection, cohort_filter: CohortFilter
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The assessments, scores and families a cohort is computed from, filtered in SQL."""
    conditions = conditions_of(cohort_filter)
    scores = read_frame(
        connection,
        _filtered(
            sa.select(Score.assessment_id, Score.domain, Score.value).join(
                Assessment, Assessment.id == Score.assessment_id
            ),
            conditions,
        ),
        SCORE_COLUMNS,
    )
    return (
        load_assessments(connection, conditions),
        scores,
        load_families(connection, conditions),
    )


def in_order(dimension: str | None, values) -> list:
    """A dimension's values as people read them: in the vocabulary's order where it has
    one (age groups youngest first), the rest alphabetically, "Not recorded" last."""
    rank = {value: index for index, value in enumerate(ORDERS.get(dimension, ()))}
    return sorted(
        set(values), key=lambda value: (value == NOT_RECORDED, rank.get(value, len(rank)), value)
    )


def filter_choices(connection: Connection) -> dict[str, list[str]]:
    """The values each cohort filter can take, from what is stored, in reading order."""

    def distinct(dimension: str, column) -> list[str]:
        rows = connection.execute(sa.select(column).where(column.is_not(None)).distinct())
        return in_order(dimension, (value for (value,) in rows if value != ""))

    return {
        "area": distinct("area", Family.area),
        "tier_of_need": distinct("tier_of_need", Family.tier_of_need),
        "key_worker": distinct("key_worker", KeyWorker.name),
        "key_worker_type": distinct("key_worker_type", KeyWorker.background),
        "age_group": distinct("age_group", Family.age_group),
        "referral_source": distinct("referral_source", Family.referral_source),
    }


def main_instrument(connection: Connection, keys: list[str], setting: str | None = None) -> str:
    """The instrument the cohort page opens on: the service's main one when ``setting``
    (TRACKER_MAIN_INSTRUMENT) names one of ``keys``, else the one most families have been
    scored on; on a tie, or with nothing scored, the first of ``keys``."""
    if setting in keys:
        return setting
    families = dict(
        connection.execute(
            sa.select(
                Assessment.instrument, sa.func.count(sa.distinct(Assessment.family_id))
            ).group_by(Assessment.instrument)
        ).all()
    )
    return max(keys, key=lambda key: families.get(key, 0))
