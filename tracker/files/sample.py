"""A realistic synthetic cohort, for demos, tests and benchmarks.

No real family is in it. The generator is seeded, so the same seed, size and
"as of" date always give the same files, and it scales from the 120-family
demo to the 400,000 families of a national benchmark.

The shape follows practice: reviews one month after the baseline and then
quarterly; most families improve, some get worse before they get better
(hidden need comes out once trust is built), some drift or deteriorate, and
some drop out. Ratings are mostly the worker's or joint, with some families
also scoring themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tracker.files.canonical import CANONICAL
from tracker.instruments.loader import Instrument, load_instruments

FIRST_NAMES = (
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Marcus",
    "Nadia",
    "Owen",
    "Priya",
    "Rosie",
    "Sam",
    "Tariq",
    "Zoe",
)
LAST_NAMES = (
    "Ahmed",
    "Brennan",
    "Clarke",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
)
AREAS = (
    "Northfield",
    "Riverside",
    "Eastgate",
    "Westbrook",
    "Hillcrest",
    "Southmoor",
    "Castleton",
    "Meadowbank",
    "Oakley",
    "Brookside",
    "Kingsway",
    "Ashford",
)
BACKGROUNDS = ("family_support", "social_work", "health", "education", "youth_work")
REFERRAL_SOURCES = (
    "School",
    "Health visitor",
    "GP",
    "Children's social care",
    "Police",
    "Self-referral",
    "Housing",
)
PRESENTING_ISSUES = (
    "school attendance",
    "parenting",
    "domestic abuse",
    "parental mental health",
    "child behaviour",
    "debt",
    "housing",
    "substance misuse",
    "child emotional health",
)
SPECIALIST_SERVICES = (
    "Children's social care",
    "Child and adolescent mental health",
    "Adult mental health",
    "Substance misuse service",
    "Domestic abuse service",
    "Housing options",
)
CLOSURE_NOTES = {
    "partially_achieved": "Most goals met; the family chose to carry on with the school's support.",
    "not_achieved": "The plan no longer fitted the family; revisit it if they are re-referred.",
    "stepped_up": "Concerns grew at review; referred on to children's social care with consent.",
    "moved_away": "The family moved out of the area; details passed to the new local team.",
    "dropped_out": "Stopped answering calls and missed two visits; letter sent to close the case.",
}
CASE_NOTES = (
    "Home visit: talked through the plan with both parents.",
    "Met the school's pastoral lead about attendance.",
    "Family asked for help with a benefits form; done together.",
    "Phone call: things are calmer this week.",
    "Team Around the Family meeting held; actions agreed.",
)
FEEDBACK_COMMENTS = (
    "Our key worker listened and did not judge us.",
    "Things are calmer at home now.",
    "It took a while to get started.",
    "Would have liked more evening visits.",
    "The school meetings really helped.",
)
GOALS = {
    "taf-dtt": (
        ("routines_boundaries", "Keep to a bedtime routine on school nights"),
        ("participation_learning_education_work", "Get to school on time every day"),
        ("income_employment_finance", "Set up a plan to pay off rent arrears"),
        ("mental_health_wellbeing", "Parent to see the GP about low mood"),
        ("behavioural_development", "Fewer angry outbursts at home"),
        ("social_community_links", "Join a local parents' group"),
        ("housing", "Get the damp in the flat repaired"),
    ),
    "family-outcomes-10": (
        ("family_routine", "Eat one meal a day together"),
        ("education_learning", "Go to every parents' evening this year"),
        ("home_money", "Open a basic bank account and budget weekly"),
        ("wellbeing", "Take half an hour a day for myself"),
        ("boundaries_behaviour", "Agree three house rules with the children"),
        ("progress_to_work", "Enrol on a short college course"),
        ("social_networks", "Ask a friend or relative for help once a week"),
    ),
}
AGE_GROUPS = ("0-4", "5-10", "11-15", "16-19")
TIERS = ("tier 2", "tier 2-3", "tier 3")

# Per-review movement in "goodness" (0 worst, 1 best) for each kind of journey.
JOURNEYS = {
    "improving": (0.60, (0.09, 0.09, 0.07)),
    "worse_first": (0.20, (-0.10, 0.14, 0.10)),
    "flat": (0.10, (0.0, 0.0, 0.0)),
    "deteriorating": (0.10, (-0.05, -0.05, -0.04)),
}


@dataclass(frozen=True)
class SampleSpec:
    families: int = 120
    seed: int = 1
    as_of: date = date(2026, 11, 1)


def _key_workers(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Distinct names: the first and last name lists repeat in pairs after 120 workers,
    so a repeated pair takes a number, as a county with 700 key workers needs."""
    names, uses = [], {}
    for index in range(count):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
        name = f"{first} {last}"
        uses[name] = uses.get(name, 0) + 1
        names.append(name if uses[name] == 1 else f"{name} {uses[name]}")
    return pd.DataFrame(
        {
            "name": names,
            "background": rng.choice(BACKGROUNDS, size=count),
            "dedicated": np.where(rng.random(count) < 0.7, "yes", "no"),
        }
    )


def _to_scale(goodness: np.ndarray, instrument: Instrument) -> np.ndarray:
    """Map goodness in [0, 1] to the instrument's scale and step, in its direction."""
    position = goodness if instrument.higher_is_better else 1 - goodness
    raw = instrument.scale_min + np.clip(position, 0, 1) * instrument.scale_span
    stepped = np.round((raw - instrument.scale_min) / instrument.step) * instrument.step
    return instrument.scale_min + stepped


def _fmt(value: float) -> str:
    return "NA" if np.isnan(value) else f"{value:g}"


def generate(spec: SampleSpec) -> dict[str, pd.DataFrame]:
    """The canonical files of a synthetic cohort, by file stem."""
    rng = np.random.default_rng(spec.seed)
    instruments = load_instruments()
    taf, star = instruments["taf-dtt"], instruments["family-outcomes-10"]
    as_of = pd.Timestamp(spec.as_of)

    workers = _key_workers(rng, max(8, round(spec.families / 15)))
    area_count = max(4, min(len(AREAS), spec.families // 1000))
    journeys = list(JOURNEYS)
    journey_p = [JOURNEYS[name][0] for name in journeys]

    families, scores, goals, activities, referrals, feedback, notes = [], [], [], [], [], [], []
    for number in range(1, spec.families + 1):
        ref = f"FAM-{number:06d}"
        worker = workers["name"].iloc[int(rng.integers(0, len(workers)))]
        # More recent referrals than old ones, as in a growing service with open cases.
        referral = as_of - pd.Timedelta(days=int(min(730, 20 + rng.exponential(200))))
        baseline = min(referral + pd.Timedelta(days=int(rng.integers(5, 40))), as_of)
        journey = journeys[rng.choice(len(journeys), p=journey_p)]
        drops_out = rng.random() < 0.10

        # Reviews fall one month after the baseline, then quarterly, with some slippage.
        # A family's course runs for 1-3 reviews and closes at the last; courses still
        # running on the "as of" date are open cases, and a few have missed a review.
        course = int(rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
        if drops_out:
            course = int(rng.integers(0, 2))
        misses_latest = rng.random() < 0.2
        review_dates = []
        for k in range(course):
            actual = (
                baseline
                + pd.DateOffset(months=1 + 3 * k)
                + pd.Timedelta(days=int(rng.integers(-7, 15)))
            )
            if actual > as_of:
                break
            review_dates.append(actual)
        finished = len(review_dates) == course
        if not finished and review_dates and misses_latest:
            review_dates.pop()
        last_seen = review_dates[-1] if review_dates else baseline

        closed_on, closure_reason = None, None
        if drops_out and last_seen + pd.Timedelta(days=45) <= as_of:
            closed_on, closure_reason = last_seen + pd.Timedelta(days=45), "dropped_out"
        elif not drops_out and finished and review_dates:
            closed_on = min(last_seen + pd.Timedelta(days=int(rng.integers(0, 15))), as_of)
            closure_reason = {
                "improving": rng.choice(["wholly_achieved", "partially_achieved"], p=[0.6, 0.4]),
                "worse_first": rng.choice(["wholly_achieved", "partially_achieved"]),
                "flat": rng.choice(["partially_achieved", "not_achieved", "moved_away"]),
                "deteriorating": rng.choice(["stepped_up", "not_achieved"]),
            }[journey]

        uses = [taf if rng.random() < 0.7 else star]
        if rng.random() < 0.08:
            uses.append(star if uses[0] is taf else taf)
        rater = "joint" if rng.random() < 0.35 else "worker"
        self_rates = rng.random() < 0.10

        for instrument in uses:
            domains = instrument.domain_keys
            goodness = np.clip(rng.normal(0.35, 0.18, len(domains)), 0, 1)
            occasions = [("baseline", baseline)] + [("review", when) for when in review_dates]
            if closed_on is not None and closure_reason != "dropped_out" and review_dates:
                occasions[-1] = ("closure", occasions[-1][1])
            for step, (occasion, when) in enumerate(occasions):
                if step:
                    shift = JOURNEYS[journey][1][min(step - 1, 2)]
                    goodness = np.clip(goodness + shift + rng.normal(0, 0.07, len(domains)), 0, 1)
                raters = [(rater, goodness)]
                if self_rates:
                    raters.append(("family", np.clip(goodness + rng.normal(0.06, 0.1), 0, 1)))
                for who, level in raters:
                    values = _to_scale(level, instrument)
                    values[rng.random(len(domains)) < 0.03] = np.nan
                    day = when.date().isoformat()
                    for domain, value in zip(domains, values, strict=True):
                        scores.append(
                            (ref, instrument.key, occasion, day, who, domain, _fmt(value), "")
                        )

            for domain, text in [
                GOALS[instrument.key][i]
                for i in rng.choice(
                    len(GOALS[instrument.key]), size=int(rng.integers(2, 5)), replace=False
                )
            ]:
                if closure_reason is None:
                    status, status_on = "open", ""
                elif closure_reason == "dropped_out":
                    status, status_on = "dropped_out", closed_on.date().isoformat()
                else:
                    status = rng.choice(
                        ["wholly_achieved", "partially_achieved", "not_achieved"],
                        p=[0.6, 0.25, 0.15]
                        if journey in ("improving", "worse_first")
                        else [0.15, 0.35, 0.5],
                    )
                    status_on = closed_on.date().isoformat()
                goals.append((ref, text, domain, status, baseline.date().isoformat(), status_on))

        end = closed_on if closed_on is not None else as_of
        months = max(1, int((end - baseline).days // 30))
        for month in range(months):
            day = baseline + pd.Timedelta(days=30 * month + int(rng.integers(0, 28)))
            if day > end:
                break
            activities.append(
                (
                    ref,
                    day.date().isoformat(),
                    float(rng.choice([0.5, 1, 1.5, 2, 3])),
                    "coordination",
                )
            )
            if rng.random() < 0.7:
                activities.append(
                    (
                        ref,
                        day.date().isoformat(),
                        float(rng.choice([1, 1.5, 2, 3, 4])),
                        "direct_work",
                    )
                )
        if rng.random() < 0.12 or closure_reason == "stepped_up":
            span = max(1, (end - baseline).days)
            when = baseline + pd.Timedelta(days=int(rng.integers(0, span)))
            referrals.append((ref, rng.choice(SPECIALIST_SERVICES), when.date().isoformat()))
        if review_dates and rng.random() < 0.45:
            comment = rng.choice(FEEDBACK_COMMENTS) if rng.random() < 0.5 else ""
            satisfaction = int(rng.choice([1, 2, 3, 4, 5], p=[0.03, 0.07, 0.15, 0.4, 0.35]))
            feedback.append((ref, last_seen.date().isoformat(), satisfaction, comment))

        for when in sorted({baseline, *review_dates})[: int(rng.integers(0, 3))]:
            notes.append((ref, when.date().isoformat(), worker, rng.choice(CASE_NOTES)))
        re_referred = ""
        if closed_on is not None and closure_reason != "wholly_achieved" and rng.random() < 0.25:
            again = closed_on + pd.Timedelta(days=int(rng.integers(20, 500)))
            re_referred = again.date().isoformat() if again <= as_of else ""
        consent = str(rng.choice(["yes", "no", ""], p=[0.85, 0.1, 0.05]))
        issues = rng.choice(PRESENTING_ISSUES, size=int(rng.integers(1, 4)), replace=False)
        disability = rng.random()
        families.append(
            (
                ref,
                AREAS[int(rng.integers(0, area_count))],
                TIERS[rng.choice(3, p=[0.45, 0.3, 0.25])],
                worker,
                rng.choice(REFERRAL_SOURCES),
                referral.date().isoformat(),
                closed_on.date().isoformat() if closed_on is not None else "",
                closure_reason or "",
                CLOSURE_NOTES.get(closure_reason, ""),
                rng.choice(AGE_GROUPS),
                "yes" if disability < 0.15 else ("no" if disability < 0.85 else ""),
                "; ".join(sorted(issues)),
                re_referred,
                consent,
                baseline.date().isoformat() if consent else "",
            )
        )

    rows = {
        "families": families,
        "scores": scores,
        "goals": goals,
        "activities": activities,
        "referrals_on": referrals,
        "feedback": feedback,
        "notes": notes,
    }
    frames = {
        name: pd.DataFrame(records, columns=list(CANONICAL[name].columns))
        for name, records in rows.items()
    }
    frames["activities"]["hours"] = frames["activities"]["hours"].map(lambda hours: f"{hours:g}")
    return {"key_workers": workers, **frames}


def sample_end_date(today: date) -> date:
    """The sample is dated up to yesterday so nothing in it is ever in the future."""
    return today - timedelta(days=1)
