"""Saving assessments: server-side checks, the typo guard, and optimistic versions."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.instruments.loader import Instrument, get_instrument
from tracker.records.assessments import (
    AssessmentDraft,
    VersionConflict,
    big_change_threshold,
    big_changes,
    clashing_assessment,
    comparison_raters,
    confirmation_problems,
    load_assessment,
    previous_assessment,
    save_assessment,
    suggest_occasion,
    unconfirmed_changes,
)
from tracker.records.families import add_family, build_family
from tracker.store.db import write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import Assessment, Score

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")
TODAY = date(2025, 6, 1)


@pytest.fixture
def family_id(engine) -> int:
    data = build_family(
        family_ref="F1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="School",
        referral_date=date(2025, 1, 6),
    )
    with write_session(engine) as session:
        return add_family(session, actor="tester", data=data, key_worker_id=None).id


def draft(family_id: int, **changes) -> AssessmentDraft:
    fields = {
        "family_id": family_id,
        "instrument": "taf-dtt",
        "occasion": "baseline",
        "assessed_on": date(2025, 2, 1),
        "rater": "worker",
        "values": dict.fromkeys(TAF.domain_keys, 3.0),
    }
    fields.update(changes)
    return AssessmentDraft(**fields)


def save(engine, assessment: AssessmentDraft, **options) -> int:
    with write_session(engine) as session:
        return save_assessment(
            session, assessment, instrument=TAF, entered_by="Ann", today=TODAY, **options
        )


def count_rows(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(sa.select(sa.func.count(Assessment.id))).scalar_one(),
            connection.execute(sa.select(sa.func.count(Score.id))).scalar_one(),
        )


def test_a_baseline_saves_every_domain_in_one_go(engine, family_id):
    values = dict.fromkeys(TAF.domain_keys, 3.0) | {"housing": 5.0, "aspirations": None}
    assessment_id = save(engine, draft(family_id, values=values, notes={"housing": " Damp "}))
    with engine.connect() as connection:
        stored = load_assessment(connection, assessment_id)
        assert suggest_occasion(connection, family_id, "taf-dtt") == "review"
        assert suggest_occasion(connection, family_id, "family-outcomes-10") == "baseline"
    assert stored.values["housing"] == 5 and stored.values["aspirations"] is None
    assert stored.notes == {"housing": "Damp"}
    assert (stored.version, stored.entered_by) == (1, "Ann")
    assert count_rows(engine) == (1, 22)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"assessed_on": date(2025, 6, 2)}, "assessed_on", "cannot be in the future"),
        ({"assessed_on": date(2025, 1, 1)}, "assessed_on", "before the family was referred"),
        ({"occasion": "review"}, "occasion", "Record a baseline"),
        ({"occasion": "party"}, "occasion", "Choose one of"),
        ({"rater": "aunt"}, "rater", "Choose who gave the scores"),
        (
            {"values": dict.fromkeys(TAF.domain_keys, 3.0) | {"housing": 6.0}},
            "housing",
            "6 is outside the scale (1 to 5)",
        ),
        (
            {"values": dict.fromkeys(TAF.domain_keys, 3.0) | {"housing": 2.5}},
            "housing",
            "steps of 1",
        ),
        ({"values": {"housing": 3.0}}, "scores", "Score these areas"),
        ({"values": dict.fromkeys(TAF.domain_keys)}, "scores", "Score at least one area"),
        (
            {"values": dict.fromkeys(TAF.domain_keys, 3.0) | {"garden": 3.0}},
            "scores",
            "Not areas of",
        ),
    ],
)
def test_every_widget_limit_is_checked_again_on_the_server(
    engine, family_id, changes, field, words
):
    with pytest.raises(RecordInvalid) as refused:
        save(engine, draft(family_id, **changes))
    assert words in refused.value.problems[field]
    assert count_rows(engine) == (0, 0)


def test_a_review_must_follow_the_baseline(engine, family_id):
    save(engine, draft(family_id))
    with pytest.raises(RecordInvalid) as refused:
        save(
            engine, draft(family_id, occasion="review", assessed_on=date(2025, 2, 1), rater="joint")
        )
    assert "must come after the baseline on 01 Feb 2025" in refused.value.problems["assessed_on"]


def test_the_form_refuses_a_second_baseline_as_the_importer_does(engine, family_id):
    """A second baseline while the first journey is open would fork the family's history."""
    save(engine, draft(family_id))
    with pytest.raises(RecordInvalid) as refused:
        save(engine, draft(family_id, assessed_on=date(2025, 4, 1)))
    assert "second baseline" in refused.value.problems["occasion"]
    assert count_rows(engine)[0] == 1


def test_same_family_date_and_rater_is_one_assessment(engine, family_id):
    save(engine, draft(family_id))
    with pytest.raises(RecordInvalid) as refused:
        save(engine, draft(family_id))
    assert (
        "already an assessment by this rater on this date" in refused.value.problems["assessed_on"]
    )
    # The family's own view on the same day is a separate assessment.
    save(engine, draft(family_id, rater="family"))
    assert count_rows(engine) == (2, 44)


def test_editing_bumps_the_version_and_a_stale_save_is_refused(engine, family_id):
    assessment_id = save(engine, draft(family_id))
    edited = draft(family_id, values=dict.fromkeys(TAF.domain_keys, 2.0))
    save(engine, edited, assessment_id=assessment_id, expected_version=1)
    stale = draft(family_id, values=dict.fromkeys(TAF.domain_keys, 5.0))
    with pytest.raises(VersionConflict) as clash:
        save(engine, stale, assessment_id=assessment_id, expected_version=1)
    assert clash.value.current.version == 2
    assert clash.value.current.values["housing"] == 2
    with engine.connect() as connection:
        assert load_assessment(connection, assessment_id).values["housing"] == 2
    assert count_rows(engine) == (1, 22)


def half_point_instrument() -> Instrument:
    """A local 1-5 tool scored in half points, as some services use."""
    bands = [{"min": 1, "max": 2.5, "label": "Low"}, {"min": 3, "max": 5, "label": "High"}]
    return Instrument.model_validate(
        {
            "key": "halves",
            "name": "Halves",
            "version": 1,
            "scale_min": 1,
            "scale_max": 5,
            "step": 0.5,
            "higher_is_better": True,
            "bands": bands,
            "sections": [
                {
                    "key": "s",
                    "label": "S",
                    "domains": [{"key": "a", "label": "A", "descriptions": ["low", "high"]}],
                }
            ],
        }
    )


def test_big_changes_are_half_the_scale_or_more():
    # 3 points on a 5-point scale, 5 on a 10-point one, 2.5 on 1-5 in half points.
    assert big_change_threshold(TAF) == 3
    assert big_change_threshold(STAR) == 5
    assert big_change_threshold(half_point_instrument()) == 2.5
    assert big_changes({"housing": 5}, {"housing": 1}, TAF) == {"housing": (5, 1)}
    assert big_changes({"housing": 1}, {"housing": 4}, TAF) == {"housing": (1, 4)}
    assert big_changes({"housing": 1}, {"housing": 3}, TAF) == {}
    assert big_changes({"wellbeing": 2}, {"wellbeing": 7}, STAR) == {"wellbeing": (2, 7)}
    assert big_changes({"wellbeing": 2}, {"wellbeing": 6}, STAR) == {}
    assert big_changes({"wellbeing": None}, {"wellbeing": 9}, STAR) == {}
    assert big_changes({"wellbeing": 9}, {"wellbeing": None}, STAR) == {}


def test_a_big_change_waits_for_its_own_confirmation():
    before = {"housing": 5.0, "aspirations": 1.0, "physical_health": 3.0}
    after = {"housing": 1.0, "aspirations": 4.0, "physical_health": 2.0}
    assert unconfirmed_changes(before, after, TAF, set()) == {
        "housing": (5.0, 1.0),
        "aspirations": (1.0, 4.0),
    }
    assert unconfirmed_changes(before, after, TAF, {"housing"}) == {"aspirations": (1.0, 4.0)}
    # Confirming an area that did not jump changes nothing.
    assert unconfirmed_changes(before, after, TAF, {"physical_health", "housing"}) == {
        "aspirations": (1.0, 4.0)
    }
    problems = confirmation_problems(before, after, TAF, {"aspirations"})
    assert list(problems) == ["housing"]
    assert problems["housing"].startswith("Housing: 5 to 1 is a big change since last time.")
    assert "“Yes, this is right”" in problems["housing"]


def test_the_family_view_is_checked_against_the_familys_own():
    assert comparison_raters("family") == ("family",)
    assert comparison_raters("worker") == comparison_raters("joint") == ("worker", "joint")


def test_a_big_change_is_not_saved_until_confirmed(engine, family_id):
    save(engine, draft(family_id, values=dict.fromkeys(TAF.domain_keys, 5.0)))
    jump = dict.fromkeys(TAF.domain_keys, 4.0) | {"housing": 1.0}
    review = {"occasion": "review", "assessed_on": date(2025, 3, 1), "values": jump}
    with pytest.raises(RecordInvalid) as refused:
        save(engine, draft(family_id, **review, confirmed=frozenset()))
    assert list(refused.value.problems) == ["housing"]
    assert "Housing: 5 to 1 is a big change" in refused.value.problems["housing"]
    assert count_rows(engine) == (1, 22)

    # The family's own view is compared with the family's own, of which there is none.
    save(engine, draft(family_id, **review, rater="family", confirmed=frozenset()))
    save(engine, draft(family_id, **review, confirmed=frozenset({"housing"})))
    assert count_rows(engine) == (3, 66)


def test_an_import_is_not_asked_about_big_changes(engine, family_id):
    save(engine, draft(family_id, values=dict.fromkeys(TAF.domain_keys, 5.0)))
    jump = dict.fromkeys(TAF.domain_keys, 1.0)
    save(engine, draft(family_id, occasion="review", assessed_on=date(2025, 3, 1), values=jump))
    assert count_rows(engine) == (2, 44)


def test_a_clash_names_the_assessment_it_clashes_with(engine, family_id):
    first = save(engine, draft(family_id))
    with engine.connect() as connection:
        assert clashing_assessment(connection, draft(family_id)) == first
        assert clashing_assessment(connection, draft(family_id), first) is None
        assert clashing_assessment(connection, draft(family_id, rater="joint")) is None


def test_previous_assessment_is_the_latest_earlier_one_of_those_raters(engine, family_id):
    first = save(engine, draft(family_id))
    save(engine, draft(family_id, occasion="review", rater="family", assessed_on=date(2025, 3, 1)))
    with engine.connect() as connection:
        found = previous_assessment(
            connection,
            family_id=family_id,
            instrument="taf-dtt",
            before=date(2025, 4, 1),
            raters=("worker", "joint"),
        )
        assert found.id == first
        assert (
            previous_assessment(
                connection,
                family_id=family_id,
                instrument="taf-dtt",
                before=date(2025, 2, 1),
                raters=("worker",),
            )
            is None
        )
