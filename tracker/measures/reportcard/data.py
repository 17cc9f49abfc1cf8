"""What a report card is about, and the data its measures read, loaded once per card.

A ``Scope`` names the part of the service (all of it, an area, a tier, a key worker
type); ``load_report_data`` reads everything its families' measures need in one go,
and each measure then filters that data to its period. Given the periods a card shows,
it reads only the rows those periods need, filtered in SQL by the scope and the dates
(``Span``), and the domain scores only of the assessments a change is measured between;
the completeness measure's count of filled scores is added up in the database. Feedback
from key workers and panel members belongs to no family, so it is read for the whole
service's card only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.periods import Period
from tracker.measures.reportcard.pairs import paired_ids, reviewed_pairs
from tracker.measures.review_schedule import ON_TIME_DAYS
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
SCORE_COLUMNS = ["assessment_id", "domain", "value"]
_SCORES = sa.select(Score.assessment_id, Score.domain, Score.value).join(
    Assessment, Assessment.id == Score.assessment_id
)
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
class Span:
    """The days a card's periods cover, from the first one's start to the last one's end:
    the rows outside it that a measure could need are only assessments (``assessments``)."""

    start: date
    end: date

    @classmethod
    def of(cls, periods: Iterable[Period]) -> Span:
        periods = list(periods)
        return cls(min(p.start for p in periods), max(p.end for p in periods))

    def assessments(self, occasion, assessed_on):
        """The assessments a card over the span needs: every baseline up to its end (a
        family's first baseline and the one that ends its first journey may be long
        before it), and any assessment within ``ON_TIME_DAYS`` of it (one can meet a
        review due in it)."""
        margin = timedelta(days=ON_TIME_DAYS)
        return sa.or_(
            sa.and_(occasion == "baseline", assessed_on <= self.end),
            assessed_on.between(self.start - margin, self.end + margin),
        )


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
    # The filled (not blank) domain scores of each assessment of the instrument, by
    # assessment id, as the database counted them; None: counted from ``scores``, which
    # then holds every score of the instrument's assessments.
    filled: pd.Series | None = None
    # The periods the card shows, which the measures of change work out together.
    periods: tuple[Period, ...] = ()

    def remember(self, key, compute: Callable):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def filled_scores(self) -> pd.Series:
        """The filled domain scores of each assessment of the instrument, by assessment id."""
        if self.filled is not None:
            return self.filled
        return self.remember(
            "filled", lambda: self.scores.groupby("assessment_id")["value"].count()
        )


def _dated_frame(connection: Connection, statement, columns: list[str]) -> pd.DataFrame:
    """The rows as a frame, with every date column (named ``*_on``, ``*_date``, ``*_start``
    or ``*_end``) as datetime64, even when there are no rows."""
    frame = read_frame(connection, statement, columns)
    for column in columns:
        if column.endswith(("_on", "_date", "_start", "_end")):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _scope_condition(scope: Scope):
    """Which families (joined with their key worker) the scope covers."""
    scope_column = {
        "area": Family.area,
        "tier_of_need": Family.tier_of_need,
        "key_worker_type": KeyWorker.background,
    }.get(scope.kind)
    return scope_column == scope.value if scope_column is not None else sa.true()


def load_report_data(
    connection: Connection,
    scope: Scope,
    instrument: Instrument,
    *,
    today: date,
    periods: Iterable[Period] | None = None,
) -> ReportData:
    """The scope's families and everything recorded about them, as of ``today``, and the
    service's yardstick for reliable change (the whole service's, never the scope's).

    With ``periods``, only what the measures of those periods read: dated records in their
    span, and the assessments and scores ``Span.assessments`` says; without, everything.
    """
    periods = list(periods) if periods is not None else None
    span = Span.of(periods) if periods is not None else None
    condition = _scope_condition(scope)
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

    def in_scope(statement, family_id):
        """The statement narrowed to the scope's families (in SQL, not after reading)."""
        if scope.kind == "service":
            return statement
        families_in_scope = (
            sa.select(Family.id)
            .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
            .where(condition)
        )
        return statement.where(family_id.in_(families_in_scope))

    def dated(table, day, columns: dict) -> pd.DataFrame:
        """A family's records of one kind, with their ``day`` in the span."""
        statement = in_scope(sa.select(table.family_id, day, *columns.values()), table.family_id)
        if span is not None:
            statement = statement.where(day.between(span.start, span.end))
        return _dated_frame(connection, statement, ["family_id", day.key, *columns])

    statement = in_scope(
        sa.select(
            Assessment.id,
            Assessment.family_id,
            Assessment.instrument,
            Assessment.occasion,
            Assessment.assessed_on,
            Assessment.rater,
            Assessment.self_completed,
        ),
        Assessment.family_id,
    )
    if span is not None:
        statement = statement.where(span.assessments(Assessment.occasion, Assessment.assessed_on))
    assessments = _dated_frame(
        connection,
        statement,
        [
            "assessment_id",
            "family_id",
            "instrument",
            "occasion",
            "assessed_on",
            "rater",
            "self_completed",
        ],
    )
    costs = _dated_frame(
        connection,
        sa.select(ProgrammeCost.period_start, ProgrammeCost.period_end, ProgrammeCost.amount).where(
            ProgrammeCost.scope_kind == scope.kind, ProgrammeCost.scope_value == scope.value
        ),
        ["period_start", "period_end", "amount"],
    )
    data = ReportData(
        periods=tuple(dict.fromkeys(periods or ())),
        instrument=instrument,
        families=families,
        assessments=assessments,
        scores=read_frame(
            connection,
            in_scope(_SCORES.where(Assessment.instrument == instrument.key), Assessment.family_id),
            SCORE_COLUMNS,
        )
        if span is None
        else empty_frame(SCORE_COLUMNS),
        activities=dated(
            ServiceActivity,
            ServiceActivity.activity_on,
            {"hours": ServiceActivity.hours, "kind": ServiceActivity.kind},
        ),
        referrals_on=dated(ReferralOn, ReferralOn.referred_on, {}),
        feedback=dated(Feedback, Feedback.given_on, {"satisfaction": Feedback.satisfaction}),
        goals=dated(PlanGoal, PlanGoal.status_on, {"status": PlanGoal.status}),
        costs=costs,
        yardstick=service_yardstick(connection, instrument),
        today=today,
        **_quality_records(connection, span, in_scope, whole_service=scope.kind == "service"),
    )
    if span is None:
        return data
    return _with_paired_scores(connection, data, periods, in_scope)


def _with_paired_scores(
    connection: Connection, data: ReportData, periods: list[Period], in_scope: Callable
) -> ReportData:
    """The data with the scores of the assessments some period's change is measured
    between (each period's pairs are picked first, from the assessments alone), and each
    assessment's filled scores, which the database counts (one row per assessment, not
    per score)."""
    ids = np.unique(np.concatenate([paired_ids(reviewed_pairs(data, p)) for p in periods]))
    wanted = sa.bindparam("ids", value=ids.tolist(), expanding=True, literal_execute=True)
    scores = _coded_scores(connection, data.instrument, Score.assessment_id.in_(wanted))
    span = Span.of(periods)
    counted = read_frame(
        connection,
        in_scope(
            sa.select(Score.assessment_id, sa.func.count(Score.value))
            .join(Assessment, Assessment.id == Score.assessment_id)
            .where(
                Assessment.instrument == data.instrument.key,
                Assessment.assessed_on.between(span.start, span.end),
            )
            .group_by(Score.assessment_id),
            Assessment.family_id,
        ),
        ["assessment_id", "filled"],
    )
    filled = counted.set_index("assessment_id")["filled"].astype("int64")
    return replace(data, scores=scores, filled=filled, memo=data.memo)


def _coded_scores(connection: Connection, instrument: Instrument, condition) -> pd.DataFrame:
    """The scores meeting ``condition``, each domain read as its number in the instrument's
    list and made a categorical of the domain keys (a domain the instrument does not have
    is missing, as no measure counts it): a number per row reads and merges faster than
    a name."""
    domains = list(instrument.domain_keys)
    number = sa.case({key: index for index, key in enumerate(domains)}, value=Score.domain)
    frame = read_frame(
        connection,
        sa.select(Score.assessment_id, number, Score.value).where(condition),
        SCORE_COLUMNS,
    )
    codes = pd.to_numeric(frame["domain"]).fillna(-1).astype("int64")
    return frame.assign(
        domain=pd.Categorical.from_codes(codes.to_numpy(), categories=domains),
        value=frame["value"].astype("float64"),
    )


def _quality_records(
    connection: Connection, span: Span | None, in_scope: Callable, *, whole_service: bool
) -> dict:
    """The closure audits and sampled case files of these families, and, for the whole
    service only, the feedback of key workers and panel members (those of the span)."""

    def overlapping(statement, start, end):
        if span is None:
            return statement
        return statement.where(start <= span.end, end >= span.start)

    audits = sa.select(
        ClosureAudit.family_id, ClosureAudit.closed_on, ClosureAudit.completed_at.is_not(None)
    )
    if span is not None:
        audits = audits.where(ClosureAudit.closed_on.between(span.start, span.end))
    case_files = (
        sa.select(
            CaseSampleMember.family_id,
            CaseSample.period_start,
            CaseSample.period_end,
            *(getattr(CaseFileAudit, f"{key}_grade") for key in CASE_FILE_QUALITIES),
        )
        .join(CaseSample, CaseSample.id == CaseSampleMember.sample_id)
        .outerjoin(CaseFileAudit, CaseFileAudit.member_id == CaseSampleMember.id)
    )
    feedback = None
    if whole_service:
        feedback = _dated_frame(
            connection,
            overlapping(
                sa.select(*(getattr(StakeholderFeedback, name) for name in STAKEHOLDER_COLUMNS)),
                StakeholderFeedback.period_start,
                StakeholderFeedback.period_end,
            ),
            STAKEHOLDER_COLUMNS,
        )
    return {
        "closure_audits": _dated_frame(
            connection, in_scope(audits, ClosureAudit.family_id), CLOSURE_AUDIT_COLUMNS
        ),
        "case_files": _dated_frame(
            connection,
            in_scope(
                overlapping(case_files, CaseSample.period_start, CaseSample.period_end),
                CaseSampleMember.family_id,
            ),
            CASE_FILE_COLUMNS,
        ),
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
