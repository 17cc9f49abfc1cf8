"""The published card's figures, worked by hand, and the words and stamps on every output.

``publish`` is checked one kind of figure at a time against ``PublishedRule`` (min_group 5):
counts, percentages from the rounded counts, means and medians rounded to the step that
hides one family, and costs per X from the published count. The card built from the small
hand-made service of test_reportcard.py then shows the words for what is missing ("No cost
entered", "No families reviewed"), ``*`` only for what is hidden, and its stamp on the
HTML, the PDF, the Excel About sheet and the JSON.
"""

from __future__ import annotations

import io
from datetime import date
from html import escape

import openpyxl
import pytest
from pypdf import PdfReader

from tests.unit.test_reportcard import Q1, TAF, TODAY, make_data
from tracker.measures.cohort.audience import BASELINE_RULE
from tracker.measures.disclosure import PUBLISHED, SERVICE, AudienceError, PublishedRule
from tracker.measures.periods import custom, financial_year
from tracker.measures.reportcard import (
    MEASURES_BY_KEY,
    Scope,
    Value,
    build_card,
    card_as_dict,
)
from tracker.measures.reportcard.card import previous_for
from tracker.measures.reportcard.published import DAYS_WIDTH, publish, width
from tracker.render.reportcard_export import card_html, card_pdf, card_xlsx
from tracker.render.reportcard_words import headline

RULE = PublishedRule(5)


def published(key: str, value: Value) -> Value:
    return publish(value, MEASURES_BY_KEY[key], RULE, TAF)


# --------------------------------------------------------------------------- figures


def test_a_count_and_its_breakdown_are_rounded_and_small_parts_hidden():
    shown = published("families_worked_with", Value(61, 61, parts={"Area: A": 59, "Area: B": 2}))
    assert (shown.value, shown.families) == (60, 60)
    assert shown.parts == {"Area: A": 60, "Area: B": "*"}


def test_a_breakdown_whose_rounding_would_pin_its_hidden_parts_is_hidden_whole():
    # 8 families shown as 10 (8 to 12), in two hidden parts of 1 to 4 each: both are 4.
    shown = published("families_worked_with", Value(8, 8, parts={"Area: A": 4, "Area: B": 4}))
    assert shown.hidden and shown.parts == {"Area: A": "*", "Area: B": "*"}
    # 9 families (10) of 5 and 4: the shown 5 leaves the hidden part 3 to 7, so it stays.
    shown = published("families_worked_with", Value(9, 9, parts={"Area: A": 5, "Area: B": 4}))
    assert not shown.hidden and shown.parts == {"Area: A": 5, "Area: B": "*"}


def test_a_percentage_is_worked_out_from_the_rounded_counts():
    # 59 of 61 engaged: 60 of 60, 100%; the 2 who were not are no longer 61 - 59.
    shown = published("engaged", Value(96.7, 61, number=59, base=61))
    assert (shown.number, shown.base, shown.value) == (60, 60, 100.0)
    # 8 of 9 better off: 10 of 10.
    shown = published("reliable_improvement", Value(88.9, 9, number=8, base=9))
    assert (shown.number, shown.base, shown.value) == (10, 10, 100.0)


def test_plan_outcome_parts_and_their_percentages_come_from_rounded_counts():
    parts = {
        "Wholly achieved": 14,
        "Wholly achieved (%)": 58.3,
        "Partially achieved": 8,
        "Partially achieved (%)": 33.3,
        "Not achieved": 0,
        "Not achieved (%)": 0.0,
        "Dropped out": 2,
        "Dropped out (%)": 8.3,
    }
    shown = published("plan_outcomes", Value(58.3, 24, number=14, parts=parts, base=24))
    assert (shown.value, shown.number, shown.base) == (60.0, 15, 25)
    assert shown.parts == {
        "Wholly achieved": 15,
        "Wholly achieved (%)": 60.0,
        "Partially achieved": 10,
        "Partially achieved (%)": 40.0,
        "Not achieved": 0,
        "Not achieved (%)": 0.0,
        "Dropped out": "*",
        "Dropped out (%)": "*",
    }


def test_a_value_on_too_few_families_is_hidden_whole():
    shown = published("plan_outcomes", Value(50.0, 4, number=2, parts={"x": 2}, base=4))
    assert (shown.value, shown.hidden, shown.families, shown.parts) == (None, True, "*", {"x": "*"})
    assert shown.reason == "hidden to protect families"


@pytest.mark.parametrize(
    ("key", "expected_width"),
    [("mean_distance_travelled", 8), ("satisfaction_mean", 4), ("median_days_to_baseline", 180)],
)
def test_widths(key, expected_width):
    # A change on the 1-5 TAF scale spans -4 to +4; a 1-5 rating 4; days the chosen half year.
    assert width(MEASURES_BY_KEY[key], TAF) == expected_width
    assert DAYS_WIDTH == 180


def test_a_mean_and_its_standard_error_are_rounded_to_the_step_that_hides_one_family():
    # 60 families, width 8: the count allows 58, so the step is at least 16 / 117 = 0.137:
    # 0.2. The mean 0.8123 reads 0.8; the standard error 0.13 reads 0.2.
    shown = published("mean_distance_travelled", Value(0.8123, 60, se=0.13))
    assert (shown.value, shown.se, shown.families) == (0.8, 0.2, 60)
    # An error that rounds to nothing is half a step, the rounding's own.
    assert published("mean_distance_travelled", Value(0.8123, 60, se=0.01)).se == 0.1
    # Satisfaction of 12 families (10: at least 8), width 4: 8 / 17 = 0.47 -> 0.5.
    assert published("satisfaction_mean", Value(4.18, 12, se=0.2)).value == 4.0
    # Median days of 30 families (at least 28), width 180: 360 / 57 = 6.3 -> 10.
    assert published("median_days_to_baseline", Value(23.0, 30)).value == 20.0


def test_a_cost_per_is_the_cost_over_the_published_count():
    # £12,000 over 6 families worked with: the published 5 gives £2,400.
    shown = published("cost_per_family", Value(2000.0, 6, cost=12000.0, per=6))
    assert shown.value == 2400.0
    # One family better off is hidden, so is the cost per family better off.
    shown = published(
        "cost_per_reliable_improvement", Value(50000.0, 6, se=1.0, cost=50000.0, per=1)
    )
    assert (shown.value, shown.hidden) == (None, True)
    # No cost entered says so, and is not hidden.
    none = Value(None, 6, note="No programme cost entered for this period.", missing="x")
    shown = published("cost_per_family", none)
    assert (shown.value, shown.hidden, shown.reason) == (None, False, "x")


def test_waiting_due_dates_in_the_note_are_a_published_count():
    note = "3 due dates still within 14 days, not counted yet."
    shown = published("reviews_on_time", Value(80.0, 20, number=16, base=20, note=note, pending=3))
    assert shown.note == "A few due dates still within 14 days, not counted yet."
    note = "12 due dates still within 14 days, not counted yet."
    shown = published("reviews_on_time", Value(80.0, 20, number=16, base=20, note=note, pending=12))
    assert shown.note == "10 due dates still within 14 days, not counted yet."


# --------------------------------------------------------------------------- the card


def test_a_published_card_refuses_a_minimum_group_below_three():
    with pytest.raises(AudienceError, match="at least 3"):
        build_card(make_data(), Q1, Scope(), min_group=2, audience=PUBLISHED)
    assert build_card(make_data(), Q1, Scope(), min_group=2, audience=SERVICE).min_group == 2


def test_a_published_card_refuses_a_period_that_is_not_whole_months():
    with pytest.raises(AudienceError, match="whole months"):
        build_card(
            make_data(),
            custom(date(2025, 4, 2), date(2025, 6, 30)),
            Scope(),
            min_group=5,
            audience=PUBLISHED,
        )


def test_a_published_period_of_whole_months_is_compared_with_whole_months():
    april = custom(date(2025, 4, 1), date(2025, 4, 30))
    assert previous_for(april, PUBLISHED) == custom(date(2025, 3, 1), date(2025, 3, 31))
    # The service card keeps the same number of days just before.
    assert previous_for(april, SERVICE) == custom(date(2025, 3, 2), date(2025, 3, 31))
    spring = custom(date(2025, 2, 1), date(2025, 4, 30))
    assert previous_for(spring, PUBLISHED) == custom(date(2024, 11, 1), date(2025, 1, 31))
    year = financial_year(date(2025, 6, 1))
    assert previous_for(year, PUBLISHED) == financial_year(date(2024, 6, 1))


@pytest.fixture(params=[SERVICE, PUBLISHED])
def card(request):
    data = make_data(costs=[])  # no cost entered for any period
    return build_card(data, Q1, Scope(), min_group=3, audience=request.param)


def result_of(card, key):
    return next(result for result in card.measures if result.spec.key == key)


def test_missing_figures_say_why_in_words_and_never_star(card):
    cost = result_of(card, "cost_per_family")
    assert headline(cost) == "No cost entered"
    exported = card_as_dict(card)
    (per_family,) = [m for m in exported["cost"] if m["key"] == "cost_per_family"]
    assert (per_family["value"], per_family["reason"]) == (None, "No cost entered")
    html = card_html(card)
    assert "No cost entered" in html
    book = openpyxl.load_workbook(io.BytesIO(card_xlsx(card)))
    values = {row[1]: row[2] for row in book["Report card"].iter_rows(min_row=2, values_only=True)}
    assert values["Cost per family worked with"] == "No cost entered"
    # Nobody was reviewed in 2023-24 Q2: the history says so in words.
    (better,) = [m for m in exported["better_off"] if m["key"] == "reliable_improvement"]
    assert better["history"][0] == {
        "quarter": "2023-24 Q2",
        "value": None,
        "reason": "No families reviewed",
    }
    # "*" in the JSON is only ever a hidden figure.
    for measure in (
        m for quadrant in ("how_much", "how_well", "better_off", "cost") for m in exported[quadrant]
    ):
        if measure["value"] == "*":
            assert measure["reason"] == "hidden to protect families"
        for point in measure["history"]:
            if point["value"] == "*":
                assert point["reason"] == "hidden to protect families"


def test_every_download_carries_the_stamp(card):
    stamp = card.stamp
    assert stamp["Minimum group"] == "3"
    assert stamp["Baseline rule"] == BASELINE_RULE
    assert stamp["Made"] == f"{TODAY:%d %b %Y}"
    assert "Whole service" in stamp["Filters"] and "01 Apr 2025 to 30 Jun 2025" in stamp["Filters"]
    if card.audience == PUBLISHED:
        assert stamp["Audience"].startswith("published")
        assert stamp["Method"] == PublishedRule(3).method
    else:
        assert stamp["Audience"] == "service: not for publication"
        assert "Method" not in stamp
    lines = [f"{item}: {detail}" for item, detail in stamp.items()]
    assert card_as_dict(card)["stamp"] == stamp
    html = card_html(card)
    assert all(escape(detail) in html for detail in stamp.values())
    book = openpyxl.load_workbook(io.BytesIO(card_xlsx(card)))
    about = [row[0] for row in book["About"].iter_rows(min_row=2, values_only=True)]
    assert all(line in about for line in lines)
    reader = PdfReader(io.BytesIO(card_pdf(card)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for line in lines:
        assert " ".join(line.split()) in text, line
