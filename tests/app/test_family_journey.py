"""Family journey page: the star, the change table, goals, notes and the family summary."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

import pages.common
from pages.common import APP_PAGES
from tests.app.conftest import by_label, open_app
from tracker.instruments.loader import get_instrument
from tracker.records.assessments import AssessmentDraft, save_assessment
from tracker.records.families import add_family, build_family
from tracker.records.invitations import create_invitation, submit_invitation
from tracker.render.qr_code import qr_svg
from tracker.store.db import write_session
from tracker.store.models import (
    AuditLog,
    Family,
    FamilyNote,
    Invitation,
    PlanGoal,
    Score,
)
from tracker.store.settings import get_settings

STAR = get_instrument("family-outcomes-10")
TAF = get_instrument("taf-dtt")
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

    table = app.table[0].value.set_index("Area")
    baseline, latest = (c for c in table.columns if c.startswith(("Baseline", "Review 2")))
    wellbeing = table.loc["Parent's own well-being"]
    assert (wellbeing[baseline], wellbeing[latest]) == ("3", "7")
    assert wellbeing["Change"] == "+4 ▲ better"
    assert wellbeing["Stage now"] == "Finding what works"
    work = table.loc["Steps towards work or training"]
    assert work["Change"] == "0 ● same"
    assert not [c for c in table.columns if c.startswith("Review 1")], "baseline and latest only"
    every = app.dataframe[0].value.set_index("Area")
    assert len(every.columns) == 3  # all three assessments, in the expander

    assert not app.toggle[0].value, "off: the family's view here was typed in by the worker"
    app.toggle[0].set_value(True).run()
    star = star_figures(app)[0]
    names = [trace["name"] for trace in star["data"]]
    assert any(name.startswith("Family's view") for name in names)
    assert "Views differ by 2 or more" in names
    assert "see these differently" in app.info[0].value


def taf_family_with_gaps(engine, key_worker_id: int) -> int:
    """A TAF family: housing not applicable at the review, aspirations not scored there
    (as an older record or a partial import can leave it: the form asks for every area)."""
    data = build_family(
        family_ref="T-1",
        area="Northfield",
        tier_of_need="tier 2",
        referral_source="GP",
        referral_date=date.today() - timedelta(days=200),
    )
    with write_session(engine) as session:
        family_id = add_family(session, actor="tester", data=data, key_worker_id=key_worker_id).id
    everything = dict.fromkeys(TAF.domain_keys, 4.0)
    for occasion, days_ago, values in [
        ("baseline", 150, everything),
        ("review", 30, everything | {"housing": None, "general_health": 2.0}),
    ]:
        draft = AssessmentDraft(
            family_id=family_id,
            instrument=TAF.key,
            occasion=occasion,
            assessed_on=date.today() - timedelta(days=days_ago),
            rater="worker",
            values=values,
        )
        with write_session(engine) as session:
            latest = save_assessment(
                session, draft, instrument=TAF, entered_by="Ann", today=date.today()
            )
    with write_session(engine) as session:
        session.execute(
            sa.delete(Score).where(Score.assessment_id == latest, Score.domain == "aspirations")
        )
    return family_id


def test_blanks_read_as_words_and_leave_a_gap_on_a_numbered_star(practitioner, sample_engine):
    taf_family_with_gaps(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="T-1")
    assert not app.exception
    table = app.table[0].value.set_index("Area")
    baseline, latest = table.columns[:2]
    assert (table.loc["Housing", baseline], table.loc["Housing", latest]) == ("4", "N/A")
    assert table.loc["Aspirations", latest] == "Not scored"
    assert table.loc["Housing", "Change"] == ""
    assert table.loc["General health", "Change"] == "+2 ▲ better"
    cells = table.to_numpy().ravel().tolist()
    assert "None" not in cells and not [c for c in cells if c.endswith(".0")]

    star = star_figures(app)[0]
    axis = star["layout"]["polar"]["angularaxis"]
    assert axis["ticktext"] == [str(n) for n in range(1, 23)]  # 22 names would overlap
    captions = " ".join(caption.value for caption in app.caption)
    assert "1 Housing · 2 Income, employment and finance" in captions
    latest_shape = star["data"][-1]
    assert latest_shape["r"][0] is None  # housing, N/A: a gap, and no line back to it
    assert latest_shape.get("fill") != "toself"


def test_goals_and_notes_are_added_from_the_family_page(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.text_input, "Goal, in the family's words").set_value("Walk to school together")
    by_label(app.button, "Add goal").click().run()
    assert not app.exception and not app.error
    assert [s.value for s in app.success] == [
        f"Goal added: “Walk to school together”, agreed on {date.today():%d %b %Y}."
    ]
    assert by_label(app.text_input, "Goal, in the family's words").value == ""
    by_label(app.text_area, "New note").set_value("Met at the school gate.")
    by_label(app.button, "Add note").click().run()
    assert not app.exception and not app.error
    assert [s.value for s in app.success] == [f"Note saved, dated {date.today():%d %b %Y}."]
    assert by_label(app.text_area, "New note").value == ""
    with sample_engine.connect() as connection:
        assert connection.execute(
            sa.select(PlanGoal.text).where(PlanGoal.family_id == family_id)
        ).scalars().all() == ["Walk to school together"]
        assert connection.execute(
            sa.select(FamilyNote.author).where(FamilyNote.family_id == family_id)
        ).scalars().all() == [practitioner.name]
    assert "Met at the school gate." in [element.value for element in app.text]

    by_label(app.selectbox, "Status").set_value("wholly_achieved")
    by_label(app.button, "Update goal").click().run()
    assert [s.value for s in app.success] == [
        "Goal updated: “Walk to school together” is now wholly achieved."
    ]


def notes_of(engine, family_id: int) -> list[tuple[date, str]]:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(FamilyNote.written_on, FamilyNote.text).where(
                FamilyNote.family_id == family_id
            )
        ).all()


def test_a_note_dated_before_the_referral_is_questioned_before_it_saves(
    practitioner, sample_engine
):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    referred = date.today() - timedelta(days=200)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.text_area, "New note").set_value("First visit, long ago.")
    by_label(app.date_input, "Date").set_value(date(2020, 3, 3))
    by_label(app.button, "Add note").click().run()
    assert not app.exception and not app.success
    assert app.warning[0].value == (
        f"This note is dated 03 Mar 2020, before the referral on {referred:%d %b %Y}. "
        "Is that right?"
    )
    assert notes_of(sample_engine, family_id) == [], "nothing is saved until it is confirmed"

    by_label(app.button, "No, let me change the date").click().run()
    assert not app.warning and notes_of(sample_engine, family_id) == []
    assert by_label(app.text_area, "New note").value == "First visit, long ago.", "kept"

    by_label(app.button, "Add note").click().run()
    by_label(app.button, "Yes, save the note").click().run()
    assert not app.exception and not app.warning
    assert [s.value for s in app.success] == ["Note saved, dated 03 Mar 2020."]
    assert notes_of(sample_engine, family_id) == [(date(2020, 3, 3), "First visit, long ago.")]


def test_a_goal_dated_before_the_referral_is_questioned_too(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.text_input, "Goal, in the family's words").set_value("Keep the flat")
    by_label(app.date_input, "Agreed on").set_value(date(2021, 1, 5))
    by_label(app.button, "Add goal").click().run()
    assert app.warning[0].value.startswith("This goal is dated 05 Jan 2021, before the referral")
    by_label(app.button, "Yes, save the goal").click().run()
    assert not app.exception and not app.error
    assert [s.value for s in app.success] == ["Goal added: “Keep the flat”, agreed on 05 Jan 2021."]
    with sample_engine.connect() as connection:
        assert connection.execute(
            sa.select(PlanGoal.set_on).where(PlanGoal.family_id == family_id)
        ).scalars().all() == [date(2021, 1, 5)]


def test_the_history_reads_as_sentences(practitioner, sample_engine):
    family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    by_label(app.text_input, "Goal, in the family's words").set_value("Walk to school together")
    by_label(app.button, "Add goal").click().run()
    history = next(m.value for m in app.markdown if "added the goal" in m.value)
    lines = history.splitlines()
    today = f"{date.today():%d %b %Y}"
    assert lines[0] == (
        rf"- {practitioner.name} added the goal “Walk to school together” on {today}\."
    )
    assert any("recorded the review scores" in line for line in lines)
    assert any(r"tester added family J\-1" in line for line in lines)
    for raw in ("{", "entity", "_id", "None"):
        assert raw not in history, raw


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
    assert "<p>Scored by your key worker.</p>" in html and "agreed together" not in html
    better = html.split("What has got better")[1].split("What we are still working on")[0]
    working = html.split("What we are still working on")[1].split("<h2>")[0]
    assert "Parent&#x27;s own well-being" in better and "Parent&#x27;s own" not in working
    assert "Steps towards work or training" in working  # 2 at the start and now
    assert "<svg" in html and html.count("<polygon") == 3

    by_label(app.radio, "Whose scores").set_value(True).run()
    html = app.get("iframe")[0].proto.srcdoc
    assert "<p>Your own scores.</p>" in html and html.count("<polygon") == 1


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


# Asking the family to rate on their own phone (pages/family_invitations.py).
ASK = "Ask the family to rate"


def invitations_of(engine, family_id: int) -> list[Invitation]:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(Invitation).where(Invitation.family_id == family_id)
        ).all()


def make_link(app, greeting: str | None = None):
    if greeting is not None:
        by_label(app.text_input, "Greeting").set_value(greeting)
    by_label(app.button, "Make a link").click().run()
    assert not app.exception
    return app


def test_a_key_worker_makes_a_link_and_only_its_fingerprint_is_stored(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = open_app(practitioner, PAGE, family="J-1")
    assert next(e.label for e in app.expander) == ASK
    assert by_label(app.text_input, "Greeting").value == "Hello"
    assert by_label(app.selectbox, "Instrument").options[0] == STAR.name, "theirs first"
    assert not app.code, "no link until one is made"

    make_link(app, "Hello Smith household")
    assert not app.error
    url = app.code[0].value
    prefix = f"{get_settings().public_url.rstrip('/')}/rate?invite="
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert len(token) >= 43
    runs_out = date.today() + timedelta(days=get_settings().invite_days)
    assert any(s.value == f"This link works once, until {runs_out:%d %b %Y}." for s in app.success)
    assert "shown only now" in app.info[0].value
    (qr,) = app.get("image")
    svg = base64.b64decode(qr.value[0].removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg == qr_svg(url), "the QR code is of this link"
    tell = next(m.value for m in app.markdown if "What to tell the family" in m.value)
    assert "camera" in tell

    (row,) = invitations_of(sample_engine, family_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (row.greeting, row.created_by, row.instrument) == (
        "Hello Smith household",
        practitioner.actor,
        STAR.key,
    )
    stored = Path(sample_engine.url.database).read_bytes()
    assert token.encode() not in stored, "the token itself is never stored"
    links = app.table[0].value
    assert links["State"].tolist() == ["Not opened yet"]
    assert links["Made by"].tolist() == [practitioner.name], "by name, not username"
    with sample_engine.connect() as connection:
        assert (
            connection.execute(
                sa.select(sa.func.count()).where(
                    AuditLog.action == "invite_created", AuditLog.family_id == family_id
                )
            ).scalar_one()
            == 1
        )


def test_the_greeting_may_not_name_the_family_reference(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = make_link(open_app(practitioner, PAGE, family="J-1"), "Hello j-1 family")
    assert "Greeting:** Leave the family's reference out" in app.error[0].value
    assert not app.code and invitations_of(sample_engine, family_id) == []


def test_a_cancelled_link_says_so_and_can_no_longer_be_cancelled(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    app = make_link(open_app(practitioner, PAGE, family="J-1"))
    assert app.code
    by_label(app.button, "Cancel link").click().run()
    assert not app.exception and not app.error
    assert any(s.value.startswith("Link cancelled:") for s in app.success)
    assert app.table[0].value["State"].tolist() == ["Cancelled"]
    assert not app.code, "a cancelled link is not offered any more"
    assert not [b for b in app.button if b.label == "Cancel link"]
    (row,) = invitations_of(sample_engine, family_id)
    assert row.revoked_at is not None


def test_no_link_for_a_family_outside_the_caseload_or_for_a_commissioner(
    practitioner, commissioner, sample_engine, monkeypatch
):
    with sample_engine.connect() as connection:
        other_ref = connection.execute(
            sa.select(Family.family_ref).where(
                Family.key_worker_id != practitioner.key_worker_id, Family.closed_on.is_(None)
            )
        ).scalar()
    app = open_app(practitioner, PAGE, family=other_ref)
    assert "not on your caseload" in app.error[0].value
    assert not app.expander and not [b for b in app.button if b.label == "Make a link"]

    # Navigation does not offer them the page; opened anyway, the page itself refuses.
    monkeypatch.setattr(pages.common, "offered_pages", lambda viewer: list(APP_PAGES))
    app = open_app(commissioner, PAGE, family=other_ref)
    assert app.error[0].value == "Your role does not allow this."
    assert not app.expander and not app.code


def test_a_rating_the_family_sent_is_marked_and_compared(practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    with write_session(sample_engine) as session:
        family = session.get(Family, family_id)
        _, token = create_invitation(session, practitioner, family, STAR.key, greeting="Hello")
    worker_today = AssessmentDraft(
        family_id=family_id,
        instrument=STAR.key,
        occasion="review",
        assessed_on=date.today(),
        rater="worker",
        values=dict.fromkeys(STAR.domain_keys, 8.0),
    )
    with write_session(sample_engine) as session:
        save_assessment(
            session, worker_today, instrument=STAR, entered_by="Ann", today=date.today()
        )
    with write_session(sample_engine) as session:
        answers = dict.fromkeys(STAR.domain_keys, 8.0) | {"wellbeing": 3.0}
        submit_invitation(session, token, answers, client="test")

    app = open_app(practitioner, PAGE, family="J-1")
    assert by_label(app.toggle, "Show the family's own ratings too").value, "on, as they sent it"
    assert not app.exception
    names = [trace["name"] for trace in star_figures(app)[0]["data"]]
    sent = f"Family's view: Review 1 ({date.today():%d %b %Y})"
    assert sent in names and "Views differ by 2 or more" in names
    captions = [c.value for c in app.caption]
    assert f"{sent}. Sent by the family from their own phone." in captions
    assert not [c for c in captions if c.startswith("Family's view: Baseline")], "typed in"
    assert "Parent's own well-being" in app.info[0].value
    assert app.table[0].value["State"].tolist() == ["Sent"]
