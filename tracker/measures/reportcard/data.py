"""What a report card is about, and the data its measures read, loaded once per card.

A ``Scope`` names the part of the service (all of it, an area, a tier, a key worker
type); ``load_report_data`` reads everything its families' measures need in one go,
and each measure then filters that data to its period. Feedback from key workers and
panel members belongs to no family, so it is read for the whole service's card only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.yardstick import Yardstick, service_yardstick
from tracker.store.db import read_frame
from tracker.store.models import (
    Assessment,
    CaseFileAudit,
    CaseSample,
    CaseSampleMember,
    ClosureAudit,
    Family,
    Feedback,
    KeyWorker,
    PlanGoal,
    ProgrammeCost,
    ReferralOn,
    Score,
    ServiceActivity,
    StakeholderFeedback,
)
from tracker.store.vocabulary import CASE_FILE_QUALITIES, KEY_WORKER_BACKGROUNDS, SCOPE_KINDS

# The referral pathway's columns of a family that the card reads.
PATHWAY_COLUMNS = {
    "panel_referral_on": Family.panel_referral_on,
    "multi_agency_package": Family.multi_agency_package,
    "referral_outcome": Family.referral_outcome,
    "signposted_to": Family.signposted_to,
    "first_contact_on": Family.first_contact_on,
}
CLOSURE_AUDIT_COLUMNS = ["family_id", "closed_on", "completed"]
# One row per sampled case file: the sample's period and each quality's grade (None
# until the file is rated).
CASE_FILE_COLUMNS = [
    "family_id",
    "period_start",
    "period_end",
    *(f"{key}_grade" for key in CASE_FILE_QUALITIES),
]
STAKEHOLDER_COLUMNS = [
    "period_start",
    "period_end",
    "role",
    "pathway_score",
    "multi_agency_score",
]


def empty_frame(columns: list[str]) -> pd.DataFrame:
    """No rows, with these columns: what the quality records are until some are kept."""
    return pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class Scope:
    kind: str = "service"
    value: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope {self.kind!r}")
        if (self.kind == "service") != (self.value == ""):
            raise ValueError("the whole service has no value; every other scope needs one")

    @property
    def label(self) -> str:
        if self.kind == "service":
            return SCOPE_KINDS["service"]
        value = KEY_WORKER_BACKGROUNDS.get(self.value, self.value)
        return f"{SCOPE_KINDS[self.kind]}: {value}"


@dataclass(frozen=True)
class ReportData:
    """Everything a card needs for one scope, loaded once and filtered per period."""

    instrument: Instrument
    families: pd.DataFrame
    assessments: pd.DataFrame
    scores: pd.DataFrame
    activities: pd.DataFrame
    referrals_on: pd.DataFrame
    feedback: pd.DataFrame
    goals: pd.DataFrame
    costs: pd.DataFrame
    # What reliable change is measured against: the service's, whatever the scope.
    yardstick: Yardstick
    # The day the card is drawn up: open cases' reviews are scheduled up to a year past it.
    today: date
    # Results several measures share, worked out once per card (keyed by name and period).
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    # Quality assurance: closure audits, sampled case files and (for the whole service's
    # card only; None for any other scope) the feedback of key workers and panel members.
    closure_audits: pd.DataFrame = field(default_factory=lambda: empty_frame(CLOSURE_AUDIT_COLUMNS))
    case_files: pd.DataFrame = field(default_factory=lambda: empty_frame(CASE_FILE_COLUMNS))
    stakeholder_feedback: pd.DataFrame | None = field(
        default_factory=lambda: empty_frame(STAKEHOLDER_COLUMNS)
    )

    def remember(self, key, compute: Callable):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def _dated_frame(connection: Connection, statement, columns: list[str]) -> pd.DataFrame:
    """The rows as a frame, with every date column (named ``*_on``, ``*_date``, ``*_start``
    or ``*_end``) as datetime64, even when there are no rows."""
    frame = read_frame(connection, statement, columns)
    for column in columns:
        if column.endswith(("_on", "_date", "_start", "_end")):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def load_report_data(
    connection: Connection, scope: Scope, instrument: Instrument, *, today: date
) -> ReportData:
    """The scope's families and everything recorded about them, as of ``today``, and the
    service's yardstick for reliable change (the whole service's, never the scope's)."""
    scope_column = {
        "area": Family.area,
        "tier_of_need": Family.tier_of_need,
        "key_worker_type": KeyWorker.background,
    }.get(scope.kind)
    condition = scope_column == scope.value if scope_column is not None else sa.true()
    families = _dated_frame(
        connection,
        sa.select(
            Family.id,
            Family.area,
            Family.tier_of_need,
            Family.age_group,
            Family.referral_source,
            Family.referral_date,
            Family.closed_on,
            Family.closure_reason,
            Family.re_referred_on,
            *PATHWAY_COLUMNS.values(),
        )
        .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
        .where(condition),
        [
            "family_id",
            "area",
            "tier_of_need",
            "age_group",
            "referral_source",
            "referral_date",
            "closed_on",
            "closure_reason",
            "re_referred_on",
            *PATHWAY_COLUMNS,
        ],
    )
    ids = families["family_id"]

    def of_families(table, columns: dict, name_columns: list[str]) -> pd.DataFrame:
        statement = sa.select(table.family_id, *columns.values())
        frame = _dated_frame(connection, statement, ["family_id", *name_columns])
        return frame[frame["family_id"].isin(ids)].reset_index(drop=True)

    assessments = of_families(
        Assessment,
        {
            "id": Assessment.id,
            "instrument": Assessment.instrument,
            "occasion": Assessment.occasion,
            "assessed_on": Assessment.assessed_on,
            "rater": Assessment.rater,
            "self_completed": Assessment.self_completed,
        },
        ["assessment_id", "instrument", "occasion", "assessed_on", "rater", "self_completed"],
    )
    scores = read_frame(
        connection,
        sa.select(Score.assessment_id, Score.domain, Score.value)
        .join(Assessment, Assessment.id == Score.assessment_id)
        .where(Assessment.instrument == instrument.key),
        ["assessment_id", "domain", "value"],
    )
    scores = scores[scores["assessment_id"].isin(assessments["assessment_id"])]
    costs = _dated_frame(
        connection,
        sa.select(ProgrammeCost.period_start, ProgrammeCost.period_end, ProgrammeCost.amount).where(
            ProgrammeCost.scope_kind == scope.kind, ProgrammeCost.scope_value == scope.value
        ),
        ["period_start", "period_end", "amount"],
    )
    return ReportData(
        instrument=instrument,
        families=families,
        assessments=assessments,
        scores=scores.reset_index(drop=True),
        activities=of_families(
            ServiceActivity,
            {
                "activity_on": ServiceActivity.activity_on,
                "hours": ServiceActivity.hours,
                "kind": ServiceActivity.kind,
            },
            ["activity_on", "hours", "kind"],
        ),
        referrals_on=of_families(
            ReferralOn, {"referred_on": ReferralOn.referred_on}, ["referred_on"]
        ),
        feedback=of_families(
            Feedback,
            {"given_on": Feedback.given_on, "satisfaction": Feedback.satisfaction},
            ["given_on", "satisfaction"],
        ),
        goals=of_families(
            PlanGoal,
            {"status": PlanGoal.status, "status_on": PlanGoal.status_on},
            ["status", "status_on"],
        ),
        costs=costs,
        yardstick=service_yardstick(connection, instrument),
        today=today,
        **_quality_records(connection, ids, whole_service=scope.kind == "service"),
    )


def _quality_records(connection: Connection, ids: pd.Series, *, whole_service: bool) -> dict:
    """The closure audits and sampled case files of these families, and, for the whole
    service only, the feedback of key workers and panel members."""
    audits = _dated_frame(
        connection,
        sa.select(
            ClosureAudit.family_id,
            ClosureAudit.closed_on,
            ClosureAudit.completed_at.is_not(None),
        ),
        CLOSURE_AUDIT_COLUMNS,
    )
    case_files = _dated_frame(
        connection,
        sa.select(
            CaseSampleMember.family_id,
            CaseSample.period_start,
            CaseSample.period_end,
            *(getattr(CaseFileAudit, f"{key}_grade") for key in CASE_FILE_QUALITIES),
        )
        .join(CaseSample, CaseSample.id == CaseSampleMember.sample_id)
        .outerjoin(CaseFileAudit, CaseFileAudit.member_id == CaseSampleMember.id),
        CASE_FILE_COLUMNS,
    )
    feedback = None
    if whole_service:
        feedback = _dated_frame(
            connection,
            sa.select(*(getattr(StakeholderFeedback, column) for column in STAKEHOLDER_COLUMNS)),
            STAKEHOLDER_COLUMNS,
        )
    return {
        "closure_audits": audits[audits["family_id"].isin(ids)].reset_index(drop=True),
        "case_files": case_files[case_files["family_id"].isin(ids)].reset_index(drop=True),
        "stakeholder_feedback": feedback,
    }


def scope_choices(connection: Connection) -> dict[str, list[str]]:
    """The values each kind of scope can take, from what is stored."""

    def distinct(column) -> list[str]:
        rows = connection.execute(sa.select(column).where(column.is_not(None)).distinct())
        return sorted(value for (value,) in rows if value)

    return {
        "area": distinct(Family.area),
        "tier_of_need": distinct(Family.tier_of_need),
        "key_worker_type": distinct(KeyWorker.background),
    }
