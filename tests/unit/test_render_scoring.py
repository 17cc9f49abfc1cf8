"""The scoring form's words: point names, blanks, changes and its two tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.unit.test_assessments import STAR, TAF, half_point_instrument
from tracker.records.assessments import StoredAssessment
from tracker.render.scoring import (
    NOT_APPLICABLE,
    NOT_SCORED,
    assessment_table,
    change_text,
    comparison_table,
    point_meaning,
    point_names,
    score_text,
)


def stored(values: dict, notes: dict | None = None) -> StoredAssessment:
    return StoredAssessment(
        id=1,
        family_id=1,
        instrument="taf-dtt",
        occasion="baseline",
        assessed_on=date(2026, 3, 12),
        rater="worker",
        version=1,
        entered_by="Ann",
        entered_at=datetime(2026, 3, 12, tzinfo=UTC),
        values=values,
        notes=notes or {},
    )


def test_each_point_is_named_by_its_band():
    assert list(point_names(TAF).values()) == [
        "1 None",
        "2 Minor",
        "3 Moderate",
        "4 Significant",
        "5 Critical / complex",
    ]
    # A star's stage spans two points: the first carries the name, so eleven buttons fit.
    star = point_names(STAR)
    assert [star[p] for p in (1, 2, 3, 7, 10)] == [
        "1 Stuck",
        "2",
        "3 Open to help",
        "7 Finding what works",
        "10",
    ]
    assert len(star) == 10
    halves = half_point_instrument()
    assert halves.points == (1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5)
    assert point_names(halves)[1.5] == "1.5" and point_names(halves)[3] == "3 High"


def test_the_chosen_point_says_what_it_means_for_the_area():
    housing = TAF.domains[0]
    assert point_meaning(TAF, housing, 1).startswith("1 · None: The family has a safe")
    wellbeing = next(d for d in STAR.domains if d.key == "wellbeing")
    assert point_meaning(STAR, wellbeing, 8).startswith("8 · Finding what works: ")


def test_blanks_are_not_scored_and_none_is_only_a_point():
    values = {"housing": 1.0, "aspirations": None}
    assert score_text(values, "housing") == "1"
    assert score_text(values, "aspirations") == NOT_APPLICABLE
    assert score_text(values, "physical_health") == NOT_SCORED == "Not scored"


def test_whole_changes_have_no_decimal_point_and_half_points_keep_theirs():
    assert change_text(4.0, 2.0, TAF) == "+2"  # need fell by two: better
    assert change_text(2.0, 3.0, TAF) == "−1"
    assert change_text(3.0, 3.0, TAF) == "0"
    assert change_text(4.0, 6.5, STAR) == "+2.5"
    assert change_text(None, 3.0, TAF) == change_text(3.0, None, TAF) == ""


def test_the_comparison_shows_every_area_and_what_still_needs_confirming():
    previous = stored(dict.fromkeys(TAF.domain_keys, 5.0) | {"aspirations": None})
    now = {"housing": 1.0, "general_health": 4.0, "aspirations": 3.0, "physical_health": 2.0}
    table = comparison_table(previous, now, TAF, confirmed={"physical_health"})
    assert list(table.columns) == ["Area", "Last time (12 Mar 2026)", "Now", "Change (+ is better)"]
    rows = table.set_index("Area")
    assert rows.loc["Housing"].tolist() == ["5", "1", "+4 ⚠ confirm above"]
    assert rows.loc["Physical health"].tolist() == ["5", "2", "+3 ✓ confirmed"]
    assert rows.loc["General health"].tolist() == ["5", "4", "+1"]
    assert rows.loc["Aspirations"].tolist() == [NOT_APPLICABLE, "3", ""]
    assert rows.loc["Drug or alcohol use"].tolist() == ["5", NOT_SCORED, ""]
    assert len(table) == 22


def test_a_saved_assessment_reads_with_point_names_and_notes():
    saved = stored(
        dict.fromkeys(TAF.domain_keys, 2.0) | {"housing": 4.0, "aspirations": None},
        notes={"housing": "Damp in the back bedroom"},
    )
    rows = assessment_table(saved, TAF).set_index("Area")
    assert rows.loc["Housing"].tolist() == ["4 Significant", "Damp in the back bedroom"]
    assert rows.loc["Aspirations"].tolist() == [NOT_APPLICABLE, ""]
    assert rows.loc["General health", "Score"] == "2 Minor"
    without_notes = assessment_table(stored(dict.fromkeys(TAF.domain_keys, 1.0)), TAF)
    assert list(without_notes.columns) == ["Area", "Score"]
