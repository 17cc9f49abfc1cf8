"""The report card's pathway and quality-assurance measures, worked by hand and recounted.

A small service of fourteen families in 2025-26 Q1 (1 April to 30 June 2025) has every
case the definitions turn on; the expected figures are counted by hand in the comments
and again, quarter by quarter, by a plain-Python count over the same rows, apart from
the measures' pandas.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from datetime import UTC, date, datetime
from statistics import median

import openpyxl
import pytest
from sqlmodel import Session

from tests.unit.test_reportcard import Q1, TODAY, make_data
from tracker.instruments.loader import get_instrument
from tracker.measures.disclosure import PUBLISHED, SUPPRESSED, PublishedRule
from tracker.measures.periods import Period, quarters_up_to
from tracker.measures.reportcard import MEASURES_BY_KEY, Scope, Value, build_card, load_report_data
from tracker.measures.reportcard.published import publish
from tracker.measures.reportcard.registry import QUALITIES_SHORT
from tracker.render.reportcard_export import card_html, card_xlsx
from tracker.store.models import (
    CaseFileAudit,
    CaseSample,
    CaseSampleMember,
    ClosureAudit,
    Family,
    StakeholderFeedback,
)
from tracker.store.vocabulary import CASE_FILE_QUALITIES, FEEDBACK_SCALE, GRADES

NEW = {
    "panel_referrals": ("how_much", "count", None),
    "multi_agency_packages": ("how_much", "count", None),
    "inappropriate_referrals": ("how_much", "count", False),
    "days_to_first_contact": ("how_well", "days", False),
    "closure_audits_completed": ("how_well", "pct", True),
    "case_files_engagement": ("how_well", "pct", True),
    "case_files_multi_agency": ("how_well", "pct", True),
    "case_files_innovation": ("how_well", "pct", True),
    "stakeholders_pathway": ("how_well", "pct", True),
    "stakeholders_multi_agency": ("how_well", "pct", True),
}
GRADE_PARTS = ("Outstanding", "Good", "Requires improvement", "Inadequate")
KW_GOOD, KW_LESS = "Key workers: Good or Very good", "Key workers: Poor or Fair"
PM_GOOD, PM_LESS = "Panel members: Good or Very good", "Panel members: Poor or Fair"
HUB, NO_PLACE = "Signposted to: Early help hub", "Signposted to: Not recorded"
WITH, WITHOUT = "Referred with a first contact", "Referred, no first contact recorded (not counted)"

# fam referred    closed (reason)             panel      package outcome       signposted  contact
#  1  2025-03-10  open                        15 Apr     yes     accepted                  14 Mar
#  2  2025-04-02  open                        1 May      yes     accepted                  9 Apr
#  3  2025-04-10  2025-06-20 partially                   no      accepted                  13 Apr
#  4  2025-05-05  open                                           inappropriate Early help hub
#  5  2025-05-20  open                                           inappropriate Early help hub
#  6  2025-06-02  open                                           inappropriate (none given)
#  7  2025-06-10  open                                           accepted                  25 Jun
#  8  2025-06-25  open                                           accepted      (no contact yet)
#  9  2025-07-02  open (Q2)                   10 Jul     yes     accepted                  3 Jul
# 10  2024-11-01  2025-03-20 not achieved     1 Dec 2024 yes
# 11  2025-01-15  open                        30 Jun
# 12  2025-01-20  2025-05-15 dropped out
# 13  2024-12-01  2025-06-30 not achieved
# 14  2024-10-01  2025-06-05 wholly achieved
#
# Worked with in Q1 (referred by 30 Jun, open on some day of it): 1-8 and 11-14 (not 9,
#   referred in July; not 10, closed in March).
# Panel referrals: worked with, panel date in Q1: 1, 2 and 11 (30 Jun, the last day) = 3.
# Multi-agency package: worked with and yes: 1, 2 = 2 (3 said no; 10 closed before Q1).
# Inappropriate: referred in Q1 2-8; inappropriate 4, 5, 6 = 3: Early help hub 2, not
#   recorded 1.
# First contact: referred in Q1 with a contact: 2 (7 days), 3 (3), 7 (15) -> median 7;
#   4, 5, 6 and 8 have none recorded = 4 (not counted). 1 was referred in Q4.
FAMILIES = [
    (1, "North", "tier 2", "5-10", "School", "2025-03-10", None, None, None),
    (2, "North", "tier 2", "5-10", "School", "2025-04-02", None, None, None),
    (3, "North", "tier 2", "5-10", "GP", "2025-04-10", "2025-06-20", "partially_achieved", None),
    (4, "South", "tier 2", "5-10", "School", "2025-05-05", None, None, None),
    (5, "South", "tier 2", "5-10", "Police", "2025-05-20", None, None, None),
    (6, "South", "tier 2", "5-10", "School", "2025-06-02", None, None, None),
    (7, "South", "tier 3", "0-4", "GP", "2025-06-10", None, None, None),
    (8, "South", "tier 3", "0-4", "GP", "2025-06-25", None, None, None),
    (9, "North", "tier 3", "0-4", "Self", "2025-07-02", None, None, None),
    (10, "North", "tier 3", "0-4", "Self", "2024-11-01", "2025-03-20", "not_achieved", None),
    (11, "North", "tier 2", "0-4", "Self", "2025-01-15", None, None, None),
    (12, "South", "tier 2", "11-15", "School", "2025-01-20", "2025-05-15", "dropped_out", None),
    (13, "South", "tier 3", "11-15", "School", "2024-12-01", "2025-06-30", "not_achieved", None),
    (14, "North", "tier 2", "11-15", "GP", "2024-10-01", "2025-06-05", "wholly_achieved", None),
]
# (panel_referral_on, multi_agency_package, referral_outcome, signposted_to, first_contact_on)
PATHWAY = {
    1: ("2025-04-15", True, "accepted", None, "2025-03-14"),
    2: ("2025-05-01", True, "accepted", None, "2025-04-09"),
    3: (None, False, "accepted", None, "2025-04-13"),
    4: (None, None, "inappropriate", "Early help hub", None),
    5: (None, None, "inappropriate", "Early help hub", None),
    6: (None, None, "inappropriate", None, None),
    7: (None, None, "accepted", None, "2025-06-25"),
    8: (None, None, "accepted", None, None),
    9: ("2025-07-10", True, "accepted", None, "2025-07-03"),
    10: ("2024-12-01", True, None, None, None),
    11: ("2025-06-30", None, None, None, None),
}
# Closure audits (family, closed on, completed). Q1's closures: 3 (done), 12 (waiting),
# 13 (done, closed on the last day) -> 2 of 3 = 66.7%; 10's closure was in Q4.
CLOSURE_AUDITS = [
    (3, "2025-06-20", True),
    (10, "2025-03-20", False),
    (12, "2025-05-15", False),
    (13, "2025-06-30", True),
]
# Sampled case files (family, sample period, grades for engagement, multi-agency and
# innovation; None until rated). o outstanding, g good, r requires improvement, i inadequate.
#   A: 1 Apr 2025 - 31 Mar 2026 (overlaps Q1): 3 o g r; 12 g i g; 13 r r o; 14 not rated
#   B: 1 Apr 2024 - 31 Mar 2025 (ends the day before Q1): 10 g g g, not counted
#   C: 30 Jun 2025 - 30 Sep 2025 (overlaps Q1 on its last day): 12 o o i (12 again: a
#      second rating, counted as its own file)
# Q1, rated files 4 (families 3, 12, 13), plus 14 sampled and not yet rated:
#   engagement   o, g, r, o -> Outstanding 2, Good 1, RI 1, Inadequate 0: 3 of 4 = 75%
#   multi-agency g, i, r, o -> 1, 1, 1, 1: Good or Outstanding 2 of 4 = 50%
#   innovation   r, g, o, i -> 1, 1, 1, 1: 2 of 4 = 50%
G = {"o": "outstanding", "g": "good", "r": "requires_improvement", "i": "inadequate", None: None}
YEAR, LAST_YEAR = ("2025-04-01", "2026-03-31"), ("2024-04-01", "2025-03-31")
SUMMER = ("2025-06-30", "2025-09-30")
CASE_FILES = [
    (family, *period, *(G[grade] for grade in grades))
    for family, period, grades in (
        (3, YEAR, "ogr"),
        (12, YEAR, "gig"),
        (13, YEAR, "rro"),
        (14, YEAR, (None, None, None)),
        (10, LAST_YEAR, "ggg"),
        (12, SUMMER, "ooi"),
    )
]
# Feedback from key workers and panel members (period, role, pathway, multi-agency), 1-4.
# Q1 counts those whose period overlaps it: the five for Q1 and the panel member's for the
# year; the key worker's for Q4 does not. Six answers:
#   pathway      key workers 4 3 | 2, panel members 4 3 | 1 -> Good or better 4 of 6 = 66.7%
#   multi-agency key workers 3 | 2 2, panel members 4 3 | 1 -> 3 of 6 = 50%
Q1_DAYS = ("2025-04-01", "2025-06-30")
STAKEHOLDER_FEEDBACK = [
    (*Q1_DAYS, "key_worker", 4, 3),
    (*Q1_DAYS, "key_worker", 3, 2),
    (*Q1_DAYS, "key_worker", 2, 2),
    (*Q1_DAYS, "panel_member", 4, 4),
    (*Q1_DAYS, "panel_member", 1, 3),
    ("2025-01-01", "2025-03-31", "key_worker", 1, 1),
    (*YEAR, "panel_member", 3, 1),
]

Q1_EXPECTED = {
    "panel_referrals": {"value": 3, "families": 3},
    "multi_agency_packages": {"value": 2, "families": 2},
    "inappropriate_referrals": {"value": 3, "families": 3, "parts": {HUB: 2, NO_PLACE: 1}},
    "days_to_first_contact": {"value": 7.0, "families": 3, "parts": {WITH: 3, WITHOUT: 4}},
    "closure_audits_completed": {
        "value": 200 / 3,
        "families": 3,
        "number": 2,
        "base": 3,
        "parts": {"Completed": 2, "Waiting": 1},
    },
    "case_files_engagement": {
        "value": 75.0,
        "families": 3,
        "number": 3,
        "base": 4,
        "parts": dict(zip(GRADE_PARTS, (2, 1, 1, 0), strict=True)) | {"Sampled, not yet rated": 1},
    },
    **{
        f"case_files_{quality}": {
            "value": 50.0,
            "families": 3,
            "number": 2,
            "base": 4,
            "parts": dict.fromkeys(GRADE_PARTS, 1) | {"Sampled, not yet rated": 1},
        }
        for quality in ("multi_agency", "innovation")
    },
    "stakeholders_pathway": {
        "value": 400 / 6,
        "families": 6,
        "number": 4,
        "base": 6,
        "parts": {KW_GOOD: 2, KW_LESS: 1, PM_GOOD: 2, PM_LESS: 1},
    },
    "stakeholders_multi_agency": {
        "value": 50.0,
        "families": 6,
        "number": 3,
        "base": 6,
        "parts": {KW_GOOD: 1, KW_LESS: 2, PM_GOOD: 2, PM_LESS: 1},
    },
}


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def recount(start: date, end: date) -> dict[str, float | None]:
    """Every definition again, in plain Python over the rows: each measure's headline,
    None where nothing is recorded (or due)."""
    inside = lambda day: day is not None and start <= day <= end  # noqa: E731
    pathway = {f: PATHWAY.get(f, (None,) * 5) for f, *_ in FAMILIES}
    referred = {row[0]: _day(row[5]) for row in FAMILIES}
    closed = {row[0]: _day(row[6]) for row in FAMILIES}
    worked = [
        f for f in referred if referred[f] <= end and (closed[f] is None or closed[f] >= start)
    ]
    new = [f for f in referred if inside(referred[f])]
    counts: dict[str, float | None] = {}

    panels = [_day(pathway[f][0]) for f in worked]
    recorded = any(day is not None for day in panels)
    counts["panel_referrals"] = sum(inside(day) for day in panels) if recorded else None
    packages = [pathway[f][1] for f in worked]
    recorded = any(has is not None for has in packages)
    counts["multi_agency_packages"] = sum(has is True for has in packages) if recorded else None
    outcomes = [pathway[f][2] for f in new]
    recorded = any(outcome is not None for outcome in outcomes)
    counts["inappropriate_referrals"] = outcomes.count("inappropriate") if recorded else None
    waits = [(_day(pathway[f][4]) - referred[f]).days for f in new if pathway[f][4]]
    counts["days_to_first_contact"] = median(waits) if waits else None

    due = [done for family, day, done in CLOSURE_AUDITS if inside(_day(day))]
    counts["closure_audits_completed"] = 100 * sum(due) / len(due) if due else None
    overlaps = lambda s, e: _day(s) <= end and _day(e) >= start  # noqa: E731
    for index, quality in enumerate(CASE_FILE_QUALITIES):
        grades = [row[3 + index] for row in CASE_FILES if overlaps(row[1], row[2])]
        rated = [grade for grade in grades if grade is not None]
        good = sum(grade in ("outstanding", "good") for grade in rated)
        counts[f"case_files_{quality}"] = 100 * good / len(rated) if rated else None
    answers = [row for row in STAKEHOLDER_FEEDBACK if overlaps(row[0], row[1])]
    for index, question in ((3, "pathway"), (4, "multi_agency")):
        good = sum(row[index] >= 3 for row in answers)
        counts[f"stakeholders_{question}"] = 100 * good / len(answers) if answers else None
    return counts


@pytest.fixture
def data():
    return make_data(
        families=FAMILIES,
        assessments=[],
        pathway=PATHWAY,
        closure_audits=CLOSURE_AUDITS,
        case_files=CASE_FILES,
        stakeholder_feedback=STAKEHOLDER_FEEDBACK,
    )


def _approx(expected):
    if isinstance(expected, dict):
        return {key: _approx(value) for key, value in expected.items()}
    return expected if expected is None else pytest.approx(expected)


@pytest.mark.parametrize("key", NEW)
def test_each_measure_worked_by_hand_and_recounted(data, key):
    expected = Q1_EXPECTED[key]
    result = MEASURES_BY_KEY[key].compute(data, Q1)
    assert recount(Q1.start, Q1.end)[key] == pytest.approx(expected["value"])
    assert result.value == pytest.approx(expected["value"])
    assert result.families == expected["families"]
    assert result.number == expected.get("number")
    assert result.base == expected.get("base")
    assert result.parts == _approx(expected.get("parts", {}))
    assert result.note == ""


@pytest.mark.parametrize("key", NEW)
def test_each_measure_is_where_it_belongs_with_its_polarity_and_definition(key):
    spec = MEASURES_BY_KEY[key]
    assert (spec.quadrant, spec.unit, spec.higher_is_better) == NEW[key]
    assert len(spec.definition) > 80  # a definition, not a label


def test_each_definition_uses_the_vocabularys_words():
    assert set(QUALITIES_SHORT) == set(CASE_FILE_QUALITIES)
    good_files = f"{GRADES['good']} or {GRADES['outstanding']}"
    for quality, label in CASE_FILE_QUALITIES.items():
        definition = MEASURES_BY_KEY[f"case_files_{quality}"].definition
        assert label in definition and good_files in definition
    good_answers = f"{FEEDBACK_SCALE[3]} or {FEEDBACK_SCALE[4]}"
    for question in ("pathway", "multi_agency"):
        spec = MEASURES_BY_KEY[f"stakeholders_{question}"]
        assert good_answers in spec.definition and good_answers in spec.label


def test_the_card_can_be_kept_in_the_pages_cache(data):
    # The report card page caches the card, which pickles every measure's function.
    card = build_card(data, Q1, Scope(), min_group=1)
    again = pickle.loads(pickle.dumps(card))
    assert [r.current.value for r in again.measures] == [r.current.value for r in card.measures]


def test_every_quarter_agrees_with_the_recount(data):
    card = build_card(data, Q1, Scope(), min_group=1)
    quarters = quarters_up_to(Q1.end, 8)
    for result in card.measures:
        if result.spec.key not in NEW:
            continue
        for quarter, (label, value) in zip(quarters, result.history, strict=True):
            expected = recount(quarter.start, quarter.end)[result.spec.key]
            assert label == quarter.label
            assert value == (None if expected is None else pytest.approx(expected)), (
                result.spec.key,
                label,
            )


def test_nothing_recorded_says_not_recorded_not_zero(data):
    # 2024-25 Q3 (October to December 2024): families 10, 13 and 14 were worked with and
    # referred in it. 10's panel referral (1 Dec) and package are recorded: 1 each. None
    # has a referral outcome or a first contact, no team feedback covers the quarter and
    # no closure audit fell due; sample B's one file (10: Good) does cover it.
    q3 = Period(date(2024, 10, 1), date(2024, 12, 31), "2024-25 Q3")
    card = build_card(data, q3, Scope(), min_group=1)
    shown = {result.spec.key: result.current for result in card.measures}
    assert (shown["panel_referrals"].value, shown["multi_agency_packages"].value) == (1, 1)
    assert shown["case_files_engagement"].value == 100.0
    for key in (
        "inappropriate_referrals",
        "days_to_first_contact",
        "stakeholders_pathway",
        "stakeholders_multi_agency",
    ):
        assert shown[key].value is None, key
        assert shown[key].reason == "Not recorded", key
    assert shown["closure_audits_completed"].reason == "None due"
    html = card_html(card)
    assert "Not recorded" in html and "None due" in html


def test_feedback_from_the_team_is_for_the_whole_service_only(data):
    scoped = dataclasses.replace(data, stakeholder_feedback=None)
    result = MEASURES_BY_KEY["stakeholders_pathway"].compute(scoped, Q1)
    assert (result.value, result.reason) == (None, "Whole service only")
    assert "whole service" in result.note


def test_small_numbers_are_hidden_on_the_service_card(data):
    card = build_card(data, Q1, Scope(), min_group=4)
    shown = {result.spec.key: result.current for result in card.measures}
    # 3 panel referrals, 3 audits due, 3 families' case files: too few.
    for key in ("panel_referrals", "closure_audits_completed", "case_files_engagement"):
        assert shown[key].hidden and shown[key].value is None, key
    # 6 answers, 4 of them good or better: shown, with each role's small counts hidden.
    assert shown["stakeholders_pathway"].value == pytest.approx(400 / 6)
    assert set(shown["stakeholders_pathway"].parts.values()) == {SUPPRESSED}
    # 3 referrals of 7 judged inappropriate: hidden, with every destination.
    assert shown["inappropriate_referrals"].parts == {HUB: SUPPRESSED, NO_PLACE: SUPPRESSED}


def test_the_published_card_hides_small_numbers(data):
    # Minimum group 5: every count of the quarter's new measures is 1 to 4, or a share's
    # count is: all hidden.
    card = build_card(data, Q1, Scope(), min_group=5, audience=PUBLISHED)
    for result in card.measures:
        if result.spec.key in NEW:
            assert result.current.hidden, result.spec.key
            assert result.current.value is None
            assert all(part == SUPPRESSED for part in result.current.parts.values())
            # Nothing hidden leaks through the history either.
            assert result.history[-1] == (Q1.label, None)


def test_a_published_share_is_worked_from_the_rounded_counts():
    # 43 closure audits due (rounds to 45), 22 completed (20): 20/45 = 44.4 -> 44%;
    # 21 waiting -> 20.
    spec = MEASURES_BY_KEY["closure_audits_completed"]
    value = Value(100 * 22 / 43, 43, number=22, base=43, parts={"Completed": 22, "Waiting": 21})
    shown = publish(value, spec, PublishedRule(5), get_instrument("taf-dtt"))
    assert (shown.value, shown.number, shown.base) == (44, 20, 45)
    assert shown.parts == {"Completed": 20, "Waiting": 20}


def test_a_published_median_wait_is_rounded_to_hide_one_family():
    # 40 families with a first contact, median 9 days: the step that hides one family
    # of up to 180 days among 38 or more is 2 × 180 / 77 = 4.7 -> 5: 9 shows as 10.
    spec = MEASURES_BY_KEY["days_to_first_contact"]
    value = Value(9.0, 40, parts={WITH: 40, WITHOUT: 12})
    shown = publish(value, spec, PublishedRule(5), get_instrument("taf-dtt"))
    assert (shown.value, shown.families) == (10.0, 40)
    assert shown.parts == {WITH: 40, WITHOUT: 10}


def test_the_measures_show_on_the_html_and_excel_card(data):
    card = build_card(data, Q1, Scope(), min_group=1)
    html = card_html(card)
    for key in NEW:
        assert MEASURES_BY_KEY[key].label in html, key
    assert f"<li>{HUB}: 2</li>" in html
    assert f"<li>{KW_GOOD}: 2</li>" in html
    book = openpyxl.load_workbook(io.BytesIO(card_xlsx(card)))
    rows = {(r[0], r[1]): r[2] for r in book["Breakdowns"].iter_rows(min_row=2, values_only=True)}
    assert rows[("Inappropriate referrals (signposted elsewhere)", HUB)] == 2
    label = MEASURES_BY_KEY["case_files_engagement"].label
    assert rows[(label, "Outstanding")] == 2
    assert rows[(label, "Sampled, not yet rated")] == 1
    sheet_text = [
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    ]
    for key in NEW:
        assert MEASURES_BY_KEY[key].label in sheet_text, key


def _add_records(session: Session) -> dict[str, int]:
    """Two families in two areas with a pathway, an audit, a rated file and feedback."""
    north = Family(
        family_ref="F1",
        area="North",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=date(2025, 4, 2),
        closed_on=date(2025, 6, 20),
        closure_reason="partially_achieved",
        panel_referral_on=date(2025, 5, 1),
        multi_agency_package=True,
        referral_outcome="accepted",
        first_contact_on=date(2025, 4, 9),
    )
    south = Family(
        family_ref="F2",
        area="South",
        tier_of_need="tier 2",
        referral_source="Police",
        referral_date=date(2025, 5, 5),
        referral_outcome="inappropriate",
        signposted_to="Early help hub",
        multi_agency_package=False,
    )
    session.add_all([north, south])
    session.flush()
    session.add(ClosureAudit(family_id=north.id, closed_on=date(2025, 6, 20)))
    sample = CaseSample(
        period_start=date(2025, 4, 1),
        period_end=date(2026, 3, 31),
        how="proportion",
        amount=0.1,
        seed=7,
        drawn_by="manager",
    )
    session.add(sample)
    session.flush()
    member = CaseSampleMember(sample_id=sample.id, family_id=north.id, stratum="tier 2 · North")
    session.add(member)
    session.flush()
    session.add(
        CaseFileAudit(
            member_id=member.id,
            engagement_grade="good",
            multi_agency_grade="inadequate",
            innovation_grade="outstanding",
            rated_by="manager",
            rated_at=datetime(2025, 7, 1, tzinfo=UTC),
        )
    )
    session.add(
        StakeholderFeedback(
            period_start=date(2025, 4, 1),
            period_end=date(2025, 6, 30),
            role="panel_member",
            pathway_score=3,
            multi_agency_score=2,
            entered_by="manager",
        )
    )
    session.commit()
    return {"north": north.id, "south": south.id}


def test_the_records_are_read_from_the_database(engine):
    with Session(engine) as session:
        _add_records(session)
    taf = get_instrument("taf-dtt")
    with engine.connect() as connection:
        service = load_report_data(connection, Scope(), taf, today=TODAY)
        north = load_report_data(connection, Scope("area", "North"), taf, today=TODAY)
    values = {key: MEASURES_BY_KEY[key].compute(service, Q1) for key in NEW}
    assert values["panel_referrals"].value == 1
    assert values["multi_agency_packages"].value == 1
    assert values["inappropriate_referrals"].parts == {HUB: 1}
    assert values["days_to_first_contact"].value == 7.0
    audits = values["closure_audits_completed"]
    assert (audits.number, audits.base) == (0, 1)  # the audit is waiting
    assert values["case_files_engagement"].value == 100.0
    assert values["case_files_multi_agency"].value == 0.0
    assert values["stakeholders_pathway"].value == 100.0
    assert values["stakeholders_multi_agency"].value == 0.0
    # An area's card: its own family's records only, and no team feedback.
    assert MEASURES_BY_KEY["inappropriate_referrals"].compute(north, Q1).value == 0
    assert MEASURES_BY_KEY["case_files_engagement"].compute(north, Q1).base == 1
    assert MEASURES_BY_KEY["stakeholders_pathway"].compute(north, Q1).reason == (
        "Whole service only"
    )
