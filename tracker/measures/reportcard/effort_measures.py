"""The report card's measures of effort: "How much did we do?" and "How well did we do it?".

Each measure is a function of the scope's data and a period; its docstring is its
definition, shown on the card and in the exports (docs/metrics.md).
"""

from __future__ import annotations

import math

import pandas as pd

from tracker.measures.cohort.statistics import percent
from tracker.measures.disclosure import SUPPRESSED
from tracker.measures.periods import Period
from tracker.measures.reportcard.data import ReportData
from tracker.measures.reportcard.value import Value, standard_error
from tracker.measures.review_schedule import ON_TIME_DAYS, for_families, review_schedule
from tracker.store.vocabulary import CLOSURE_REASONS, DEFAULT_RATERS

RE_REFERRAL_DAYS = 365
NO_FEEDBACK = "No questionnaires were returned in this period."
# The breakdown of families who gave their own view: how it reached us.
SENT_FROM_PHONE = "Sent from their own phone"
ENTERED_BY_WORKER = "Entered by the key worker"
TIME_BANDS = (
    ("Under 1 month", 0, 1),
    ("1-3 months", 1, 3),
    ("3-6 months", 3, 6),
    ("6 months or more", 6, math.inf),
)


# --------------------------------------------------------------------------- shared selections


def worked_with(data: ReportData, period: Period) -> pd.DataFrame:
    """The families referred by the period end whose case was open at some point in it."""

    def compute() -> pd.DataFrame:
        families = data.families
        started = families["referral_date"] <= pd.Timestamp(period.end)
        still_open = families["closed_on"].isna() | (
            families["closed_on"] >= pd.Timestamp(period.start)
        )
        return families[started & still_open]

    return data.remember(("worked_with", period), compute)


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


# --------------------------------------------------------------------------- how much


def families_worked_with(data: ReportData, period: Period) -> Value:
    """Families referred by the period end whose case was open at some point in the period."""
    families = worked_with(data, period)
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
        "Coordination (%)": percent(coordination, total),
        "Direct work (%)": percent(total - coordination, total),
    }
    return Value(
        percent(coordination, total),
        chosen["family_id"].nunique(),
        parts=parts,
        note="" if total else "No hours recorded in this period.",
    )


def time_with_key_worker(data: ReportData, period: Period) -> Value:
    """Families worked with, by time since their first baseline (or referral) to the period end
    or their closure: under 1 month, 1-3, 3-6, and 6 months or more."""
    families = worked_with(data, period)
    start = for_families(_baselined_by(data, period), families).combine_first(
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


# --------------------------------------------------------------------------- how well


def median_days_to_baseline(data: ReportData, period: Period) -> Value:
    """Median days from referral to first baseline, for families first baselined in the period."""
    first = _first_baselines(data)
    new = data.families[data.families["family_id"].isin(first[period.contains(first)].index)]
    days = (for_families(first, new) - new["referral_date"]).dt.days
    return Value(
        float(days.median()) if len(days) else None,
        len(new),
        note="" if len(new) else "No families were first baselined in this period.",
    )


def _review_schedule(data: ReportData) -> pd.DataFrame:
    """Every due date so far, per family and instrument, and whether it was met (worker and
    joint ratings), on the service's one schedule."""

    def compute() -> pd.DataFrame:
        return review_schedule(
            data.assessments,
            data.families.set_index("family_id")["closed_on"],
            raters=DEFAULT_RATERS,
            today=data.today,
        )

    return data.remember("review_schedule", compute)


def reviews_on_time(data: ReportData, period: Period) -> Value:
    """Share of review due dates falling in the period that were met: a review or closure
    assessment (worker or joint) within 14 days either side of the due date.

    Reviews fall due one month after the baseline, then every three months, until the case
    closes; each assessment meets at most one due date, so one missed review does not make
    the later ones late. A due date whose 14 days have not yet passed, unmet, is not
    counted until they have.
    """
    schedule = _review_schedule(data)
    due = schedule[period.contains(schedule["due"])]
    decided = due[due["decided"]]
    met = int(decided["met"].sum())
    waiting = len(due) - len(decided)
    notes = ["" if len(due) else "No reviews fell due in this period.", waiting_note(waiting)]
    return Value(
        percent(met, len(decided)),
        decided["family_id"].nunique(),
        number=met,
        base=len(decided),
        note=" ".join(filter(None, notes)),
        pending=waiting,
    )


def waiting_note(waiting: int | str) -> str:
    """How many due dates are not counted yet: a count like any other, so ``*`` (some)
    when the published card hides it."""
    if not waiting:
        return ""
    if waiting == SUPPRESSED:
        return f"A few due dates still within {ON_TIME_DAYS} days, not counted yet."
    return (
        f"{waiting} due date{'s' if waiting != 1 else ''} still within "
        f"{ON_TIME_DAYS} days, not counted yet."
    )


def engaged(data: ReportData, period: Period) -> Value:
    """Share of families worked with that had a baseline and had not dropped out by period end."""
    families = worked_with(data, period)
    started = families[families["family_id"].isin(_baselined_by(data, period).index)]
    dropped = (started["closure_reason"] == "dropped_out") & (
        started["closed_on"] <= pd.Timestamp(period.end)
    )
    kept = int((~dropped).sum())
    return Value(
        percent(kept, len(started)),
        len(started),
        number=kept,
        note="" if len(started) else "No family worked with had a baseline by the period end.",
        base=len(started),
    )


def _feedback_in(data: ReportData, period: Period) -> pd.DataFrame:
    return data.feedback[period.contains(data.feedback["given_on"])]


def satisfaction_mean(data: ReportData, period: Period) -> Value:
    """Mean family satisfaction (1-5) from questionnaires returned in the period."""
    chosen = _feedback_in(data, period)
    return Value(
        float(chosen["satisfaction"].mean()) if len(chosen) else None,
        chosen["family_id"].nunique(),
        note="" if len(chosen) else NO_FEEDBACK,
        se=standard_error(chosen["satisfaction"]),
    )


def satisfied_share(data: ReportData, period: Period) -> Value:
    """Share of questionnaires returned in the period rating satisfaction 4 or 5."""
    chosen = _feedback_in(data, period)
    high = int((chosen["satisfaction"] >= 4).sum())
    return Value(
        percent(high, len(chosen)),
        chosen["family_id"].nunique(),
        number=high,
        note="" if len(chosen) else NO_FEEDBACK,
        base=len(chosen),
    )


def feedback_response_rate(data: ReportData, period: Period) -> Value:
    """Families who returned a questionnaire in the period, as a share of families worked with."""
    responded = _feedback_in(data, period)["family_id"].nunique()
    worked = len(worked_with(data, period))
    note = "" if worked else "No families worked with in this period."
    return Value(percent(responded, worked), worked, number=responded, note=note, base=worked)


def own_view(data: ReportData, period: Period) -> Value:
    """Of the families worked with that had any assessment dated in the period (any tool,
    any rater), the share that gave their own view: an assessment rated by the family,
    dated in the period. The breakdown says how many sent theirs from their own phone by a
    link (at least one self-completed) and how many had it entered by their key worker."""
    families = worked_with(data, period)
    assessments = data.assessments
    dated = assessments[
        period.contains(assessments["assessed_on"])
        & assessments["family_id"].isin(families["family_id"])
    ]
    assessed = dated["family_id"].nunique()
    theirs = dated[dated["rater"] == "family"]
    gave = theirs["family_id"].nunique()
    sent = theirs.loc[theirs["self_completed"].astype(bool), "family_id"].nunique()
    return Value(
        percent(gave, assessed),
        assessed,
        number=gave,
        parts={SENT_FROM_PHONE: sent, ENTERED_BY_WORKER: gave - sent},
        note="" if assessed else "No family worked with had an assessment in this period.",
        base=assessed,
    )


def data_completeness(data: ReportData, period: Period) -> Value:
    """Share of domain scores filled in (not blank or N/A) on the period's assessments."""
    chosen = data.assessments[
        (data.assessments["instrument"] == data.instrument.key)
        & period.contains(data.assessments["assessed_on"])
    ]
    slots = len(chosen) * len(data.instrument.domain_keys)
    counted = data.filled_scores()
    filled = int(counted[counted.index.isin(chosen["assessment_id"])].sum())
    return Value(
        percent(filled, slots),
        chosen["family_id"].nunique(),
        number=filled,
        note="" if slots else "No assessments in this period.",
        base=slots,
    )
