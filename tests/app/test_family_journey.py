"""Family journey page: the star, the change table, goals, notes and the family summary."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.instruments.loader import get_instrument
from tracker.records.assessments import AssessmentDraft, save_assessment
from tracker.records.families import add_family, build_family
from tracker.store.db import write_session
from tracker.store.models import FamilyNote, PlanGoal

STAR = get_instrument("family-outcomes-10")
PAGE = "pages/family_journey.py"


def family_with_history(engine, key_worker_id: int) -> int:
    data = build_family(
        family_ref="J-1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="GP",
        referral_date=date.today() - timedelta(days=200),
    )
    with write_session(engine) as session:
        family_id = add_family(session, actor="tester", data=data, key_worker_id=key_worker_id).id
    history = [
        ("baseline", 150, "worker", 3),
        ("baseline", 150, "family", 6),
        ("review", 120, "worker", 5),
        ("review", 30, "worker", 7),
    ]
    for occasion, days_ago, rater, value in history:
        draft = AssessmentDraft(
            family_id=family_id,
            instrument=STAR.key,
            occasion=occasion,
            assessed_on=date.today() - timedelta(days=days_ago),
            rater=rater,
            values=dict.fromkeys(STAR.domain_keys, float(value)) | {"progress_to_work": 2.0},
        )
        with write_session(engine) as session:
            save_assessment(session, draft, instrument=STAR, entered_by="Ann", today=date.today())
    return family_id


def star_figures(app) -> list[dict]:
    return [json.loads(node.proto.spec) for node in app.get("plotly_chart")]


def test_the_star_shows_every_assessment_and_the_family_view(practitioner, sample_engine):
    family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    assert not app.exception
    star = star_figures(app)[0]
    names = [trace["name"] for trace in star["data"]]
    assert len(names) == 3 and names[0].startswith("Baseline") and "Review 2" in names[2]
    assert star["layout"]["polar"]["radialaxis"]["range"] == [1, 10]

    table = app.dataframe[0].value
    wellbeing = table.set_index("Area").loc["Parent's own well-being"]
    assert wellbeing["Change"] == 4
    assert wellbeing["Direction"] == "▲ better"
    assert wellbeing["Stage now"] == "Finding what works"
    work = table.set_index("Area").loc["Steps towards work or training"]
    assert work["Change"] == 0 and work["Direction"] == "● same"

    app.toggle[0].set_value(True).run()
    star = star_figures(app)[0]
    names = [trace["name"] for trace in star["data"]]
    assert any(name.startswith("Family's view") for name in names)
    assert "Views differ by 2 or more" in names
    assert "see these differently" in app.info[0].value


def test_goals_and_notes_are_added_from_the_family_page(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.text_input, "Goal, in the family's words").set_value("Walk to school together")
    by_label(app.button, "Add goal").click().run()
    by_label(app.text_area, "New note").set_value("Met at the school gate.")
    by_label(app.button, "Add note").click().run()
    assert not app.exception and not app.error
    with sample_engine.connect() as connection:
        assert connection.execute(
            sa.select(PlanGoal.text).where(PlanGoal.family_id == family_id)
        ).scalars().all() == ["Walk to school together"]
        assert connection.execute(
            sa.select(FamilyNote.author).where(FamilyNote.family_id == family_id)
        ).scalars().all() == [practitioner.name]
    assert "Met at the school gate." in [element.value for element in app.text]


def test_the_family_summary_downloads_as_plain_html(practitioner, sample_engine):
    family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.text_input, "First name to greet (not saved)").set_value("Sam").run()
    assert app.get("download_button")[0].label.startswith("Download the summary")
    assert not app.get("iframe"), "the preview is drawn only when asked for"
    by_label(app.toggle, "Show the summary here").set_value(True).run()
    html = app.get("iframe")[0].proto.srcdoc
    assert "Sam, here is how things have changed" in html
    assert "Family J-1" in html
    assert "What has got better" in html and "Parent&#x27;s own well-being" in html
    assert "Steps towards work or training" in html.split("What we are still working on")[1]
    assert "<svg" in html and html.count("<polygon") == 3


def test_an_empty_goal_is_refused_in_the_usual_problem_box(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.button, "Add goal").click().run()
    assert not app.exception
    assert "Please check:" in app.error[0].value
    assert "Write the goal in a few words." in app.error[0].value
    with sample_engine.connect() as connection:
        assert not connection.execute(
            sa.select(PlanGoal.id).where(PlanGoal.family_id == family_id)
        ).first()
