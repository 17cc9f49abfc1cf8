"""The report card's "Families who gave their own view", worked by hand and recounted.

A small service of eight families in 2025-26 Q1 (1 April to 30 June 2025) has every case
the definition turns on; the expected figures are counted by hand in the comments and
again by a plain-Python count over the same rows, apart from the measure's pandas.
"""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlmodel import Session

from tests.unit.test_reportcard import Q1, TODAY, make_data
from tracker.instruments.loader import get_instrument
from tracker.measures.disclosure import PUBLISHED, SUPPRESSED, PublishedRule
from tracker.measures.periods import quarters_up_to
from tracker.measures.reportcard import MEASURES_BY_KEY, Scope, Value, build_card, load_report_data
from tracker.measures.reportcard.published import publish
from tracker.render.reportcard_export import card_html, card_xlsx
from tracker.store.journeys import refresh_journeys
from tracker.store.models import Assessment, Family

OWN_VIEW = MEASURES_BY_KEY["own_view"]
SENT, TYPED = "Sent from their own phone", "Entered by the key worker"

# fam  referred     closed       assessments (id, tool, date, rater; * = sent from their phone)
#  1   2025-01-06   open         11 taf 10 Apr worker, 12 taf 10 Apr family*, 13 taf 20 May family
#  2   2025-02-01   open         21 taf 5 May family (typed in; no worker rating this quarter)
#  3   2025-02-01   open         31 taf 20 Mar family* (Q4), 32 taf 1 May worker
#  4   2024-06-01   2025-03-14   41 taf 2 Apr family* (the case closed before Q1)
#  5   2024-06-01   open         51 taf 15 Jan worker (nothing in Q1)
#  7   2025-03-01   open         71 taf 30 Jun worker, 72 star 30 Jun family* (the last day)
#  8   2025-01-06   2025-04-15   81 taf 15 Apr worker, 82 taf 1 Jul family* (Q2)
#
# Worked with in Q1 (referred by 30 Jun, open on some day of it): 1, 2, 3, 5, 7, 8 (not 4).
# Of those, with any assessment in Q1: 1, 2, 3, 7, 8 = 5 (5 has none; 4 is not worked with).
# With a family rating in Q1: 1 (12, 13), 2 (21), 7 (72) = 3 -> 3/5 = 60%.
#   3's own view (31) was in Q4 and 8's (82) in Q2; 4's (41) is of a closed case.
# Sent from their own phone: 1 (12 is; 13 is not, but one is enough) and 7 (72) = 2;
# entered by the key worker: 2 = 1.
FAMILIES = [
    (1, "North", "tier 2", "5-10", "School", "2025-01-06", None, None, None),
    (2, "North", "tier 2", "5-10", "School", "2025-02-01", None, None, None),
    (3, "North", "tier 2", "5-10", "School", "2025-02-01", None, None, None),
    (4, "North", "tier 2", "5-10", "School", "2024-06-01", "2025-03-14", "moved_away", None),
    (5, "North", "tier 2", "5-10", "School", "2024-06-01", None, None, None),
    (7, "North", "tier 2", "5-10", "School", "2025-03-01", None, None, None),
    (8, "North", "tier 2", "5-10", "School", "2025-01-06", "2025-04-15", "moved_away", None),
]
ASSESSMENTS = [
    (11, 1, "taf-dtt", "baseline", "2025-04-10", "worker", {}),
    (12, 1, "taf-dtt", "baseline", "2025-04-10", "family", {}),
    (13, 1, "taf-dtt", "review", "2025-05-20", "family", {}),
    (21, 2, "taf-dtt", "baseline", "2025-05-05", "family", {}),
    (31, 3, "taf-dtt", "baseline", "2025-03-20", "family", {}),
    (32, 3, "taf-dtt", "baseline", "2025-05-01", "worker", {}),
    (41, 4, "taf-dtt", "follow_up", "2025-04-02", "family", {}),
    (51, 5, "taf-dtt", "baseline", "2025-01-15", "worker", {}),
    (71, 7, "taf-dtt", "baseline", "2025-06-30", "worker", {}),
    (72, 7, "family-outcomes-10", "baseline", "2025-06-30", "family", {}),
    (81, 8, "taf-dtt", "closure", "2025-04-15", "worker", {}),
    (82, 8, "taf-dtt", "follow_up", "2025-07-01", "family", {}),
]
SELF_COMPLETED = {12, 31, 41, 72, 82}


def recount(start: date, end: date) -> tuple[int, int, int]:
    """The definition again, in plain Python over the rows: (assessed, gave, sent)."""
    open_in = {
        family
        for family, *_, referred, closed, _reason, _again in FAMILIES
        if date.fromisoformat(referred) <= end
        and (closed is None or date.fromisoformat(closed) >= start)
    }
    in_period = [
        (family, rater, assessment in SELF_COMPLETED)
        for assessment, family, _tool, _occasion, day, rater, _ in ASSESSMENTS
        if family in open_in and start <= date.fromisoformat(day) <= end
    ]
    assessed = {family for family, _, _ in in_period}
    gave = {family for family, rater, _ in in_period if rater == "family"}
    sent = {family for family, rater, phone in in_period if rater == "family" and phone}
    return len(assessed), len(gave), len(sent)


@pytest.fixture
def data():
    return make_data(families=FAMILIES, assessments=ASSESSMENTS, self_completed=SELF_COMPLETED)


def test_own_view_worked_by_hand_and_recounted(data):
    result = OWN_VIEW.compute(data, Q1)
    assert recount(Q1.start, Q1.end) == (5, 3, 2)
    assert (result.number, result.base, result.families) == (3, 5, 5)
    assert result.value == pytest.approx(60.0)
    assert result.parts == {SENT: 2, TYPED: 1}
    assert result.note == ""


def test_own_view_is_a_how_well_share_where_higher_is_better():
    assert OWN_VIEW.quadrant == "how_well"
    assert OWN_VIEW.label == "Families who gave their own view"
    assert (OWN_VIEW.unit, OWN_VIEW.higher_is_better) == ("pct", True)
    assert "rated by the family" in OWN_VIEW.definition
    assert "own phone" in OWN_VIEW.definition


def test_own_view_in_every_quarter_agrees_with_the_recount(data):
    card = build_card(data, Q1, Scope(), min_group=1)
    (result,) = [r for r in card.measures if r.spec.key == "own_view"]
    for quarter, (label, value) in zip(quarters_up_to(Q1.end, 8), result.history, strict=True):
        assessed, gave, _ = recount(quarter.start, quarter.end)
        assert label == quarter.label
        assert value == (pytest.approx(100 * gave / assessed) if assessed else None)


def test_small_numbers_are_hidden_as_on_every_other_measure(data):
    # min_group 5: 5 families assessed, but the count of 3 that gave their view is small.
    hidden = build_card(data, Q1, Scope(), min_group=5)
    (result,) = [r for r in hidden.measures if r.spec.key == "own_view"]
    assert result.current.hidden and result.current.value is None
    assert result.current.parts == {SENT: SUPPRESSED, TYPED: SUPPRESSED}
    # min_group 2: the share shows; the one family whose view was typed in is hidden.
    shown = build_card(data, Q1, Scope(), min_group=2)
    (result,) = [r for r in shown.measures if r.spec.key == "own_view"]
    assert result.current.value == pytest.approx(60.0)
    assert result.current.parts == {SENT: 2, TYPED: SUPPRESSED}


def test_published_share_is_worked_from_the_rounded_counts():
    # 43 assessed (rounds to 45), 22 gave their view (20): 20/45 = 44.4, a whole-number
    # percentage: 44; 13 sent from their phone (15), 9 typed in (10).
    value = Value(100 * 22 / 43, 43, number=22, base=43, parts={SENT: 13, TYPED: 9})
    shown = publish(value, OWN_VIEW, PublishedRule(5), get_instrument("taf-dtt"))
    assert (shown.number, shown.base, shown.families) == (20, 45, 45)
    assert shown.value == 44
    assert shown.parts == {SENT: 15, TYPED: 10}


def test_the_measure_shows_on_the_html_and_excel_card(data):
    card = build_card(data, Q1, Scope(), min_group=1)
    html = card_html(card)
    assert "Families who gave their own view" in html
    assert f"<li>{SENT}: 2</li>" in html
    sheet = openpyxl.load_workbook(io.BytesIO(card_xlsx(card)))["Breakdowns"]
    rows = {(row[0], row[1]): row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[("Families who gave their own view", SENT)] == 2
    assert rows[("Families who gave their own view", TYPED)] == 1


def test_the_published_card_rounds_and_hides_it_like_any_share(data):
    # Minimum group 5: the 3 families who gave their view are too few to publish.
    card = build_card(data, Q1, Scope(), min_group=5, audience=PUBLISHED)
    (result,) = [r for r in card.measures if r.spec.key == "own_view"]
    assert result.current.hidden and result.current.value is None
    # Minimum group 3: 5 assessed and 3 (rounded to 5) who gave it: 100%, both parts
    # (2 and 1) hidden.
    card = build_card(data, Q1, Scope(), min_group=3, audience=PUBLISHED)
    (result,) = [r for r in card.measures if r.spec.key == "own_view"]
    assert (result.current.value, result.current.number, result.current.base) == (100, 5, 5)
    assert result.current.parts == {SENT: SUPPRESSED, TYPED: SUPPRESSED}


def test_self_completed_is_read_from_the_database(engine):
    with Session(engine) as session:
        family = Family(
            family_ref="F1",
            area="North",
            tier_of_need="tier 2",
            referral_source="School",
            referral_date=date(2025, 1, 6),
        )
        session.add(family)
        session.flush()
        for day, rater, phone in (
            (date(2025, 4, 10), "worker", False),
            (date(2025, 4, 10), "family", True),
        ):
            session.add(
                Assessment(
                    family_id=family.id,
                    instrument="taf-dtt",
                    occasion="baseline",
                    assessed_on=day,
                    rater=rater,
                    self_completed=phone,
                )
            )
        session.flush()
        # Written straight through the ORM, so the journeys are brought into step by hand.
        refresh_journeys(session.connection(), [family.id])
        session.commit()
    with engine.connect() as connection:
        loaded = load_report_data(connection, Scope(), get_instrument("taf-dtt"), today=TODAY)
    result = OWN_VIEW.compute(loaded, Q1)
    assert (result.value, result.number, result.base) == (100.0, 1, 1)
    assert result.parts == {SENT: 1, TYPED: 0}


def test_the_stamp_says_where_the_familys_own_ratings_are_counted(data):
    stamp = build_card(data, Q1, Scope(), min_group=1).stamp["Whose ratings"]
    assert stamp.startswith("Worker and joint for every score")
    assert '"Families who gave their own view"' in stamp
