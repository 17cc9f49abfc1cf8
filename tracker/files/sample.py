"""A realistic synthetic cohort, for demos, tests and benchmarks.

No real family is in it. The generator is seeded, so the same seed, size and
"as of" date always give the same files, and it scales from the 120-family
demo to the 400,000 families of a national benchmark.

The shape follows practice: reviews one month after the baseline and then
quarterly; most families improve, some get worse before they get better
(hidden need comes out once trust is built), some drift or deteriorate, and
some drop out. Ratings are mostly the worker's or joint, with some families
also scoring themselves.

Its structure is what the figures need to be tested on. A family's areas share
its overall need, so an instrument's areas hang together (Cronbach's alpha of
the scored baselines about 0.7 to 0.8) and a reliability can be estimated from
them. Some families leave areas unscored, and some latest reviews score too few
areas to compare with the baseline. Some closed families are re-referred and
start a second journey with a new baseline.

The referral pathway and the team's feedback come from streams of their own, so adding
them left every other row as it was: most families come through the panel, about two in
five get a multi-agency package, about one referral in ten was inappropriate and was
signposted elsewhere, and key workers and panel members answer a questionnaire each
quarter. (Closure audits and case-file samples have no file: ``tracker init --sample``
makes them through the app's own records functions.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from tracker.files.canonical import CANONICAL
from tracker.files.sample_words import (
    AGENCIES,
    AREAS,
    BACKGROUNDS,
    CASE_NOTES,
    CLOSURE_NOTES,
    FEEDBACK_COMMENTS,
    FIRST_NAMES,
    GOALS,
    LAST_NAMES,
    PANEL_MEMBERS,
    PRESENTING_ISSUES,
    SIGNPOSTED_TO,
    SPECIALIST_SERVICES,
    STAKEHOLDER_COMMENTS,
)
from tracker.instruments.loader import Instrument, load_instruments
from tracker.store.vocabulary import AGE_GROUPS, REFERRAL_SOURCES, TIERS_OF_NEED

# Per-review movement in "goodness" (0 worst, 1 best) for each kind of journey.
JOURNEYS = {
    "improving": (0.60, (0.09, 0.09, 0.07)),
    "worse_first": (0.20, (-0.10, 0.14, 0.10)),
    "flat": (0.10, (0.0, 0.0, 0.0)),
    "deteriorating": (0.10, (-0.05, -0.05, -0.04)),
}
# How each kind of journey tends to close, and how often.
CLOSURE_REASONS = {
    "improving": (("wholly_achieved", "partially_achieved"), (0.6, 0.4)),
    "worse_first": (("wholly_achieved", "partially_achieved"), (0.5, 0.5)),
    "flat": (("partially_achieved", "not_achieved", "moved_away"), (1 / 3, 1 / 3, 1 / 3)),
    "deteriorating": (("stepped_up", "not_achieved"), (0.5, 0.5)),
}
# Goodness at a first baseline: its mean, and its spread within one area across families.
BASELINE_MEAN, BASELINE_SD = 0.35, 0.18
# How tightly an instrument's areas hang together within a family: the Cronbach's alpha
# of the baselines before they are rounded to the scale.
LATENT_ALPHA = 0.8
# A share of families leave an area unscored now and then (each area, at each
# assessment, with this chance); the rest score every area.
GAPPY_SHARE, GAPPY_MISSING = 0.2, 0.1
# Some latest reviews score only a few areas (a short call about the plan's areas):
# fewer than half, too few to compare with the baseline.
PARTIAL_LATEST_SHARE = 0.08
# Closed families, other than those whose goals were wholly achieved, who come back
# within 20-400 days; a new baseline 5-30 days later starts their second journey.
RE_REFERRAL_SHARE = 0.35
# How much further back a re-referred family is at its new baseline than when it closed.
SETBACK_MEAN, SETBACK_SD = 0.15, 0.05
# Per area, per review: how far an area strays from the family's course.
REVIEW_NOISE_SD = 0.07
# The referral pathway: shares through the panel, with a multi-agency package and
# inappropriate (signposted elsewhere), drawn from each family's stream number
# PATHWAY_STREAM (its instruments' streams are 1 and 2, its short name's 0).
PANEL_SHARE, PACKAGE_SHARE, INAPPROPRIATE_SHARE = 0.8, 0.4, 0.1
PATHWAY_STREAM = 10
# The team's questionnaire: this many quarters before the "as of" date, answered by up to
# this many key workers each (a county has hundreds); each one asked answers at this rate.
FEEDBACK_QUARTERS, MOST_WORKERS_ASKED, ANSWER_SHARE = 4, 40, 0.75
# How key workers and panel members tend to answer (1 poor ... 4 very good).
PATHWAY_ANSWERS, MULTI_AGENCY_ANSWERS = (0.05, 0.2, 0.5, 0.25), (0.1, 0.25, 0.45, 0.2)


@dataclass(frozen=True)
class SampleSpec:
    families: int = 120
    seed: int = 1
    as_of: date = date(2026, 11, 1)


# The sample cohort, on fixed dates: what ``tracker init --sample`` loads and what
# sample_data/ holds, so the committed files imported over a loaded sample match it row for
# row. Dated up to the day it is loaded instead, every date moved and each import of the
# files added a second history beside the first.
SAMPLE = SampleSpec()


@dataclass(frozen=True)
class Journey:
    """One run of a family's assessments: a baseline, then reviews (the last may close)."""

    kind: str
    occasions: list[tuple[str, pd.Timestamp]]
    rater: str
    self_rates: bool
    gappy: bool
    partial_latest: bool = False


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


def _family_share(domains: int) -> float:
    """The share of an area's baseline variance that is the family's overall need.

    Areas sharing a correlation r have Cronbach's alpha k·r / (1 + (k − 1)·r); this is r
    solved for ``LATENT_ALPHA``, so a 22-area and a 10-area instrument hang together alike.
    """
    return LATENT_ALPHA / (domains - (domains - 1) * LATENT_ALPHA)


def _baseline_goodness(rng: np.random.Generator, need: float, domains: int) -> np.ndarray:
    """A first baseline: the family's overall need (a standard normal, shared by every
    area and instrument) plus each area's own."""
    share = _family_share(domains)
    spread = np.sqrt(share) * need + np.sqrt(1 - share) * rng.standard_normal(domains)
    return np.clip(BASELINE_MEAN + BASELINE_SD * spread, 0, 1)


def _review_dates(
    baseline: pd.Timestamp, slips: np.ndarray, as_of: pd.Timestamp
) -> list[pd.Timestamp]:
    """One month after the baseline, then quarterly, each slipped by some days; a review
    falling after ``as_of`` has not happened yet, nor has any after it."""
    dates = []
    for k, slip in enumerate(slips):
        actual = baseline + pd.DateOffset(months=1 + 3 * k) + pd.Timedelta(days=int(slip))
        if actual > as_of:
            break
        dates.append(actual)
    return dates


def _journey_scores(
    rng: np.random.Generator,
    ref: str,
    instrument: Instrument,
    journey: Journey,
    goodness: np.ndarray,
    scores: list[tuple],
) -> np.ndarray:
    """Append the journey's score rows for ``instrument``; the goodness it ends at."""
    domains = len(instrument.domain_keys)
    for step, (occasion, when) in enumerate(journey.occasions):
        if step:
            shift = JOURNEYS[journey.kind][1][min(step - 1, 2)]
            goodness = np.clip(goodness + shift + rng.normal(0, REVIEW_NOISE_SD, domains), 0, 1)
        unscored = np.zeros(domains, dtype=bool)
        if journey.gappy:
            unscored = rng.random(domains) < GAPPY_MISSING
        if step and journey.partial_latest and step == len(journey.occasions) - 1:
            few = rng.choice(domains, size=int(rng.integers(3, -(-domains // 2))), replace=False)
            unscored = ~np.isin(np.arange(domains), few)
        raters = [(journey.rater, goodness)]
        if journey.self_rates:
            raters.append(("family", np.clip(goodness + rng.normal(0.06, 0.1), 0, 1)))
        day = when.date().isoformat()
        for who, level in raters:
            values = _to_scale(level, instrument)
            values[unscored] = np.nan
            for domain, value in zip(instrument.domain_keys, values, strict=True):
                scores.append((ref, instrument.key, occasion, day, who, domain, _fmt(value), ""))
    return goodness


def _activities(
    rng: np.random.Generator, ref: str, start: pd.Timestamp, end: pd.Timestamp
) -> list[tuple]:
    """Coordination every month from ``start`` to ``end``, and direct work in most."""
    rows = []
    for month in range(max(1, int((end - start).days // 30))):
        day = start + pd.Timedelta(days=30 * month + int(rng.integers(0, 28)))
        if day > end:
            break
        on = day.date().isoformat()
        rows.append((ref, on, float(rng.choice([0.5, 1, 1.5, 2, 3])), "coordination"))
        if rng.random() < 0.7:
            rows.append((ref, on, float(rng.choice([1, 1.5, 2, 3, 4])), "direct_work"))
    return rows


def _short_name(rng: np.random.Generator) -> str:
    """What a key worker might call the family: mostly a household, some initials, a few
    nothing. From a stream of its own, so the rest of the family is as it was without it."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    kind = rng.random()
    if kind < 0.7:
        return f"{last} household"
    return f"{first[0]}{last[0]}" if kind < 0.9 else ""


def _journey_kind(rng: np.random.Generator) -> str:
    kinds = list(JOURNEYS)
    return kinds[rng.choice(len(kinds), p=[JOURNEYS[kind][0] for kind in kinds])]


def _pathway(
    rng: np.random.Generator, referral: pd.Timestamp, baseline: pd.Timestamp
) -> dict[str, str]:
    """A family's referral pathway, as families.csv's columns hold it. The panel meets
    within days of a referral and decides within a fortnight; first contact follows the
    referral (or the panel's decision) by a few days, never after the baseline visit."""
    via_panel = rng.random() < PANEL_SHARE
    to_panel, deciding = int(rng.integers(0, 4)), int(rng.integers(3, 15))
    inappropriate, signposted = rng.random() < INAPPROPRIATE_SHARE, rng.choice(SIGNPOSTED_TO)
    package = rng.random() < PACKAGE_SHARE
    agencies = rng.choice(AGENCIES, size=int(rng.integers(2, 4)), replace=False)
    contact_after = pd.Timedelta(days=int(rng.integers(1, 8)))
    panel_on = referral + pd.Timedelta(days=to_panel) if via_panel else None
    decided_on = panel_on + pd.Timedelta(days=deciding) if via_panel else None
    contact = min((decided_on if via_panel else referral) + contact_after, baseline)

    def day(when: pd.Timestamp | None) -> str:
        return "" if when is None else when.date().isoformat()

    return {
        "panel_referral_on": day(panel_on),
        "panel_decision_on": day(decided_on),
        "multi_agency_package": "" if inappropriate else ("yes" if package else "no"),
        "agencies": "; ".join(sorted(agencies)) if package and not inappropriate else "",
        "referral_outcome": "inappropriate" if inappropriate else "accepted",
        "signposted_to": str(signposted) if inappropriate else "",
        "first_contact_on": "" if inappropriate else day(contact),
    }


def _stakeholder_feedback(spec: SampleSpec, workers: pd.DataFrame) -> list[tuple]:
    """Each of the last ``FEEDBACK_QUARTERS`` whole quarters before the "as of" date: most
    key workers (up to ``MOST_WORKERS_ASKED``) and panel members answer, by name."""
    rng = np.random.default_rng([spec.seed, 0, PATHWAY_STREAM])
    last = pd.Period(spec.as_of, freq="Q") - 1
    rows = []
    for quarter in pd.period_range(end=last, periods=FEEDBACK_QUARTERS, freq="Q"):
        start, end = quarter.start_time.date().isoformat(), quarter.end_time.date().isoformat()
        asked = [("key_worker", name) for name in workers["name"].iloc[:MOST_WORKERS_ASKED]] + [
            ("panel_member", name) for name in PANEL_MEMBERS
        ]
        for role, name in asked:
            if rng.random() >= ANSWER_SHARE:
                continue
            pathway = int(rng.choice([1, 2, 3, 4], p=PATHWAY_ANSWERS))
            multi_agency = int(rng.choice([1, 2, 3, 4], p=MULTI_AGENCY_ANSWERS))
            comment = str(rng.choice(STAKEHOLDER_COMMENTS)) if rng.random() < 0.5 else ""
            rows.append((start, end, role, name, pathway, multi_agency, comment))
    return rows


def generate(spec: SampleSpec) -> dict[str, pd.DataFrame]:
    """The canonical files of a synthetic cohort, by file stem.

    Each family draws from streams of its own, and draws everything about itself before
    anything that depends on the "as of" date; its scores draw from one stream per
    instrument, baseline first. So a review falling after the last date changes only that
    family's later rows, and every baseline's scores are the same whatever the date.
    """
    instruments = load_instruments()
    taf, star = instruments["taf-dtt"], instruments["family-outcomes-10"]
    as_of = pd.Timestamp(spec.as_of)

    workers = _key_workers(np.random.default_rng(spec.seed), max(8, round(spec.families / 15)))
    area_count = max(4, min(len(AREAS), spec.families // 1000))

    families, scores, goals, activities, referrals, feedback, notes = [], [], [], [], [], [], []
    for number in range(1, spec.families + 1):
        rng = np.random.default_rng([spec.seed, number])
        ref = f"FAM-{number:06d}"
        worker = workers["name"].iloc[int(rng.integers(0, len(workers)))]
        area = AREAS[int(rng.integers(0, area_count))]
        tier = TIERS_OF_NEED[rng.choice(3, p=[0.45, 0.3, 0.25])]
        source, age_group = rng.choice(REFERRAL_SOURCES), rng.choice(AGE_GROUPS)
        disability = rng.random()
        issues = rng.choice(PRESENTING_ISSUES, size=int(rng.integers(1, 4)), replace=False)
        consent = str(rng.choice(["yes", "no", ""], p=[0.85, 0.1, 0.05]))
        # More recent referrals than old ones, as in a growing service with open cases.
        referral = as_of - pd.Timedelta(days=int(min(730, 20 + rng.exponential(200))))
        baseline = min(referral + pd.Timedelta(days=int(rng.integers(5, 40))), as_of)
        kind = _journey_kind(rng)
        drops_out = rng.random() < 0.10
        # A family's course runs for 1-3 reviews and closes at the last; courses still
        # running on the "as of" date are open cases, and a few have missed a review.
        course = int(rng.integers(0, 2) if drops_out else rng.choice([1, 2, 3], p=[0.3, 0.4, 0.3]))
        misses_latest = rng.random() < 0.2
        slips = rng.integers(-7, 15, size=course)
        reasons, weights = CLOSURE_REASONS[kind]
        closes_as, closes_after = rng.choice(reasons, p=weights), int(rng.integers(0, 15))
        uses = [taf if rng.random() < 0.6 else star]
        if rng.random() < 0.1:
            uses.append(star if uses[0] is taf else taf)
        rater = "joint" if rng.random() < 0.35 else "worker"
        self_rates, gappy = rng.random() < 0.10, rng.random() < GAPPY_SHARE
        partial_latest = rng.random() < PARTIAL_LATEST_SHARE
        need = rng.standard_normal()
        comes_back = rng.random() < RE_REFERRAL_SHARE
        back_after, rebaseline_after = int(rng.integers(20, 400)), int(rng.integers(5, 30))
        second_kind, second_slips = _journey_kind(rng), rng.integers(-7, 15, size=3)

        review_dates = _review_dates(baseline, slips, as_of)
        finished = len(review_dates) == course
        if not finished and review_dates and misses_latest:
            review_dates.pop()
        last_seen = review_dates[-1] if review_dates else baseline
        closed_on, closure_reason = None, None
        if drops_out and last_seen + pd.Timedelta(days=45) <= as_of:
            closed_on, closure_reason = last_seen + pd.Timedelta(days=45), "dropped_out"
        elif not drops_out and finished and review_dates:
            closed_on = min(last_seen + pd.Timedelta(days=closes_after), as_of)
            closure_reason = str(closes_as)
        occasions = [("baseline", baseline)] + [("review", when) for when in review_dates]
        if closed_on is not None and closure_reason != "dropped_out" and review_dates:
            occasions[-1] = ("closure", occasions[-1][1])
        first = Journey(kind, occasions, rater, self_rates, gappy, partial_latest)

        # Back after closing: a new baseline after the re-referral starts a second journey
        # of the same instruments, reviewed on the same schedule.
        re_referred, second = None, None
        if closed_on is not None and closure_reason != "wholly_achieved" and comes_back:
            again = closed_on + pd.Timedelta(days=back_after)
            re_referred = again if again <= as_of else None
        if re_referred is not None:
            rebaseline = re_referred + pd.Timedelta(days=rebaseline_after)
            if rebaseline <= as_of:
                second = Journey(
                    second_kind,
                    [("baseline", rebaseline)]
                    + [("review", on) for on in _review_dates(rebaseline, second_slips, as_of)],
                    rater,
                    self_rates,
                    gappy,
                )

        for position, instrument in enumerate(uses, start=1):
            scores_rng = np.random.default_rng([spec.seed, number, position])
            domains = len(instrument.domain_keys)
            goodness = _baseline_goodness(scores_rng, need, domains)
            goodness = _journey_scores(scores_rng, ref, instrument, first, goodness, scores)
            if second is not None:
                setback = scores_rng.normal(SETBACK_MEAN, SETBACK_SD) + scores_rng.normal(
                    0, REVIEW_NOISE_SD, domains
                )
                goodness = np.clip(goodness - setback, 0, 1)
                _journey_scores(scores_rng, ref, instrument, second, goodness, scores)

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
                        if kind in ("improving", "worse_first")
                        else [0.15, 0.35, 0.5],
                    )
                    status_on = closed_on.date().isoformat()
                goals.append((ref, text, domain, status, baseline.date().isoformat(), status_on))

        end = closed_on if closed_on is not None else as_of
        activities.extend(_activities(rng, ref, baseline, end))
        if second is not None:
            activities.extend(_activities(rng, ref, second.occasions[0][1], as_of))
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
        # By name, as families.csv's columns grow (the short name came after the rest).
        families.append(
            {
                "family_ref": ref,
                "area": area,
                "tier_of_need": tier,
                "key_worker": worker,
                "referral_source": source,
                "referral_date": referral.date().isoformat(),
                "closed_on": closed_on.date().isoformat() if closed_on is not None else "",
                "closure_reason": closure_reason or "",
                "closure_note": CLOSURE_NOTES.get(closure_reason, ""),
                "age_group": age_group,
                "child_disability": "yes"
                if disability < 0.15
                else ("no" if disability < 0.85 else ""),
                "presenting_issues": "; ".join(sorted(issues)),
                "re_referred_on": re_referred.date().isoformat() if re_referred is not None else "",
                "consent_to_share": consent,
                "consent_on": baseline.date().isoformat() if consent else "",
                "short_name": _short_name(np.random.default_rng([spec.seed, number, 0])),
                **_pathway(
                    np.random.default_rng([spec.seed, number, PATHWAY_STREAM]), referral, baseline
                ),
            }
        )

    rows = {
        "families": families,
        "scores": scores,
        "goals": goals,
        "activities": activities,
        "referrals_on": referrals,
        "feedback": feedback,
        "notes": notes,
        "stakeholder_feedback": _stakeholder_feedback(spec, workers),
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
