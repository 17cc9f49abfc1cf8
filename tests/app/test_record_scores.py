"""Record scores page: taps on each scale, the typo guard's question, what a save shows,
corrections, clashes and validation."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.instruments.loader import get_instrument
from tracker.records.assessments import AssessmentDraft, save_assessment
from tracker.records.families import add_family, build_family
from tracker.store.db import write_session
from tracker.store.models import Assessment, Family, KeyWorker, Score

TAF = get_instrument("taf-dtt")
PAGE = "pages/record_scores.py"


def new_family(engine, key_worker_id: int, ref: str = "NEW-1") -> int:
    data = build_family(
        family_ref=ref,
        area="Northfield",
        tier_of_need="tier 3",
        referral_source="School",
        referral_date=date.today() - timedelta(days=90),
    )
    with write_session(engine) as session:
        return add_family(session, actor="tester", data=data, key_worker_id=key_worker_id).id


def choose(app, label: str, value):
    by_label(app.selectbox, label).set_value(value)
    app.run()


def scale(app, form_id: str, key: str):
    return app.segmented_control(key=f"{form_id}:{key}:score")


def fill(app, form_id: str, values: dict[str, float | None]) -> None:
    """Tap each area's point, or N/A for None."""
    for key, value in values.items():
        scale(app, form_id, key).set_value("na" if value is None else float(value))
    app.run()


def texts(elements) -> str:
    return " ".join(element.value for element in elements)


def save(app) -> None:
    by_label(app.button, "Save assessment").click().run()


def stored(engine, family_id: int) -> dict[tuple[str, str], float | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Assessment.occasion, Score.domain, Score.value)
            .join(Score, Score.assessment_id == Assessment.id)
            .where(Assessment.family_id == family_id)
        ).all()
    return {(occasion, domain): value for occasion, domain, value in rows}


def test_record_a_baseline_then_a_review(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    assert app.selectbox(key=f"{form}:occasion").value == "baseline"
    assert scale(app, form, "housing").options == [
        "1 None",
        "2 Minor",
        "3 Moderate",
        "4 Significant",
        "5 Critical / complex",
        "N/A",
    ]
    assert "Not scored yet." in texts(app.caption)
    app.date_input(key=f"{form}:date").set_value(date.today() - timedelta(days=60))
    baseline = {key: 4 for key in TAF.domain_keys}
    baseline["drug_alcohol_use"] = None
    fill(app, form, baseline)
    assert "4 · Significant: The family may lose their home soon" in texts(app.caption)
    assert "N/A: this area does not apply to this family." in texts(app.caption)
    save(app)
    assert not app.exception
    assert "Saved the baseline for NEW-1" in app.success[0].value
    scores = stored(sample_engine, family_id)
    assert scores[("baseline", "housing")] == 4
    assert scores[("baseline", "drug_alcohol_use")] is None
    assert len(scores) == 22

    # What was saved, not a fresh form that clashes with it.
    assert "There is already an assessment" not in texts(app.error)
    assert [h.value for h in app.header] == ["The assessment you saved"]
    saved = app.table[0].value.set_index("Area")
    assert saved.loc["Housing", "Score"] == "4 Significant"
    assert saved.loc["Drug or alcohol use", "Score"] == "N/A"
    by_label(app.button, "Record another assessment").click().run()

    form = f"new-{family_id}-taf-dtt-1"
    assert app.selectbox(key=f"{form}:occasion").value == "review"
    review = {key: 3 for key in TAF.domain_keys}
    review["drug_alcohol_use"] = None
    review["housing"] = 1
    fill(app, form, review)
    assert "Big changes since last time (3 points or more): Housing 4 → 1" in texts(app.warning)
    comparison = app.table[0].value.set_index("Area")
    assert comparison.loc["Housing", "Change (+ is better)"] == "+3 ⚠ confirm above"
    save(app)
    errors = texts(app.error)
    assert "Not saved yet" in errors
    assert "Housing: 4 to 1 is a big change since last time" in errors
    assert ("review", "housing") not in stored(sample_engine, family_id)

    sure = by_label(app.checkbox, "Yes, this is right")
    assert sure.key == f"{form}:housing:sure:1"
    sure.check().run()
    assert "Big changes since last time" not in texts(app.warning)
    save(app)
    assert "Saved the review" in app.success[0].value
    scores = stored(sample_engine, family_id)
    assert scores[("review", "housing")] == 1
    assert scores[("review", "general_health")] == 3


def test_changing_a_confirmed_score_asks_again(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    _baseline(sample_engine, family_id, value=5)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    fill(app, form, dict.fromkeys(TAF.domain_keys, 4) | {"housing": 1})
    by_label(app.checkbox, "Yes, this is right").check().run()
    fill(app, form, {"housing": 2})  # still a big change, but not the one confirmed
    assert not by_label(app.checkbox, "Yes, this is right").value
    save(app)
    assert "Housing: 5 to 2 is a big change" in texts(app.error)
    assert ("review", "housing") not in stored(sample_engine, family_id)


def test_validation_keeps_what_was_chosen(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    fill(app, form, {"housing": 5, "general_health": 2})
    assert "**Family profile** · 1 of 4 done" in texts(app.markdown)
    save(app)
    errors = texts(app.error)
    assert "Not saved yet" in errors
    assert "Score these areas or mark them not applicable" in errors
    assert scale(app, form, "housing").value == 5
    assert scale(app, form, "general_health").value == 2
    assert stored(sample_engine, family_id) == {}


def test_review_needs_a_baseline_first(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    app.selectbox(key=f"{form}:occasion").set_value("review")
    fill(app, form, dict.fromkeys(TAF.domain_keys, 3))
    save(app)
    assert "Record a baseline for this instrument before any review." in " ".join(
        e.value for e in app.error
    )
    assert stored(sample_engine, family_id) == {}


def _baseline(engine, family_id: int, value: float = 4) -> int:
    draft = AssessmentDraft(
        family_id=family_id,
        instrument="taf-dtt",
        occasion="baseline",
        assessed_on=date.today() - timedelta(days=30),
        rater="worker",
        values=dict.fromkeys(TAF.domain_keys, value),
    )
    with write_session(engine) as session:
        return save_assessment(
            session, draft, instrument=TAF, entered_by="Someone else", today=date.today()
        )


def test_correct_an_earlier_assessment(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    assessment_id = _baseline(sample_engine, family_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    app.radio[0].set_value("Correcting an earlier one").run()
    form = f"edit-{assessment_id}"
    assert scale(app, form, "housing").value == 4
    fill(app, form, {"housing": 5})
    save(app)
    assert "Saved the baseline" in app.success[0].value
    with sample_engine.connect() as connection:
        version = connection.execute(
            sa.select(Assessment.version).where(Assessment.id == assessment_id)
        ).scalar_one()
    assert version == 2
    assert stored(sample_engine, family_id)[("baseline", "housing")] == 5


def test_a_clash_is_reported_and_nothing_typed_is_lost(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    assessment_id = _baseline(sample_engine, family_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    app.radio[0].set_value("Correcting an earlier one").run()
    form = f"edit-{assessment_id}"

    # Another worker saves a change first.
    theirs = AssessmentDraft(
        family_id=family_id,
        instrument="taf-dtt",
        occasion="baseline",
        assessed_on=date.today() - timedelta(days=30),
        rater="worker",
        values=dict.fromkeys(TAF.domain_keys, 2),
    )
    with write_session(sample_engine) as session:
        save_assessment(
            session,
            theirs,
            instrument=TAF,
            entered_by="Another worker",
            today=date.today(),
            assessment_id=assessment_id,
            expected_version=1,
        )

    fill(app, form, {"housing": 5})
    save(app)
    errors = " ".join(e.value for e in app.error)
    assert "Someone else changed this assessment" in errors
    assert "Another worker" in errors
    assert scale(app, form, "housing").value == 5
    assert stored(sample_engine, family_id)[("baseline", "housing")] == 2

    save(app)  # a deliberate second save keeps ours
    scores = stored(sample_engine, family_id)
    assert scores[("baseline", "housing")] == 5
    assert scores[("baseline", "general_health")] == 4


def test_another_workers_family_is_refused_by_url(practitioner, sample_engine):
    with sample_engine.connect() as connection:
        other_id = (
            connection.execute(
                sa.select(KeyWorker.id).where(KeyWorker.id != practitioner.key_worker_id)
            )
            .scalars()
            .first()
        )
        other_ref = (
            connection.execute(sa.select(Family.family_ref).where(Family.key_worker_id == other_id))
            .scalars()
            .first()
        )
    for page in (PAGE, "pages/family_journey.py"):
        app = open_app(practitioner, page, family=other_ref)
        assert not app.exception
        assert "not on your caseload" in app.error[0].value
        assert not app.segmented_control
        assert not app.table
        page_text = " ".join(m.value for m in app.markdown)
        assert other_ref not in page_text


def test_a_clash_offers_to_correct_the_assessment_already_there(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    assessment_id = _baseline(sample_engine, family_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    app.date_input(key=f"{form}:date").set_value(date.today() - timedelta(days=30)).run()
    assert "There is already an assessment by this rater on this date" in texts(app.error)
    by_label(app.button, "Correct that one").click().run()
    assert app.radio(key="record-mode").value == "Correcting an earlier one"
    assert app.selectbox(key=f"record-which-{family_id}-taf-dtt").value == assessment_id
    assert scale(app, f"edit-{assessment_id}", "housing").value == 4
    assert "There is already an assessment" not in texts(app.error)


def test_correct_it_after_saving_opens_what_was_saved(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    _baseline(sample_engine, family_id, value=3)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    fill(app, form, dict.fromkeys(TAF.domain_keys, 2) | {"aspirations": None})
    app.text_area(key=f"{form}:housing:note").input("Damp *again* in the back room").run()
    comparison = app.table[0].value.set_index("Area")
    assert comparison.loc["Housing"].tolist()[1:] == ["2", "+1"]
    assert comparison.loc["Aspirations"].tolist()[1:] == ["N/A", ""]
    save(app)
    saved = app.table[0].value.set_index("Area")
    assert saved.loc["Housing"].tolist() == ["2 Minor", r"Damp \*again\* in the back room"]
    by_label(app.button, "Correct it").click().run()
    with sample_engine.connect() as connection:
        review_id = connection.execute(
            sa.select(Assessment.id).where(
                Assessment.family_id == family_id, Assessment.occasion == "review"
            )
        ).scalar_one()
    assert app.selectbox(key=f"record-which-{family_id}-taf-dtt").value == review_id
    assert scale(app, f"edit-{review_id}", "housing").value == 2
    assert scale(app, f"edit-{review_id}", "aspirations").value == "na"
    assert app.text_area(key=f"edit-{review_id}:housing:note").value == (
        "Damp *again* in the back room"
    )


def test_a_star_is_scored_by_stage(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "family-outcomes-10")
    form = f"new-{family_id}-family-outcomes-10-0"
    options = scale(app, form, "wellbeing").options
    assert options[:4] == ["1 Stuck", "2", "3 Open to help", "4"]
    assert options[-2:] == ["10", "N/A"]
    fill(app, form, {"wellbeing": 8})
    assert "8 · Finding what works: " in texts(app.caption)
