"""The public self-rating page: a family rates on their own phone by the link alone.

Signed out, the link is the only key: without a good one the page shows the one plain
message and nothing else, and it opens no other page. With one it greets the family,
asks one area per screen, keeps each answer as a draft (a new session carries on where
the last one stopped), reviews, sends an assessment the family gave themselves, and
then the link is spent.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from pages.common import APP_PAGES
from tests.app.conftest import APP, by_label, first_worker
from tracker.instruments.loader import get_instrument
from tracker.people.access import MANAGER, Viewer
from tracker.records.invitations import (
    CANNOT_SEND,
    INVITE_REFUSAL,
    create_invitation,
    revoke_invitation,
    submit_invitation,
)
from tracker.render import self_rating as words
from tracker.render.plain_text import markdown_literal
from tracker.store.db import write_session
from tracker.store.models import Assessment, AuditLog, Family, Score

PAGE = "pages/self_rating.py"
STAR = get_instrument("family-outcomes-10")
GREETING = "Hello Smith household"
MANAGER_VIEWER = Viewer(name="Service manager (all families)", role=MANAGER, username="tester")


def open_family(engine) -> Family:
    """An open family of the busiest key worker, with no rating of its own today."""
    worker_id, _ = first_worker(engine)
    with engine.connect() as connection:
        return connection.execute(
            sa.select(Family)
            .where(Family.key_worker_id == worker_id, Family.closed_on.is_(None))
            .order_by(Family.family_ref)
        ).first()


def invite(engine, family: Family, **options) -> str:
    with write_session(engine) as session:
        _, token = create_invitation(
            session, MANAGER_VIEWER, family, STAR.key, greeting=GREETING, **options
        )
    return token


@pytest.fixture
def family(sample_engine) -> Family:
    return open_family(sample_engine)


@pytest.fixture
def token(sample_engine, family) -> str:
    return invite(sample_engine, family)


def visit(token: str | None = None, *, viewer: Viewer | None = None) -> AppTest:
    """A new browser session at /rate (with ``?invite=token``): signed out unless ``viewer``."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()  # the sign-in form: the first run registers the pages
    app.switch_page(PAGE)
    if token is not None:
        app.query_params["invite"] = token
    if viewer is not None:
        app.session_state["viewer"] = viewer
        app.session_state["signed_in_at"] = app.session_state["last_active"] = time.time()
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def shown_text(app: AppTest) -> list[str]:
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "error", "success")
    return [str(element.value) for kind in kinds for element in app.get(kind)]


def only_the_refusal(app: AppTest, message: str = INVITE_REFUSAL) -> None:
    assert [w.value for w in app.warning] == [message]
    assert shown_text(app) == [], "nothing but the refusal"
    assert not app.button and not app.text_input
    assert not app.sidebar.children


def tap(app: AppTest, key: str) -> None:
    app.button(key=key).click().run()
    assert not app.exception, [e.value for e in app.exception]


def point_key(index: int, point: float) -> str:
    return f"point-{STAR.domains[index].key}-{point:g}"


def screen(app: AppTest) -> str:
    """The area being asked about, or the screen's title when it is no area."""
    return app.header[0].value if app.header else app.title[0].value


def audit_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(AuditLog.id))).scalar_one()


# Refused links -----------------------------------------------------------------------------


def test_without_a_link_the_page_shows_the_one_message_and_nothing_else(sample_engine):
    only_the_refusal(visit())


def test_an_unknown_link_gets_the_same_message(sample_engine, token):
    only_the_refusal(visit(token[:-4] + "AAAA"))


def test_an_expired_link_gets_the_same_message(sample_engine, family):
    created = datetime.now() - timedelta(days=3)
    only_the_refusal(visit(invite(sample_engine, family, expires_days=1, now=created)))


def test_a_cancelled_link_gets_the_same_message(sample_engine, family):
    with write_session(sample_engine) as session:
        invitation_id, token = create_invitation(
            session, MANAGER_VIEWER, family, STAR.key, greeting=GREETING
        )
    with write_session(sample_engine) as session:
        revoke_invitation(session, MANAGER_VIEWER, invitation_id)
    only_the_refusal(visit(token))


def test_a_used_link_gets_the_same_message(sample_engine, token):
    with write_session(sample_engine) as session:
        submit_invitation(session, token, {STAR.domain_keys[0]: 5.0}, client=None)
    only_the_refusal(visit(token))


def test_a_huge_link_is_refused_at_once_without_touching_the_database(sample_engine):
    before = audit_rows(sample_engine)
    only_the_refusal(visit("x" * 200_000))
    assert audit_rows(sample_engine) == before, "refused before any database work"


@pytest.mark.parametrize("odd", ["<script>alert(1)</script>", "../../etc/passwd", "' OR 1=1 --"])
def test_an_odd_link_gets_the_same_message(sample_engine, odd):
    only_the_refusal(visit(odd))


# A family rating ---------------------------------------------------------------------------


def test_the_link_opens_on_the_workers_greeting_and_nothing_about_the_family(
    sample_engine, family, token
):
    app = visit(token)
    assert app.title[0].value == GREETING
    assert f"There are {len(STAR.domains)} questions." in app.markdown[0].value
    assert app.button(key="rate-start").label == words.START
    assert not any(family.family_ref in text for text in shown_text(app))
    assert not app.sidebar.children, "no sidebar, no navigation"


def test_the_greeting_shows_exactly_as_the_worker_typed_it_never_as_markdown(sample_engine, family):
    with write_session(sample_engine) as session:
        typed = "Hello *Smiths* [tap](https://e.org)"
        _, token = create_invitation(session, MANAGER_VIEWER, family, STAR.key, greeting=typed)
    app = visit(token)
    assert app.title[0].value == markdown_literal(typed)
    assert "](" not in app.title[0].value, "no link is drawn"


def test_a_family_answers_skips_reviews_changes_and_sends(sample_engine, family, token):
    app = visit(token)
    tap(app, "rate-start")
    assert screen(app) == STAR.domains[0].name_for_family
    assert app.get("progress")[0].proto.text == "Question 1 of 10"
    tap(app, point_key(0, 3))
    assert screen(app) == STAR.domains[1].name_for_family
    tap(app, "rate-skip")  # the second area skipped
    tap(app, "rate-back")
    assert screen(app) == STAR.domains[1].name_for_family
    tap(app, "rate-back")
    assert screen(app) == STAR.domains[0].name_for_family
    # The answer given is marked, so going back shows what was chosen.
    assert app.button(key=point_key(0, 3)).proto.type == "primary"
    tap(app, point_key(0, 3))
    tap(app, "rate-skip")
    for index in range(2, len(STAR.domains)):
        assert app.get("progress")[0].proto.text == f"Question {index + 1} of 10"
        tap(app, point_key(index, 8))

    assert app.header[0].value == words.CHECK
    rows = {
        container.markdown[0].value: container.markdown[1].value
        for container in app.main.children.values()
        if getattr(container, "type", "") == "flex_container" and len(container.markdown) >= 2
    }
    assert rows[f"**{STAR.domains[1].name_for_family}**"] == words.SKIPPED
    tap(app, f"rate-change-{STAR.domains[0].key}")
    assert screen(app) == STAR.domains[0].name_for_family
    tap(app, point_key(0, 9))  # a change goes straight back to the review
    assert app.header[0].value == words.CHECK
    tap(app, "rate-send")

    assert [t.value for t in app.title] == [words.THANK_YOU]
    assert [m.value for m in app.markdown] == [words.SENT]
    assert not app.button
    with sample_engine.connect() as connection:
        assessment = connection.execute(
            sa.select(Assessment).where(
                Assessment.family_id == family.id, Assessment.self_completed.is_(True)
            )
        ).one()
        scores = dict(
            connection.execute(
                sa.select(Score.domain, Score.value).where(Score.assessment_id == assessment.id)
            ).all()
        )
    assert assessment.rater == "family"
    assert assessment.instrument == STAR.key
    assert scores[STAR.domain_keys[0]] == 9
    assert scores.get(STAR.domain_keys[1]) is None
    assert all(scores[key] == 8 for key in STAR.domain_keys[2:])

    only_the_refusal(visit(token))  # a second visit, after sending


def test_a_new_session_carries_on_at_the_first_area_not_answered(sample_engine, token):
    app = visit(token)
    tap(app, "rate-start")
    tap(app, point_key(0, 4))
    tap(app, "rate-skip")
    tap(app, point_key(2, 6))

    again = visit(token)  # a reload: a new session with the same link
    assert screen(again) == STAR.domains[3].name_for_family
    assert again.get("progress")[0].proto.text == "Question 4 of 10"
    assert again.info[0].value == words.WELCOME_BACK
    tap(again, "rate-back")
    tap(again, "rate-back")
    tap(again, "rate-back")
    assert again.button(key=point_key(0, 4)).proto.type == "primary", "the answer was kept"


def test_answers_that_cannot_be_sent_today_stay_on_the_check_screen(sample_engine, family):
    first, second = invite(sample_engine, family), invite(sample_engine, family)
    with write_session(sample_engine) as session:  # the family sent one rating today already
        submit_invitation(session, first, {STAR.domain_keys[0]: 5.0}, client=None)
    app = visit(second)
    tap(app, "rate-start")
    for index in range(len(STAR.domains)):
        tap(app, point_key(index, 6))
    tap(app, "rate-send")
    assert [e.value for e in app.error] == [CANNOT_SEND]
    assert app.header[0].value == words.CHECK, "the answers stay, to send another day"
    assert app.button(key="rate-send")


def test_a_signed_in_worker_opening_the_link_sees_only_the_family_page(sample_engine, token):
    app = visit(token, viewer=MANAGER_VIEWER)
    assert app.title[0].value == GREETING
    assert not app.sidebar.children, "no sidebar, no navigation, no 'Signed in as'"


# The rest of the app stays behind sign-in ------------------------------------------------


@pytest.mark.parametrize("page", [page.path for page in APP_PAGES if not page.public])
def test_signed_out_every_other_page_still_asks_for_sign_in(sample_engine, token, page):
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["invite"] = token  # a good link does not open a staff page either
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [t.value for t in app.title] == ["Distance Travelled"]
    assert by_label(app.text_input, "Username")
    assert not app.sidebar.children
