"""The report card's pathway and quality-assurance measures (docs/metrics.md).

"How much": panel referrals, multi-agency packages and inappropriate referrals; "How
well": days from referral to first contact, closure audits completed, the sampled case
files' grades and the feedback of key workers and panel members. Each docstring is the
measure's definition. The pathway fields are optional and older records have none, so a
measure with nothing recorded for the families it looks at says "Not recorded" rather
than show a count of 0 that nobody counted.
"""

from __future__ import annotations

import pandas as pd

from tracker.measures.cohort.loading import NOT_RECORDED, in_order
from tracker.measures.cohort.statistics import percent
from tracker.measures.periods import Period
from tracker.measures.reportcard.data import ReportData
from tracker.measures.reportcard.effort_measures import worked_with
from tracker.measures.reportcard.value import Value
from tracker.store.vocabulary import (
    FEEDBACK_SCALE,
    GRADES,
    STAKEHOLDER_ROLES,
)

NONE_DUE = "None due"
WHOLE_SERVICE_ONLY = "Whole service only"
# The grades that count as good or better, and the lowest answer (FEEDBACK_SCALE) that does.
GOOD_GRADES = ("outstanding", "good")
GOOD_SCORE = 3
GOOD_OR_BETTER = f"{FEEDBACK_SCALE[3]} or {FEEDBACK_SCALE[4]}"
LESS_THAN_GOOD = f"{FEEDBACK_SCALE[1]} or {FEEDBACK_SCALE[2]}"
NOT_YET_RATED = "Sampled, not yet rated"
WITH_CONTACT = "Referred with a first contact"
WITHOUT_CONTACT = "Referred, no first contact recorded (not counted)"
COMPLETED, WAITING = "Completed", "Waiting"
NO_TEAM_FEEDBACK = "No feedback from key workers or panel members covers this period."


def _not_recorded(families: int, note: str) -> Value:
    return Value(None, families, note=note, missing=NOT_RECORDED)


def _referred_in(data: ReportData, period: Period) -> pd.DataFrame:
    return data.families[period.contains(data.families["referral_date"])]


# --------------------------------------------------------------------------- how much


def panel_referrals(data: ReportData, period: Period) -> Value:
    """Families worked with in the period whose panel referral date falls in it. "Not
    recorded" when no family worked with in the period has a panel referral date at all."""
    families = worked_with(data, period)
    if families["panel_referral_on"].isna().all():
        return _not_recorded(0, "No panel referral dates are recorded for these families.")
    count = int(period.contains(families["panel_referral_on"]).sum())
    return Value(count, count)


def multi_agency_packages(data: ReportData, period: Period) -> Value:
    """Families worked with in the period (open at some point in it) that have a
    multi-agency package of support. "Not recorded" when none of them has the package
    recorded either way."""
    families = worked_with(data, period)
    package = families["multi_agency_package"]
    if package.isna().all():
        return _not_recorded(0, "No family worked with has a multi-agency package recorded.")
    count = int(package.eq(True).sum())
    return Value(count, count)


def inappropriate_referrals(data: ReportData, period: Period) -> Value:
    """Families referred in the period whose referral was judged inappropriate and
    signposted elsewhere, by where they were signposted to. "Not recorded" when no family
    referred in the period has a referral outcome recorded."""
    referred = _referred_in(data, period)
    if referred["referral_outcome"].isna().all():
        note = "No family referred in this period has a referral outcome recorded."
        return _not_recorded(0, note)
    sent = referred[referred["referral_outcome"] == "inappropriate"]
    where = sent["signposted_to"].fillna("").str.strip().replace("", NOT_RECORDED)
    counts = where.value_counts()
    parts = {
        f"Signposted to: {place}": int(counts[place]) for place in in_order(None, counts.index)
    }
    return Value(len(sent), len(sent), parts=parts)


# --------------------------------------------------------------------------- how well


def days_to_first_contact(data: ReportData, period: Period) -> Value:
    """Median days from referral to first contact, for families referred in the period
    with a first contact recorded. Those with none recorded yet are not counted: the
    breakdown says how many there are."""
    referred = _referred_in(data, period)
    contacted = referred[referred["first_contact_on"].notna()]
    parts = {WITH_CONTACT: len(contacted), WITHOUT_CONTACT: len(referred) - len(contacted)}
    if contacted.empty:
        note = (
            "No family referred in this period has a first contact recorded."
            if len(referred)
            else "No families were referred in this period."
        )
        return Value(None, 0, parts=parts, note=note, missing=NOT_RECORDED)
    days = (contacted["first_contact_on"] - contacted["referral_date"]).dt.days
    return Value(float(days.median()), len(contacted), parts=parts)


def closure_audits_completed(data: ReportData, period: Period) -> Value:
    """Of the closure audits due for cases closed in the period (closed with the plan not
    wholly achieved), the share completed by the day the card is drawn up."""
    audits = data.closure_audits[period.contains(data.closure_audits["closed_on"])]
    done = int(audits["completed"].astype(bool).sum())
    return Value(
        percent(done, len(audits)),
        audits["family_id"].nunique(),
        number=done,
        parts={COMPLETED: done, WAITING: len(audits) - done},
        note="" if len(audits) else "No closure audits fell due in this period.",
        base=len(audits),
        missing=NONE_DUE,
    )


def _overlapping(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows whose own period (``period_start`` to ``period_end``) overlaps ``period``."""
    return frame[
        (frame["period_start"] <= pd.Timestamp(period.end))
        & (frame["period_end"] >= pd.Timestamp(period.start))
    ]


def _case_files(data: ReportData, period: Period, quality: str) -> Value:
    """The share of rated case files graded good or better on ``quality``, with the files
    at each grade and those sampled but not yet rated."""
    sampled = _overlapping(data.case_files, period)
    grades = sampled[f"{quality}_grade"]
    rated = sampled[grades.notna()]
    good = int(grades.isin(GOOD_GRADES).sum())
    parts = {name: int((grades == key).sum()) for key, name in GRADES.items()}
    parts[NOT_YET_RATED] = len(sampled) - len(rated)
    return Value(
        percent(good, len(rated)),
        rated["family_id"].nunique(),
        number=good,
        parts=parts,
        note="" if len(rated) else "No case file sampled for this period has been rated.",
        base=len(rated),
        missing=NOT_RECORDED,
    )


# The three case-file measures share one rule, written out in each docstring because the
# docstring is what the card prints (and the card is pickled for the page's cache, so each
# measure is a plain module-level function).


def case_files_engagement(data: ReportData, period: Period) -> Value:
    """Engagement with the family: of the case files rated from samples of closed cases
    whose sampling period overlaps the reporting period (a year's sample counts in each of
    its quarters), the share graded Good or Outstanding; the breakdown gives the files at
    each grade and those sampled but not yet rated."""
    return _case_files(data, period, "engagement")


def case_files_multi_agency(data: ReportData, period: Period) -> Value:
    """Multi-agency support, including any gaps: of the case files rated from samples of
    closed cases whose sampling period overlaps the reporting period (a year's sample
    counts in each of its quarters), the share graded Good or Outstanding; the breakdown
    gives the files at each grade and those sampled but not yet rated."""
    return _case_files(data, period, "multi_agency")


def case_files_innovation(data: ReportData, period: Period) -> Value:
    """Innovation and creativity in outcome-focused solutions: of the case files rated
    from samples of closed cases whose sampling period overlaps the reporting period (a
    year's sample counts in each of its quarters), the share graded Good or Outstanding;
    the breakdown gives the files at each grade and those sampled but not yet rated."""
    return _case_files(data, period, "innovation")


def _stakeholders(data: ReportData, period: Period, question: str) -> Value:
    """The share of the team's answers to ``question`` that are good or better, by role."""
    if data.stakeholder_feedback is None:
        note = (
            "Feedback from key workers and panel members is kept for the whole "
            "service, not for one area, tier or key worker type."
        )
        return Value(None, 0, note=note, missing=WHOLE_SERVICE_ONLY)
    answers = _overlapping(data.stakeholder_feedback, period)
    good = answers[f"{question}_score"] >= GOOD_SCORE
    parts = {}
    for role, name in STAKEHOLDER_ROLES.items():
        theirs = answers["role"] == role
        parts[f"{name}s: {GOOD_OR_BETTER}"] = int((theirs & good).sum())
        parts[f"{name}s: {LESS_THAN_GOOD}"] = int((theirs & ~good).sum())
    return Value(
        percent(int(good.sum()), len(answers)),
        len(answers),
        number=int(good.sum()),
        parts=parts,
        note="" if len(answers) else NO_TEAM_FEEDBACK,
        base=len(answers),
        missing=NOT_RECORDED,
    )


def stakeholders_pathway(data: ReportData, period: Period) -> Value:
    """Of the questionnaires from key workers and panel members whose period overlaps the
    reporting period, the share rating how well the pathway worked Good or Very good (3 or
    4 of 4), with the answers by role. It rests on the responses, so fewer than the
    minimum group are hidden as families are. Whole service only: the answers belong to no
    family, area or tier."""
    return _stakeholders(data, period, "pathway")


def stakeholders_multi_agency(data: ReportData, period: Period) -> Value:
    """Of the questionnaires from key workers and panel members whose period overlaps the
    reporting period, the share rating the quality of multi-agency working Good or Very
    good (3 or 4 of 4), with the answers by role. It rests on the responses, so fewer
    than the minimum group are hidden as families are. Whole service only: the answers
    belong to no family, area or tier."""
    return _stakeholders(data, period, "multi_agency")
