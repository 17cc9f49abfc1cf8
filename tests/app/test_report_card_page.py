"""Report card page: periods and scopes render, the story and costs are saved, exports offered."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from streamlit.proto.Metric_pb2 import Metric

from tests.app.conftest import by_label, open_app
from tracker.instruments.loader import get_instrument
from tracker.measures.periods import last_full_quarter
from tracker.measures.reportcard import MEASURES_BY_KEY
from tracker.measures.yardstick import service_yardstick
from tracker.store.models import ProgrammeCost, ReportStory

PAGE = "pages/report_card.py"
# The referral pathway and quality assurance (tracker/measures/reportcard/quality_measures.py).
QUALITY_MEASURES = (
    "panel_referrals",
    "multi_agency_packages",
    "inappropriate_referrals",
    "days_to_first_contact",
    "closure_audits_completed",
    "case_files_engagement",
    "case_files_multi_agency",
    "case_files_innovation",
    "stakeholders_pathway",
    "stakeholders_multi_agency",
)


def test_last_quarter_renders_all_four_questions(manager, sample_engine):
    app = open_app(manager, PAGE)
    assert not app.exception, [e.value for e in app.exception]
    # Second-level headings, straight under the page title: axe flags a skipped level.
    headings = " ".join(h.value for h in app.header)
    for question in (
        "Is anyone better off?",
        "How much did we do?",
        "How well did we do it?",
        "Is it cost effective?",
    ):
        assert question in headings
    quarter = last_full_quarter(date.today())
    assert quarter.label in app.caption[0].value
    labels = [m.label for m in app.metric]
    assert "Families reliably better off" in labels and "Unit cost per hour of service" in labels
    assert "Cost per family reliably better off" in labels
    assert "Families better off" not in labels
    # The yardstick reliable change is judged against, from the whole service.
    with sample_engine.connect() as connection:
        yardstick = service_yardstick(connection, get_instrument("taf-dtt"))
    assert yardstick.caption() in [caption.value for caption in app.caption]
    # "About the same" carries no arrow and no colour; a move beyond noise has both.
    same = [m.proto for m in app.metric if m.proto.delta.endswith("(about the same)")]
    moved = [m.proto for m in app.metric if m.proto.delta.endswith(("(better)", "(worse)"))]
    assert same and moved
    assert {(proto.direction, proto.color) for proto in same} == {
        (Metric.MetricDirection.NONE, Metric.MetricColor.GRAY)
    }
    assert all(proto.direction != Metric.MetricDirection.NONE for proto in moved)
    # A percentage's change is in percentage points.
    (better,) = [m.proto for m in app.metric if m.label == "Families reliably better off"]
    assert not better.delta or "percentage points" in better.delta or "no change" in better.delta
    # A manager sees the service card; each download says it is not for publication.
    assert [b.label for b in app.get("download_button")] == [
        "HTML (opens in any browser, prints on A4), service, not for publication",
        "PDF (A4), service, not for publication",
        "Excel (every measure), service, not for publication",
    ]
    assert "Service: exact figures" in captions_of(app)


def test_every_download_says_what_the_file_holds(manager):
    app = open_app(manager, PAGE)
    helps = {b.label.split(",")[0]: b.proto.help for b in app.get("download_button")}
    assert set(helps) == {"HTML (opens in any browser", "PDF (A4)", "Excel (every measure)"}
    for kind in ("HTML (opens in any browser", "PDF (A4)"):
        assert helps[kind].startswith("Opens with the one-page scorecard")
        assert "target, the trend and the last eight quarters" in helps[kind]
    assert helps["Excel (every measure)"].startswith("Every measure as the card rounds it")
    assert "better off first" in helps["Excel (every measure)"]
    for words in helps.values():
        for context in ("who it is for", "filters", "whose ratings", "smallest group", "made"):
            assert context in words, (context, words)


@pytest.mark.parametrize(
    ("period", "scope"),
    [
        ("Financial year", "service"),
        ("Quarter", "area"),
        ("Quarter", "tier_of_need"),
        ("Quarter", "key_worker_type"),
    ],
)
def test_periods_and_scopes_render(manager, period, scope):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.radio, "Period").set_value(period).run()
    by_label(app.sidebar.selectbox, "Scope").set_value(scope).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.metric
    if scope != "service":
        assert "Whole service" not in app.caption[0].value


def test_the_pathway_and_quality_measures_show(manager):
    app = open_app(manager, PAGE)
    labels = [m.label for m in app.metric]
    for key in QUALITY_MEASURES:
        assert MEASURES_BY_KEY[key].label in labels, key
    # Feedback from key workers and panel members belongs to no area: an area's card says
    # so in words rather than show a share.
    by_label(app.sidebar.selectbox, "Scope").set_value("area").run()
    values = {m.label: m.value for m in app.metric}
    for key in ("stakeholders_pathway", "stakeholders_multi_agency"):
        assert values[MEASURES_BY_KEY[key].label] == "Whole service only"


def test_trend_charts_can_be_shown(manager):
    app = open_app(manager, PAGE)
    app.toggle[0].set_value(True).run()
    assert len(app.get("plotly_chart")) == len(app.metric)


def test_the_story_and_the_cost_are_saved(manager, sample_engine):
    app = open_app(manager, PAGE)
    by_label(app.text_area, "What is working").set_value("Evening visits help working parents.")
    next(b for b in app.button if b.label == "Save the story").click().run()
    assert "Saved" in app.success[0].value
    by_label(
        app.number_input,
        next(n.label for n in app.number_input if n.label.startswith("Programme cost")),
    ).set_value(120000.0)
    next(b for b in app.button if b.label == "Save cost").click().run()
    with sample_engine.connect() as connection:
        story = connection.execute(
            sa.select(ReportStory.text).where(ReportStory.field == "working")
        ).scalar_one()
        cost = connection.execute(sa.select(ProgrammeCost.amount)).scalar_one()
    assert story == "Evening visits help working parents."
    assert cost == 120000
    app.run()
    assert by_label(app.metric, "Cost per family worked with").value.startswith("£")


def captions_of(app) -> str:
    """Every caption as it reads, without Markdown's escapes."""
    return " ".join(caption.value.replace("\\", "") for caption in app.caption)


def counts_on_screen(app) -> dict[str, str]:
    return {
        metric.label: metric.value
        for metric in app.metric
        if metric.label
        in ("Families worked with", "Cases closed", "Referrals on to specialist services")
    }


def is_published_count(text: str) -> bool:
    return text == "*" or int(text.replace(",", "")) % 5 == 0


def test_a_manager_can_choose_the_published_card_for_the_board(manager):
    app = open_app(manager, PAGE)
    service = counts_on_screen(app)
    by_label(app.sidebar.checkbox, "For publication").check().run()
    assert not app.exception, [e.value for e in app.exception]
    published = counts_on_screen(app)
    assert published.keys() == service.keys() and all(map(is_published_count, published.values()))
    assert [b.label for b in app.get("download_button")] == [
        "HTML (opens in any browser, prints on A4), published",
        "PDF (A4), published",
        "Excel (every measure), published",
    ]
    captions = captions_of(app)
    assert "Published: counts rounded to 5" in captions
    assert "These downloads are the published card" in captions and "Method:" in captions


def test_a_commissioner_always_gets_the_published_card(commissioner):
    app = open_app(commissioner, PAGE)
    assert not app.exception, [e.value for e in app.exception]
    assert not [box for box in app.sidebar.checkbox if box.label == "For publication"]
    assert all(map(is_published_count, counts_on_screen(app).values()))
    assert [b.label for b in app.get("download_button")] == [
        "HTML (opens in any browser, prints on A4), published",
        "PDF (A4), published",
        "Excel (every measure), published",
    ]


def test_a_published_card_refuses_dates_that_are_not_whole_months(commissioner):
    app = open_app(commissioner, PAGE)
    by_label(app.sidebar.radio, "Period").set_value("Custom dates").run()
    app.sidebar.date_input[0].set_value((date(2026, 1, 5), date(2026, 2, 20))).run()
    assert not app.exception, [e.value for e in app.exception]
    assert "whole months" in app.error[0].value
    assert not app.metric and not app.get("download_button")


def test_practitioners_do_not_get_the_report_card(practitioner):
    app = open_app(practitioner)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)


def test_a_typed_signposting_destination_shows_as_typed_never_as_markdown(manager, sample_engine):
    quarter = last_full_quarter(date.today())
    typed = "[tap](https://e.org)"
    with sample_engine.begin() as connection:
        refs = (
            connection.execute(
                sa.text("SELECT id FROM family WHERE closed_on IS NULL ORDER BY id LIMIT 6")
            )
            .scalars()
            .all()
        )
        connection.execute(
            sa.text(
                "UPDATE family SET referral_date = :day, referral_outcome = 'inappropriate', "
                "signposted_to = :typed WHERE id IN ({})".format(", ".join(map(str, refs)))
            ),
            {"day": quarter.start, "typed": typed},
        )
    app = open_app(manager, PAGE)
    assert not app.exception
    parts = [m.value for m in app.markdown if "tap" in m.value]
    assert parts, "the destination is in a breakdown"
    assert all("](" not in part for part in parts), parts
    assert any("\\[tap\\]" in part for part in parts)
