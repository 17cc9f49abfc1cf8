"""The report card's measures, in the order the card shows them, with what they are.

Each entry says which quadrant a measure answers, its label and unit, which way is
better, and the function that works it out; that function's docstring is the
definition the card and every export print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracker.measures.periods import Period
from tracker.measures.reportcard.data import ReportData
from tracker.measures.reportcard.effect_measures import (
    cost_per_family,
    cost_per_hour,
    cost_per_reliable_improvement,
    goals_achieved,
    mean_distance_travelled,
    plan_outcomes,
    referrals_on_per_100,
    reliable_improvement,
)
from tracker.measures.reportcard.effort_measures import (
    baselines_completed,
    cases_closed,
    coordination_share,
    data_completeness,
    engaged,
    families_worked_with,
    feedback_response_rate,
    hours_of_service,
    median_days_to_baseline,
    new_families,
    own_view,
    re_referrals,
    referrals_on,
    reviews_completed,
    reviews_on_time,
    satisfaction_mean,
    satisfied_share,
    time_with_key_worker,
)
from tracker.measures.reportcard.quality_measures import (
    GOOD_OR_BETTER,
    case_files_engagement,
    case_files_innovation,
    case_files_multi_agency,
    closure_audits_completed,
    days_to_first_contact,
    inappropriate_referrals,
    multi_agency_packages,
    panel_referrals,
    stakeholders_multi_agency,
    stakeholders_pathway,
)
from tracker.measures.reportcard.value import Value
from tracker.store.vocabulary import GRADES

QUADRANTS = {
    "how_much": "How much did we do?",
    "how_well": "How well did we do it?",
    "better_off": "Is anyone better off?",
    "cost": "Is it cost effective?",
}


# The values each unit can take: a forecast is clipped to them and a chart's axis shows
# them from the bottom (zero for counts and percentages). A score (a mean change) can go
# either way.
UNIT_RANGES: dict[str, tuple[float | None, float | None]] = {
    "count": (0, None),
    "pct": (0, 100),
    "hours": (0, None),
    "days": (0, None),
    "money": (0, None),
    "rate": (0, None),
    "score": (None, None),
}


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    quadrant: str
    label: str
    unit: str  # one of UNIT_RANGES
    higher_is_better: bool | None
    compute: Callable[[ReportData, Period], Value]
    # The measure's own range where it is narrower than its unit's (a 1-5 rating, say).
    value_range: tuple[float | None, float | None] | None = None

    @property
    def definition(self) -> str:
        return " ".join((self.compute.__doc__ or "").split())

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The lowest and highest values the measure can take (None: unbounded)."""
        return self.value_range or UNIT_RANGES[self.unit]


GOOD_FILES = f"Case files {GRADES['good']} or {GRADES['outstanding']}"
# Each case-file quality (CASE_FILE_QUALITIES) in a few words, for a label that fits a row;
# the definition gives it in full.
QUALITIES_SHORT = {
    "engagement": "engagement with the family",
    "multi_agency": "multi-agency support",
    "innovation": "innovation and creativity",
}
TEAM = "Key workers and panel members"

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
    MeasureSpec("panel_referrals", "how_much", "Panel referrals", "count", None, panel_referrals),
    MeasureSpec(
        "multi_agency_packages",
        "how_much",
        "Families with a multi-agency package",
        "count",
        None,
        multi_agency_packages,
    ),
    MeasureSpec(
        "inappropriate_referrals",
        "how_much",
        "Inappropriate referrals (signposted elsewhere)",
        "count",
        False,
        inappropriate_referrals,
    ),
    MeasureSpec(
        "days_to_first_contact",
        "how_well",
        "Median days from referral to first contact",
        "days",
        False,
        days_to_first_contact,
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
        value_range=(1, 5),
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
    MeasureSpec(
        "own_view",
        "how_well",
        "Families who gave their own view",
        "pct",
        True,
        own_view,
    ),
    MeasureSpec(
        "stakeholders_pathway",
        "how_well",
        f"{TEAM}: pathway {GOOD_OR_BETTER}",
        "pct",
        True,
        stakeholders_pathway,
    ),
    MeasureSpec(
        "stakeholders_multi_agency",
        "how_well",
        f"{TEAM}: multi-agency working {GOOD_OR_BETTER}",
        "pct",
        True,
        stakeholders_multi_agency,
    ),
    MeasureSpec("data_completeness", "how_well", "Domains scored", "pct", True, data_completeness),
    MeasureSpec(
        "closure_audits_completed",
        "how_well",
        "Closure audits completed",
        "pct",
        True,
        closure_audits_completed,
    ),
    *(
        MeasureSpec(
            f"case_files_{quality}",
            "how_well",
            f"{GOOD_FILES}: {QUALITIES_SHORT[quality]}",
            "pct",
            True,
            compute,
        )
        for quality, compute in (
            ("engagement", case_files_engagement),
            ("multi_agency", case_files_multi_agency),
            ("innovation", case_files_innovation),
        )
    ),
    MeasureSpec(
        "reliable_improvement",
        "better_off",
        "Families reliably better off",
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
        "cost_per_reliable_improvement",
        "cost",
        "Cost per family reliably better off",
        "money",
        False,
        cost_per_reliable_improvement,
    ),
)


MEASURES_BY_KEY = {spec.key: spec for spec in MEASURES}
