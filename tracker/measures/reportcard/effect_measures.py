"""The report card's measures of effect: "Is anyone better off?" and "Is it cost effective?".

Better off is reliably better: a family's overall change is beyond what two readings of
an unchanged family would show, against the service's one yardstick (``data.yardstick``,
never re-estimated for a scope or a quarter), and a family is judged only when at least
half the instrument's areas were scored at both ends. Baseline and latest follow the
cohort rules (docs/metrics.md): worker and joint ratings, the family's first journey.
The cost measures divide the programme cost a manager entered for exactly that period
and scope. Each docstring is the measure's definition.
"""

from __future__ import annotations

import math

import pandas as pd

from tracker.measures.cohort.statistics import percent
from tracker.measures.periods import Period
from tracker.measures.reliable_change import CLASSES, class_counts
from tracker.measures.reportcard.data import ReportData
from tracker.measures.reportcard.effort_measures import hours_of_service, worked_with
from tracker.measures.reportcard.pairs import reviewed_changes
from tracker.measures.reportcard.value import (
    NO_COST_ENTERED,
    NO_FAMILIES_REVIEWED,
    Value,
    standard_error,
)
from tracker.store.vocabulary import CLOSURE_REASONS

NOBODY_REVIEWED = "No families were reviewed in this period."
NOT_CLASSIFIABLE = "Not classifiable (under half the areas scored at both ends)"


def reviewed_in(data: ReportData, period: Period) -> pd.DataFrame:
    """Families whose latest assessment up to the period end falls in the period, with
    their overall change, whether they can be classified, and their reliable change index.

    Baseline and latest follow the cohort rules (worker and joint ratings, first journey).
    """
    return reviewed_changes(data, period)


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
        return Value(
            None,
            families,
            note="No programme cost entered for this period.",
            missing=NO_COST_ENTERED,
        )
    if not denominator:
        return Value(None, families, note=f"No {what} in this period.", cost=cost, per=0)
    return Value(cost / denominator, families, cost=cost, per=denominator)


# --------------------------------------------------------------------------- better off


def reliable_improvement(data: ReportData, period: Period) -> Value:
    """Families reviewed in the period who are reliably better off: their overall change is
    more than 1.96 × S_diff, the service's yardstick for reliable change, as a share of the
    families that could be classified.

    "Reviewed" means their latest assessment up to the period end falls in the period; the
    change compares it with their first baseline. A family is classified only when at
    least half the instrument's areas were scored at both ends; the rest are counted, not
    judged.
    """
    reviewed = reviewed_in(data, period)
    if not len(reviewed):
        return Value(None, 0, note=NOBODY_REVIEWED, missing=NO_FAMILIES_REVIEWED)
    if data.yardstick.s_diff is None:
        return Value(None, len(reviewed), note=data.yardstick.caption())
    counts = class_counts(reviewed)
    classified = len(reviewed) - counts["not_classifiable"]
    better = counts["reliable_improvement"]
    parts = {label: counts[key] for key, label in CLASSES.items()}
    parts[NOT_CLASSIFIABLE] = counts["not_classifiable"]
    return Value(
        percent(better, classified),
        classified,
        number=better,
        parts=parts,
        note="" if classified else "No family reviewed had half the areas scored at both ends.",
        base=classified,
    )


def mean_distance_travelled(data: ReportData, period: Period) -> Value:
    """Mean overall distance travelled of the families reviewed in the period (+ is better),
    whether or not the change is beyond measurement error."""
    reviewed = reviewed_in(data, period)
    return Value(
        float(reviewed["change"].mean()) if len(reviewed) else None,
        len(reviewed),
        note="" if len(reviewed) else NOBODY_REVIEWED,
        se=standard_error(reviewed["change"].astype(float)),
        missing=NO_FAMILIES_REVIEWED,
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
        parts[f"{CLOSURE_REASONS[key]} (%)"] = percent(count, len(closed))
    return Value(
        percent(counts["wholly_achieved"], len(closed)),
        len(closed),
        number=counts["wholly_achieved"],
        parts=parts,
        note="" if len(closed) else "No cases closed in this period.",
        base=len(closed),
    )


def goals_achieved(data: ReportData, period: Period) -> Value:
    """Share of plan goals given an outcome in the period that were wholly achieved."""
    decided = data.goals[
        (data.goals["status"] != "open") & period.contains(data.goals["status_on"])
    ]
    achieved = int((decided["status"] == "wholly_achieved").sum())
    return Value(
        percent(achieved, len(decided)),
        decided["family_id"].nunique(),
        number=achieved,
        note="" if len(decided) else "No plan goals were given an outcome in this period.",
        base=len(decided),
    )


def referrals_on_per_100(data: ReportData, period: Period) -> Value:
    """Referrals on to specialist services in the period per 100 families worked with."""
    worked = len(worked_with(data, period))
    made = len(data.referrals_on[period.contains(data.referrals_on["referred_on"])])
    note = "" if worked else "No families worked with in this period."
    return Value(percent(made, worked), worked, number=made, note=note)


# --------------------------------------------------------------------------- cost


def cost_per_hour(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by its hours of service (fully inclusive)."""
    hours = hours_of_service(data, period)
    return _cost_per(data, period, hours.value or 0, hours.families, "hours of service")


def cost_per_family(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by the families worked with."""
    worked = len(worked_with(data, period))
    return _cost_per(data, period, worked, worked, "families worked with")


def cost_per_reliable_improvement(data: ReportData, period: Period) -> Value:
    """Programme cost for the period divided by the families reliably better off (see
    above)."""
    measure = reliable_improvement(data, period)
    value = _cost_per(
        data, period, measure.number or 0, measure.families, "families reliably better off"
    )
    if value.value is None or not measure.base:
        return value
    return Value(
        value.value,
        value.families,
        se=cost_per_count_se(value.value, measure.number, measure.base),
        cost=value.cost,
        per=value.per,
    )


def cost_per_count_se(cost_per: float, count: float, base: float) -> float:
    """The standard error of a cost per family counted out of ``base``: the count is
    binomial, n p (1 - p), and the cost over it carries that noise, se(C / k) = C × se(k)
    / k², by the delta method."""
    return cost_per * math.sqrt(count * (1 - count / base)) / count
