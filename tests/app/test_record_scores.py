"""Record scores page: baseline then review, corrections, clashes and validation."""

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


def fill(app, form_id: str, values: dict[str, float | None]) -> None:
    for key, value in values.items():
        if value is None:
            app.checkbox(key=f"{form_id}:{key}:na").check()
        else:
            app.number_input(key=f"{form_id}:{key}:value").set_value(value)
    app.run()


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
    app.date_input(key=f"{form}:date").set_value(date.today() - timedelta(days=60))
    baseline = {key: 4 for key in TAF.domain_keys}
    baseline["drug_alcohol_use"] = None
    fill(app, form, baseline)
    save(app)
    assert not app.exception
    assert "Saved the baseline for NEW-1" in app.success[0].value
    scores = stored(sample_engine, family_id)
    assert scores[("baseline", "housing")] == 4
    assert scores[("baseline", "drug_alcohol_use")] is None
    assert len(scores) == 22

    form = f"new-{family_id}-taf-dtt-1"
    assert app.selectbox(key=f"{form}:occasion").value == "review"
    review = {key: 3 for key in TAF.domain_keys}
    review["drug_alcohol_use"] = None
    review["housing"] = 1
    fill(app, form, review)
    warnings = " ".join(w.value for w in app.warning)
    assert "Big changes since last time" in warnings and "Housing 4 → 1" in warnings
    save(app)
    assert "Saved the review" in app.success[0].value
    scores = stored(sample_engine, family_id)
    assert scores[("review", "housing")] == 1
    assert scores[("review", "general_health")] == 3


def test_validation_keeps_what_was_typed(practitioner, sample_engine):
    family_id = new_family(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="NEW-1")
    choose(app, "Instrument", "taf-dtt")
    form = f"new-{family_id}-taf-dtt-0"
    fill(app, form, {"housing": 7, "general_health": 2})
    errors = " ".join(e.value for e in app.error)
    assert "Housing: 7 is outside the scale (1 to 5)." in errors
    save(app)
    errors = " ".join(e.value for e in app.error)
    assert "Not saved yet" in errors
    assert "Score these areas or mark them not applicable" in errors
    assert app.number_input(key=f"{form}:housing:value").value == 7
    assert app.number_input(key=f"{form}:general_health:value").value == 2
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
    assert app.number_input(key=f"{form}:housing:value").value == 4
    app.number_input(key=f"{form}:housing:value").set_value(5).run()
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

    app.number_input(key=f"{form}:housing:value").set_value(5).run()
    save(app)
    errors = " ".join(e.value for e in app.error)
    assert "Someone else changed this assessment" in errors
    assert "Another worker" in errors
    assert app.number_input(key=f"{form}:housing:value").value == 5
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
        assert not app.number_input
        assert not app.dataframe
        page_text = " ".join(m.value for m in app.markdown)
        assert other_ref not in page_text
