"""The self-rating's screens, without Streamlit: choices, where to carry on, the review."""

from __future__ import annotations

import pytest

from tracker.instruments.loader import get_instrument
from tracker.render import self_rating

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")


def test_a_need_scale_offers_one_button_a_point_saying_the_familys_words():
    domain = TAF.domains[0]
    stages = self_rating.stages(TAF, domain)
    assert [choice.point for stage in stages for choice in stage.choices] == list(TAF.points)
    for stage in stages:
        (choice,) = stage.choices
        assert choice.label == stage.words == TAF.family_words_for(domain, choice.point)
    assert self_rating.numbers_hint(TAF) == ""


def test_a_star_stage_shows_its_words_once_above_a_number_for_each_of_its_points():
    domain = STAR.domains[1]
    stages = self_rating.stages(STAR, domain)
    assert len(stages) == len(STAR.bands)
    assert [c.point for s in stages for c in s.choices] == list(STAR.points)
    first = stages[0]
    assert first.words == STAR.family_words_for(domain, 1)
    assert [c.label for c in first.choices] == ["1", "2"]
    # Higher is better on the star, so the bigger number of a box is a bit better.
    assert "The bigger number means things are a bit better." in self_rating.numbers_hint(STAR)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, 0),
        ({"physical_health": 3}, 1),
        ({"physical_health": None, "wellbeing": 4}, 2),  # a skip counts as answered
        ({"wellbeing": 4}, 0),  # the first area is still open
    ],
)
def test_a_reload_carries_on_at_the_first_area_not_answered_or_skipped(answers, expected):
    assert self_rating.first_unanswered(STAR, answers) == expected


def test_with_every_area_answered_it_carries_on_at_the_review():
    answers = dict.fromkeys(STAR.domain_keys, 5.0)
    assert self_rating.first_unanswered(STAR, answers) == len(STAR.domains)


def test_the_progress_line_counts_questions_from_one():
    assert self_rating.progress_text(2, 22) == "Question 3 of 22"
    assert self_rating.all_done(10) == "All 10 questions done"


def test_the_review_lists_every_area_with_the_words_chosen_or_skipped():
    answers = {"physical_health": 2.0, "wellbeing": None}
    rows = self_rating.review_rows(STAR, answers)
    assert [row.area for row in rows] == [d.name_for_family for d in STAR.domains]
    assert rows[0].answer == f"{STAR.family_words_for('physical_health', 2)} (2)"
    # Skipped, and not reached at all, read the same: both are sent as no answer.
    assert rows[1].answer == rows[2].answer == self_rating.SKIPPED
    summary = self_rating.review_summary(STAR, answers)
    assert summary.startswith(f"You answered 1 of {len(STAR.domains)} questions.")
    assert f"You skipped {len(STAR.domains) - 1}." in summary


def test_a_need_scale_answer_reads_as_the_words_alone():
    assert self_rating.answer_text(TAF, TAF.domains[0], 1.0) == TAF.family_words_for(
        TAF.domains[0], 1.0
    )


def test_the_intro_says_how_many_questions_and_that_any_can_be_skipped():
    text = self_rating.intro(10)
    assert "There are 10 questions." in text
    assert "skip any question" in text
