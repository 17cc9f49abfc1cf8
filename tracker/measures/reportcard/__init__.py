"""The Results Based Accountability report card: every measure, defined once.

Each measure is a small function of the scope's data and a period; its
docstring is its definition, shown on the card and in the exports. The card
adds the previous period, the target, a quarterly history with a "turn the
curve" forecast, and small-number suppression, the same as the cohort page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.cohort import RELIABLE_CHANGE_Z, reliable_change_sd, suppress_count
from tracker.measures.periods import Period, previous, quarters_up_to
from tracker.measures.scoring import domain_changes, family_overall, select_baseline_and_latest
from tracker.store.db import read_frame
from tracker.store.models import (
    Assessment,
    Family,
    Feedback,
    KeyWorker,
    MeasureTarget,
    PlanGoal,
    ProgrammeCost,
    ReferralOn,
    ReportStory,
    Score,
    ServiceActivity,
)
from tracker.store.vocabulary import CLOSURE_REASONS, DEFAULT_RATERS, KEY_WORKER_BACKGROUNDS

QUADRANTS = {
    "how_much": "How much did we do?",
    "how_well": "How well did we do it?",
    "better_off": "Is anyone better off?",
    "cost": "Is it cost effective?",
}
STORY_FIELDS = {
    "working": "What is working",
    "difficulties": "Difficulties and what is being done",
    "feedback": "Feedback and how it was used",
    "good_news": "Good news stories",
    "complaints": "Complaints and resolutions",
    "improvements": "Planned improvements",
    "training": "Staff training",
    "benchmarking": "Benchmarking",
}
SCOPE_KINDS = {
    "service": "Whole service",
    "area": "Area",
    "tier_of_need": "Tier of need",
    "key_worker_type": "Key worker type",
}
HISTORY_QUARTERS = 8
FORECAST_QUARTERS = 4
MIN_FORECAST_POINTS = 3
ON_TIME_DAYS = 14
RE_REFERRAL_DAYS = 365
TIME_BANDS = (
    ("Under 1 month", 0, 1),
    ("1-3 months", 1, 3),
    ("3-6 months", 3, 6),
    ("6 months or more", 6, math.inf),
)


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
            return "Whole service"
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
    # Results several measures share, worked out once per card (keyed by name and period).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key, compute: Callable):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def _frame(connection: Connection, statement, columns: list[str]) -> pd.DataFrame:
    frame = read_frame(connection, statement, columns)
    for column in columns:
        if column.endswith(("_on", "_date", "_start", "_end")):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def load_report_data(connection: Connection, scope: Scope, instrument: Instrument) -> ReportData:
    scope_column = {
        "area": Family.area,
        "tier_of_need": Family.tier_of_need,
        "key_worker_type": KeyWorker.background,
    }.get(scope.kind)
    condition = scope_column == scope.value if scope_column is not None else sa.true()
    families = _frame(
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
        ],
    )
    ids = families["family_id"]

    def of_families(table, columns: dict, name_columns: list[str]) -> pd.DataFrame:
        statement = sa.select(table.family_id, *columns.values())
        frame = _frame(connection, statement, ["family_id", *name_columns])
        return frame[frame["family_id"].isin(ids)].reset_index(drop=True)

    assessments = of_families(
        Assessment,
        {
            "id": Assessment.id,
            "instrument": Assessment.instrument,
            "occasion": Assessment.occasion,
            "assessed_on": Assessment.assessed_on,
            "rater": Assessment.rater,
        },
        ["assessment_id", "instrument", "occasion", "assessed_on", "rater"],
    )
    scores = read_frame(
        connection,
        sa.select(Score.assessment_id, Score.domain, Score.value)
        .join(Assessment, Assessment.id == Score.assessment_id)
        .where(Assessment.instrument == instrument.key),
        ["assessment_id", "domain", "value"],
    )
    scores = scores[scores["assessment_id"].isin(assessments["assessment_id"])]
    costs = _frame(
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
    )


@dataclass
class Value:
    """A measure's value in one period, before suppression.

    ``families`` is how many families the value rests on; ``number`` is the
    count behind a percentage; ``parts`` is a breakdown of counts.
    """

    value: float | None
    families: int
    number: float | None = None
    parts: dict[str, int | float | None] = field(default_factory=dict)
    note: str = ""


# --------------------------------------------------------------------------- helpers


def _pct(part: float, whole: float) -> float | None:
    return 100 * part / whole if whole else None


def _worked_with(data: ReportData, period: Period) -> pd.DataFrame:
    families = data.families
    started = families["referral_date"] <= pd.Timestamp(period.end)
    still_open = families["closed_on"].isna() | (
        families["closed_on"] >= pd.Timestamp(period.start)
    )
    return families[started & still_open]


def _baselined_by(data: ReportData, period: Period) -> pd.Series:
    """First baselines on or before the period end: later ones did not exist yet then."""
    first = _first_baselines(data)
    return first[first <= pd.Timestamp(period.end)]


def _first_baselines(data: ReportData) -> pd.Series:
    """Each family's first baseline of any instrument, by family id."""

    def compute() -> pd.Series:
        baselines = data.assessments[data.assessments["occasion"] == "baseline"]
        return baselines.groupby("family_id")["assessed_on"].min()

    return data.remember("first_baselines", compute)


def _counts_by(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {
        str(k): int(v)
        for k, v in frame[column].fillna("Not recorded").value_counts().sort_index().items()
    }


BREAKDOWNS = (
    ("area", "Area"),
    ("tier_of_need", "Tier"),
    ("age_group", "Age"),
    ("referral_source", "Referred by"),
)


def _breakdown(families: pd.DataFrame) -> dict[str, int]:
    """Counts of families by area, tier, age group and referral source."""
    return {
        f"{label}: {key}": count
        for column, label in BREAKDOWNS
        for key, count in _counts_by(families, column).items()
    }


def _distinct_occasions(data: ReportData, period: Period, baseline: bool) -> pd.DataFrame:
    chosen = data.assessments[
        data.assessments["rater"].isin(DEFAULT_RATERS)
        & ((data.assessments["occasion"] == "baseline") == baseline)
        & period.contains(data.assessments["assessed_on"])
    ]
    return chosen.drop_duplicates(["family_id", "instrument", "assessed_on"])


def _reviewed(data: ReportData, period: Period) -> pd.DataFrame:
    """Families whose latest assessment up to the period end falls in the period, with change.

    Baseline and latest follow the cohort rules (worker and joint ratings).
    """
    return data.remember(("reviewed", period), lambda: _compute_reviewed(data, period))


def _compute_reviewed(data: ReportData, period: Period) -> pd.DataFrame:
    up_to_end = data.assessments[
        (data.assessments["instrument"] == data.instrument.key)
        & data.assessments["rater"].isin(DEFAULT_RATERS)
        & (data.assessments["assessed_on"] <= pd.Timestamp(period.end))
    ]
    pairs = select_baseline_and_latest(
        up_to_end[["assessment_id", "family_id", "occasion", "assessed_on", "rater"]]
    )
    pairs = pairs[period.contains(pairs["latest_on"])]
    # Only these assessments' scores matter; narrowing first spares merging every score.
    chosen = data.scores["assessment_id"].isin(
        pd.concat([pairs["baseline_id"], pairs["latest_id"]])
    )
    overall = family_overall(domain_changes(pairs, data.scores[chosen], data.instrument))
    s_diff = reliable_change_sd(overall, data.instrument.reliability)
    return overall.assign(rci=overall["change"] / s_diff if s_diff else np.nan)


def _cost(data: ReportData, period: Period) -> float | None:
    match = data.costs[
        (data.costs["period_start"] == pd.Timestamp(period.start))
        & (data.costs["period_end"] == pd.Timestamp(period.end))
    ]
    return float(match["amount"].iloc[0]) if not match.empty else None


def _cost_per(
    data: ReportData, period: Period, denominator: float, families: int, what: str
) -> Value:
    cost = _cost(data, period)
    if cost is None:
        return Value(None, families, note="No programme cost entered for this period.")
    if not denominator:
        return Value(None, families, note=f"No {what} in this period.")
    return Value(cost / denominator, families)


# --------------------------------------------------------------------------- measures


def families_worked_with(data: ReportData, period: Period) -> Value:
    """Families referred by the period end whose case was open at some point in the period."""
    families = _worked_with(data, period)
    return Value(len(families), len(families), parts=_breakdown(families))


def new_families(data: ReportData, period: Period) -> Value:
    """Families whose first baseline (any instrument) was in the period."""
    first = _first_baselines(data)
    new = data.families[data.families["family_id"].isin(first[period.contains(first)].index)]
    return Value(len(new), len(new), parts=_breakdown(new))


def baselines_completed(data: ReportData, period: Period) -> Value:
    """Baseline assessments (worker or joint) dated in the period, one per family, tool and day."""
    done = _distinct_occasions(data, period, baseline=True)
    return Value(len(done), done["family_id"].nunique())


def reviews_completed(data: ReportData, period: Period) -> Value:
    """Review, closure and follow-up assessments (worker or joint) dated in the period."""
    done = _distinct_occasions(data, period, baseline=False)
    return Value(len(done), done["family_id"].nunique())


def hours_of_service(data: ReportData, period: Period) -> Value:
    """Hours of key worker activity recorded in the period."""
    chosen = data.activities[period.contains(data.activities["activity_on"])]
    return Value(float(chosen["hours"].sum()), chosen["family_id"].nunique())


def coordination_share(data: ReportData, period: Period) -> Value:
    """Share of the period's hours that were coordination; the rest was direct work."""
    chosen = data.activities[period.contains(data.activities["activity_on"])]
    total = float(chosen["hours"].sum())
    coordination = float(chosen.loc[chosen["kind"] == "coordination", "hours"].sum())
    parts = {
        "Coordination (%)": _pct(coordination, total),
        "Direct work (%)": _pct(total - coordination, total),
    }
    return Value(
        _pct(coordination, total),
        chosen["family_id"].nunique(),
        parts=parts,
        note="" if total else "No hours recorded in this period.",
    )


def time_with_key_worker(data: ReportData, period: Period) -> Value:
    """Families worked with, by time since their first baseline (or referral) to the period end
    or their closure: under 1 month, 1-3, 3-6, and 6 months or more."""
    families = _worked_with(data, period)
    # reindex rather than map: pandas cannot map through an empty series of dates.
    baselined = _baselined_by(data, period).reindex(families["family_id"])
    start = pd.Series(baselined.to_numpy(), index=families.index).combine_first(
        pd.to_datetime(families["referral_date"])
    )
    end = families["closed_on"].where(
        families["closed_on"].notna() & (families["closed_on"] < pd.Timestamp(period.end)),
        pd.Timestamp(period.end),
    )
    months = (end - start).dt.days / 30.4375
    parts = {
        label: int(((months >= low) & (months < high)).sum()) for label, low, high in TIME_BANDS
    }
    return Value(len(families), len(families), parts=parts)


def referrals_on(data: ReportData, period: Period) -> Value:
    """Referrals on to specialist services made in the period."""
    chosen = data.referrals_on[period.contains(data.referrals_on["referred_on"])]
    return Value(len(chosen), chosen["family_id"].nunique())


def cases_closed(data: ReportData, period: Period) -> Value:
    """Cases closed in the period, by how they ended."""
    closed = data.families[period.contains(data.families["closed_on"])]
    parts = {
        CLOSURE_REASONS[key]: int((closed["closure_reason"] == key).sum())
        for key in CLOSURE_REASONS
    }
    return Value(len(closed), len(closed), parts=parts)


def re_referrals(data: ReportData, period: Period) -> Value:
    """Families referred again in the period within 12 months of their case closing."""
    families = data.families
    again = families[
        period.contains(families["re_referred_on"])
        & ((families["re_referred_on"] - families["closed_on"]).dt.days <= RE_REFERRAL_DAYS)
    ]
    return Value(len(again), len(again))


def median_days_to_baseline(data: ReportData, period: Period) -> Value:
    """Median days from referral to first baseline, for families first baselined in the period."""
    first = _first_baselines(data)
    new = data.families[data.families["family_id"].isin(first[period.contains(first)].index)]
    days = (new["family_id"].map(first) - new["referral_date"]).dt.days
    return Value(float(days.median()) if len(days) else None, len(new))


def _review_schedule(data: ReportData) -> pd.DataFrame:
    """Every review due so far, per family and instrument, and whether it was on time.

    Reviews fall due one month after the baseline and then every three months, until the
    case closes; the n-th review is on time when the n-th later assessment (worker or joint)
    is within 14 days of its due date.
    """

    def compute() -> pd.DataFrame:
        # Worked out for every family at once: a loop over families took seconds per county.
        chosen = data.assessments[data.assessments["rater"].isin(DEFAULT_RATERS)]
        group = ["family_id", "instrument"]
        baselines = (
            chosen[chosen["occasion"] == "baseline"]
            .groupby(group)["assessed_on"]
            .min()
            .rename("baseline")
            .reset_index()
        )
        later = chosen[[*group, "assessed_on"]].merge(baselines, on=group)
        later = (
            later[later["assessed_on"] > later["baseline"]]
            .drop_duplicates([*group, "assessed_on"])
            .sort_values([*group, "assessed_on"])
        )
        later = later.assign(review=later.groupby(group).cumcount())
        horizon = pd.Timestamp(date.today()) + pd.DateOffset(years=1)
        closed = baselines["family_id"].map(data.families.set_index("family_id")["closed_on"])
        stop = closed.where(closed.notna() & (closed < horizon), horizon)
        # Reviews are due every three months from one month on, so this many always reach
        # past the stop date; the ones beyond it are dropped below.
        enough = ((stop - baselines["baseline"]).dt.days // 89 + 2).clip(lower=0, upper=200)
        due = baselines.assign(stop=stop).loc[baselines.index.repeat(enough)]
        due = due.assign(review=due.groupby(group).cumcount())
        due = due.assign(due=_add_months(due["baseline"], 1 + 3 * due["review"]))
        due = due[due["due"] <= due["stop"]].merge(
            later[[*group, "review", "assessed_on"]], on=[*group, "review"], how="left"
        )
        on_time = (due["assessed_on"] - due["due"]).dt.days.abs() <= ON_TIME_DAYS
        return (
            due.assign(on_time=on_time.fillna(False).astype(bool))
            .sort_values([*group, "review"])
            .loc[:, ["family_id", "due", "on_time"]]
            .reset_index(drop=True)
        )

    return data.remember("review_schedule", compute)


def _add_months(days: pd.Series, months: pd.Series) -> pd.Series:
    """``day + pd.DateOffset(months=n)`` for whole columns: the same calendar month step,
    with the day of the month clipped to the target month's length."""
    total = days.dt.year * 12 + days.dt.month - 1 + months
    first = pd.to_datetime({"year": total // 12, "month": total % 12 + 1, "day": 1})
    day = np.minimum(days.dt.day, first.dt.days_in_month)
    return first + pd.to_timedelta(day - 1, unit="D")


def reviews_on_time(data: ReportData, period: Period) -> Value:
    """Share of reviews falling due in the period that were done within 14 days of the due date.

    Reviews fall due one month after the baseline and then every three months; the n-th
    review is on time when the n-th later assessment (worker or joint) is within 14 days.
    """
    schedule = _review_schedule(data)
    due = schedule[period.contains(schedule["due"])]
    on_time = int(due["on_time"].sum())
    return Value(
        _pct(on_time, len(due)),
        due["family_id"].nunique(),
        number=on_time,
        note="" if len(due) else "No reviews fell due in this period.",
    )


def engaged(data: ReportData, period: Period) -> Value:
    """Share of families worked with that had a baseline and had not dropped out by period end."""
    families = _worked_with(data, period)
    started = families[families["family_id"].isin(_baselined_by(data, period).index)]
    dropped = (started["closure_reason"] == "dropped_out") & (
        started["closed_on"] <= pd.Timestamp(period.end)
    )
    kept = int((~dropped).sum())
    return Value(_pct(kept, len(started)), len(started), number=kept)


def _feedback_in(data: ReportData, period: Period) -> pd.DataFrame:
    return data.feedback[period.contains(data.feedback["given_on"])]


def satisfaction_mean(data: ReportData, period: Period) -> Value:
    """Mean family satisfaction (1-5) from questionnaires returned in the period."""
    chosen = _feedback_in(data, period)
    return Value(
        float(chosen["satisfaction"].mean()) if len(chosen) else None, chosen["family_id"].nunique()
    )


def satisfied_share(data: ReportData, period: Period) -> Value:
    """Share of questionnaires returned in the period rating satisfaction 4 or 5."""
    chosen = _feedback_in(data, period)
    high = int((chosen["satisfaction"] >= 4).sum())
    return Value(_pct(high, len(chosen)), chosen["family_id"].nunique(), number=high)


def feedback_response_rate(data: ReportData, period: Period) -> Value:
    """Families who returned a questionnaire in the period, as a share of families worked with."""
    responded = _feedback_in(data, period)["family_id"].nunique()
    worked = len(_worked_with(data, period))
    return Value(_pct(responded, worked), worked, number=responded)


def data_completeness(data: ReportData, period: Period) -> Value:
    """Share of domain scores filled in (not blank or N/A) on the period's assessments."""
    chosen = data.assessments[
        (data.assessments["instrument"] == data.instrument.key)
        & period.contains(data.assessments["assessed_on"])
    ]
    slots = len(chosen) * len(data.instrument.domain_keys)
    scored = data.scores[data.scores["assessment_id"].isin(chosen["assessment_id"])]
    filled = int(scored["value"].notna().sum())
    return Value(_pct(filled, slots), chosen["family_id"].nunique(), number=filled)


def better_off(data: ReportData, period: Period) -> Value:
    """Families reviewed in the period whose overall distance travelled is positive.

    "Reviewed" means their latest assessment up to the period end falls in the period;
    the change compares it with their first baseline.
    """
    reviewed = _reviewed(data, period)
    improved = int((reviewed["change"] > 0).sum())
    return Value(
        _pct(improved, len(reviewed)),
        len(reviewed),
        number=improved,
        note="" if len(reviewed) else "No families were reviewed in this period.",
    )


def reliable_improvement(data: ReportData, period: Period) -> Value:
    """Families reviewed in the period whose improvement is reliable (RCI above 1.96)."""
    reviewed = _reviewed(data, period)
    reliable = int((reviewed["rci"] > RELIABLE_CHANGE_Z).sum())
    return Value(
        _pct(reliable, len(reviewed)),
        len(reviewed),
        number=reliable,
        note="" if len(reviewed) else "No families were reviewed in this period.",
    )


def mean_distance_travelled(data: ReportData, period: Period) -> Value:
    """Mean overall distance travelled of the families reviewed in the period (+ is better)."""
    reviewed = _reviewed(data, period)
    return Value(
        float(reviewed["change"].mean()) if len(reviewed) else None,
        len(reviewed),
        note="" if len(reviewed) else "No families were reviewed in this period.",
    )


def plan_outcomes(data: ReportData, period: Period) -> Value:
    """Cases closed in the period by plan outcome; the headline is the share wholly achieved."""
    closed = data.families[period.contains(data.families["closed_on"])]
    counts = {
        key: int((closed["closure_reason"] == key).sum())
        for key in ("wholly_achieved", "partially_achieved", "not_achieved", "dropped_out")
    }
    parts = {}
    for key, count in counts.items():
        parts[f"{CLOSURE_REASONS[key]}"] = count
        parts[f"{CLOSURE_REASONS[key]} (%)"] = _pct(count, len(closed))
    return Value(
        _pct(counts["wholly_achieved"], len(closed)),
        len(closed),
        number=counts["wholly_achieved"],
        parts=parts,
    )


def goals_achieved(data: ReportData, period: Period) -> Value:
    """Share of plan goals given an outcome in the period that were wholly achieved."""
    decided = data.goals[
        (data.goals["status"] != "open") & period.contains(data.goals["status_on"])
    ]
    achieved = int((decided["status"] == "wholly_achieved").sum())
    return Value(_pct(achieved, len(decided)), decided["family_id"].nunique(), number=achieved)


def referrals_on_per_100(data: ReportData, period: Period) -> Value:
    """Referrals on to specialist services in the period per 100 families worked with."""
    worked = len(_worked_with(data, period))
    made = len(data.referrals_on[period.contains(data.referrals_on["referred_on"])])
    return Value(100 * made / worked if worked else None, worked, number=made)


def cost_per_hour(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by its hours of service (fully inclusive)."""
    hours = hours_of_service(data, period)
    return _cost_per(data, period, hours.value or 0, hours.families, "hours of service")


def cost_per_family(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by the families worked with."""
    worked = len(_worked_with(data, period))
    return _cost_per(data, period, worked, worked, "families worked with")


def cost_per_family_better_off(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by the families better off (see above)."""
    measure = better_off(data, period)
    return _cost_per(data, period, measure.number or 0, measure.families, "families better off")


def cost_per_reliable_improvement(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by the families with reliable improvement."""
    measure = reliable_improvement(data, period)
    return _cost_per(
        data, period, measure.number or 0, measure.families, "families with reliable improvement"
    )


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    quadrant: str
    label: str
    unit: str  # count, pct, hours, days, score, money, rate
    higher_is_better: bool | None
    compute: Callable[[ReportData, Period], Value]

    @property
    def definition(self) -> str:
        return " ".join((self.compute.__doc__ or "").split())


MEASURES = (
    MeasureSpec(
        "families_worked_with",
        "how_much",
        "Families worked with",
        "count",
        None,
        families_worked_with,
    ),
    MeasureSpec("new_families", "how_much", "New families", "count", None, new_families),
    MeasureSpec(
        "baselines_completed", "how_much", "Baselines completed", "count", None, baselines_completed
    ),
    MeasureSpec(
        "reviews_completed", "how_much", "Reviews completed", "count", None, reviews_completed
    ),
    MeasureSpec(
        "hours_of_service", "how_much", "Hours of service", "hours", None, hours_of_service
    ),
    MeasureSpec(
        "coordination_share",
        "how_much",
        "Coordination share of hours",
        "pct",
        None,
        coordination_share,
    ),
    MeasureSpec(
        "time_with_key_worker",
        "how_much",
        "Families by time with a key worker",
        "count",
        None,
        time_with_key_worker,
    ),
    MeasureSpec(
        "referrals_on",
        "how_much",
        "Referrals on to specialist services",
        "count",
        None,
        referrals_on,
    ),
    MeasureSpec("cases_closed", "how_much", "Cases closed", "count", None, cases_closed),
    MeasureSpec(
        "re_referrals", "how_much", "Re-referrals within 12 months", "count", False, re_referrals
    ),
    MeasureSpec(
        "median_days_to_baseline",
        "how_well",
        "Median days from referral to baseline",
        "days",
        False,
        median_days_to_baseline,
    ),
    MeasureSpec("reviews_on_time", "how_well", "Reviews on time", "pct", True, reviews_on_time),
    MeasureSpec("engaged", "how_well", "Families engaged", "pct", True, engaged),
    MeasureSpec(
        "satisfaction_mean",
        "how_well",
        "Family satisfaction (mean of 1-5)",
        "score",
        True,
        satisfaction_mean,
    ),
    MeasureSpec(
        "satisfied_share", "how_well", "Families rating 4 or 5", "pct", True, satisfied_share
    ),
    MeasureSpec(
        "feedback_response_rate",
        "how_well",
        "Feedback response rate",
        "pct",
        True,
        feedback_response_rate,
    ),
    MeasureSpec("data_completeness", "how_well", "Domains scored", "pct", True, data_completeness),
    MeasureSpec("better_off", "better_off", "Families better off", "pct", True, better_off),
    MeasureSpec(
        "reliable_improvement",
        "better_off",
        "Reliable improvement",
        "pct",
        True,
        reliable_improvement,
    ),
    MeasureSpec(
        "mean_distance_travelled",
        "better_off",
        "Mean distance travelled",
        "score",
        True,
        mean_distance_travelled,
    ),
    MeasureSpec(
        "plan_outcomes",
        "better_off",
        "Plans wholly achieved (closed cases)",
        "pct",
        True,
        plan_outcomes,
    ),
    MeasureSpec("goals_achieved", "better_off", "Plan goals achieved", "pct", True, goals_achieved),
    MeasureSpec(
        "referrals_on_per_100",
        "better_off",
        "Referrals on per 100 families",
        "rate",
        False,
        referrals_on_per_100,
    ),
    MeasureSpec(
        "cost_per_hour", "cost", "Unit cost per hour of service", "money", False, cost_per_hour
    ),
    MeasureSpec(
        "cost_per_family", "cost", "Cost per family worked with", "money", False, cost_per_family
    ),
    MeasureSpec(
        "cost_per_family_better_off",
        "cost",
        "Cost per family better off",
        "money",
        False,
        cost_per_family_better_off,
    ),
    MeasureSpec(
        "cost_per_reliable_improvement",
        "cost",
        "Cost per family with reliable improvement",
        "money",
        False,
        cost_per_reliable_improvement,
    ),
)
MEASURES_BY_KEY = {spec.key: spec for spec in MEASURES}


# --------------------------------------------------------------------------- the card


def suppress(value: Value, min_group: int) -> Value:
    """Hide what could identify families, as on the cohort page.

    A value resting on 1 to min_group-1 families is hidden with its parts; so is a
    percentage whose count is that small (the count and the base would give it away);
    and so are small counts in the parts, with their percentages.
    """
    hidden = f"Fewer than {min_group} families: not shown."
    if 0 < value.families < min_group or (
        value.number is not None and 0 < value.number < min_group
    ):
        return Value(None, value.families, None, dict.fromkeys(value.parts), note=hidden)
    parts = {
        key: (suppress_count(part, min_group) if isinstance(part, int) else part)
        for key, part in value.parts.items()
    }
    for key in list(parts):
        if key.endswith(" (%)") and parts.get(key.removesuffix(" (%)"), 0) is None:
            parts[key] = None
    return Value(value.value, value.families, value.number, parts, value.note)


def forecast(history: list[float | None], ahead: int = FORECAST_QUARTERS) -> list[float] | None:
    """A least-squares straight line over the known points, projected ``ahead`` quarters.

    Returns the projected values for the quarters after the last one, or None
    when fewer than three points are known (too few to say what "no change"
    would look like).
    """
    known = [(index, value) for index, value in enumerate(history) if value is not None]
    if len(known) < MIN_FORECAST_POINTS:
        return None
    x = np.array([index for index, _ in known], dtype=float)
    y = np.array([value for _, value in known], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    return [float(intercept + slope * index) for index in range(len(history), len(history) + ahead)]


def trend(current: float | None, earlier: float | None, higher_is_better: bool | None) -> str:
    """'better', 'worse', 'same' or '' (no polarity or no comparison)."""
    if current is None or earlier is None:
        return ""
    if math.isclose(current, earlier, rel_tol=1e-9, abs_tol=1e-9):
        return "same"
    if higher_is_better is None:
        return "up" if current > earlier else "down"
    return "better" if (current > earlier) == higher_is_better else "worse"


@dataclass(frozen=True)
class MeasureResult:
    spec: MeasureSpec
    current: Value
    previous: Value
    target: float | None
    history: list[tuple[str, float | None]]
    forecast: list[float] | None

    @property
    def trend(self) -> str:
        return trend(self.current.value, self.previous.value, self.spec.higher_is_better)


@dataclass(frozen=True)
class ReportCard:
    period: Period
    previous_period: Period
    scope: Scope
    instrument: Instrument
    measures: list[MeasureResult]
    story: dict[str, str]
    min_group: int

    def quadrant(self, key: str) -> list[MeasureResult]:
        return [result for result in self.measures if result.spec.quadrant == key]


def load_targets(connection: Connection, scope: Scope) -> dict[str, float]:
    rows = connection.execute(
        sa.select(MeasureTarget.measure, MeasureTarget.target).where(
            MeasureTarget.scope_kind == scope.kind, MeasureTarget.scope_value == scope.value
        )
    ).all()
    return dict(rows)


def load_story(connection: Connection, period: Period, scope: Scope) -> dict[str, str]:
    rows = connection.execute(
        sa.select(ReportStory.field, ReportStory.text).where(
            ReportStory.period_start == period.start,
            ReportStory.period_end == period.end,
            ReportStory.scope_kind == scope.kind,
            ReportStory.scope_value == scope.value,
        )
    ).all()
    story = dict.fromkeys(STORY_FIELDS, "")
    story.update({field_key: text for field_key, text in rows if field_key in STORY_FIELDS})
    return story


def build_card(
    data: ReportData,
    period: Period,
    scope: Scope,
    *,
    min_group: int,
    targets: dict[str, float] | None = None,
    story: dict[str, str] | None = None,
) -> ReportCard:
    """Every measure for the period, with its previous value, target, history and forecast."""
    targets = targets or {}
    earlier = previous(period)
    quarters = quarters_up_to(period.end, HISTORY_QUARTERS)
    results = []
    for spec in MEASURES:
        history = [
            (quarter.label, suppress(spec.compute(data, quarter), min_group).value)
            for quarter in quarters
        ]
        results.append(
            MeasureResult(
                spec=spec,
                current=suppress(spec.compute(data, period), min_group),
                previous=suppress(spec.compute(data, earlier), min_group),
                target=targets.get(spec.key),
                history=history,
                forecast=forecast([value for _, value in history]),
            )
        )
    return ReportCard(
        period=period,
        previous_period=earlier,
        scope=scope,
        instrument=data.instrument,
        measures=results,
        story=story or dict.fromkeys(STORY_FIELDS, ""),
        min_group=min_group,
    )


def card_as_dict(card: ReportCard) -> dict:
    """The card as plain data: the JSON export and the Excel export both come from this."""

    def measure(result: MeasureResult) -> dict:
        return {
            "key": result.spec.key,
            "label": result.spec.label,
            "definition": result.spec.definition,
            "unit": result.spec.unit,
            "higher_is_better": result.spec.higher_is_better,
            "value": result.current.value,
            "number": result.current.number,
            "families": result.current.families,
            "parts": result.current.parts,
            "note": result.current.note,
            "previous": result.previous.value,
            "trend": result.trend,
            "target": result.target,
            "history": [{"quarter": label, "value": value} for label, value in result.history],
            "forecast": result.forecast,
        }

    return {
        "period": {
            "label": card.period.label,
            "start": card.period.start.isoformat(),
            "end": card.period.end.isoformat(),
            "previous": card.previous_period.label,
        },
        "scope": {
            "kind": card.scope.kind,
            "value": card.scope.value or None,
            "label": card.scope.label,
            "instrument": card.instrument.key,
            "min_group": card.min_group,
        },
        **{quadrant: [measure(r) for r in card.quadrant(quadrant)] for quadrant in QUADRANTS},
        "story": {STORY_FIELDS[key]: text for key, text in card.story.items()},
    }


def report_card(
    connection: Connection, period: Period, scope: Scope, instrument: Instrument, *, min_group: int
) -> ReportCard:
    data = load_report_data(connection, scope, instrument)
    return build_card(
        data,
        period,
        scope,
        min_group=min_group,
        targets=load_targets(connection, scope),
        story=load_story(connection, period, scope),
    )


def scope_choices(connection: Connection) -> dict[str, list[str]]:
    def distinct(column) -> list[str]:
        rows = connection.execute(sa.select(column).where(column.is_not(None)).distinct())
        return sorted(value for (value,) in rows if value)

    return {
        "area": distinct(Family.area),
        "tier_of_need": distinct(Family.tier_of_need),
        "key_worker_type": distinct(KeyWorker.background),
    }
