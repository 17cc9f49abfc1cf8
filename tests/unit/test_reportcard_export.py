"""Report card exports: JSON from the CLI, self-contained HTML, a real PDF, and Excel.

The PDF and the HTML open with the one-page scorecard and put "Is anyone better off?"
first; so does the Excel workbook, whose figures are rounded as the card shows them.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from datetime import date
from html import escape

import openpyxl
import pytest
from pypdf import PdfReader

from tracker.cli import main
from tracker.instruments.loader import get_instrument
from tracker.measures.periods import last_full_quarter
from tracker.measures.reportcard import (
    MEASURES,
    MEASURES_BY_KEY,
    QUADRANTS,
    STORY_FIELDS,
    MeasureResult,
    Projection,
    Scope,
    Value,
    report_card,
)
from tracker.measures.yardstick import service_yardstick
from tracker.render.reportcard_charts import (
    TARGET_COLOUR,
    axis_note,
    chart_note,
    curve,
    forecast_note,
    turn_the_curve,
    value_axis,
)
from tracker.render.reportcard_drawing import NOTHING_TO_DRAW, SvgCanvas, draw_curve
from tracker.render.reportcard_export import card_html, card_pdf, card_xlsx
from tracker.render.reportcard_words import (
    NO_STORY,
    ORDER,
    TREND_SHORT,
    change_text,
    comparison,
    decimals,
    trend_colour,
)

QUARTER = last_full_quarter(date.today())


def ordered(card) -> list[MeasureResult]:
    """Every measure in the order the exports give them: better off first."""
    return [result for quadrant in ORDER for result in card.quadrant(quadrant)]


@pytest.fixture
def card(sample_engine):
    with sample_engine.connect() as connection:
        built = report_card(
            connection, QUARTER, Scope(), get_instrument("taf-dtt"), min_group=5, today=date.today()
        )
    built.story["working"] = "Evening visits <help> working parents."
    return built


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(page.extract_text() for page in reader.pages)


def test_json_export_has_the_contract_keys(card, tmp_path, capsys):
    out = tmp_path / "card.json"
    argv = [
        "report-card",
        "--from",
        QUARTER.start.isoformat(),
        "--to",
        QUARTER.end.isoformat(),
        "--format",
        "json",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert QUARTER.label in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert set(data) == {
        "audience",
        "stamp",
        "legend",
        "period",
        "scope",
        "yardstick",
        "how_much",
        "how_well",
        "better_off",
        "cost",
        "story",
    }
    assert data["period"]["label"] == QUARTER.label
    # The yardstick is the service's, as the cohort has it, and its caption goes with it.
    assert data["yardstick"]["caption"] == card.yardstick.caption()
    # Published by default: the yardstick's figures as its caption prints them, and the
    # families it rests on as a published count.
    assert data["audience"] == "published"
    assert data["yardstick"]["s_diff"] == round(card.yardstick.s_diff, 2)
    assert data["yardstick"]["n_reference"] % 5 == 0
    assert set(data["yardstick"]) >= {
        "reference_sd",
        "reliability",
        "reliability_kind",
        "source",
        "n_reference",
        "s_diff",
    }
    for measure in (m for q in QUADRANTS for m in data[q]):
        assert set(measure["change"]) == {"difference", "unit", "ci_low", "ci_high", "method"}
        assert {"drawn", "known_quarters", "suppressed_quarters", "missing_quarters"} <= set(
            measure["forecast"]
        )
    assert sum(len(data[q]) for q in QUADRANTS) == len(MEASURES)
    assert all(len(m["history"]) == 8 for q in QUADRANTS for m in data[q])
    assert list(data["story"]) == list(STORY_FIELDS.values())


def test_cli_scopes_and_custom_dates(card, tmp_path, capsys):
    out = tmp_path / "area.json"
    assert (
        main(
            [
                "report-card",
                "--from",
                "2026-01-05",
                "--to",
                "2026-02-20",
                "--area",
                "Northfield",
                "--audience",
                "service",
                "--format",
                "json",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["scope"] == {
        "kind": "area",
        "value": "Northfield",
        "label": "Area: Northfield",
        "instrument": "taf-dtt",
        "min_group": 5,
    }
    assert data["period"]["label"] == "05 Jan 2026 to 20 Feb 2026"
    assert (
        main(
            [
                "report-card",
                "--from",
                "2026-01-05",
                "--to",
                "2026-02-20",
                "--area",
                "X",
                "--tier",
                "tier 2",
                "--format",
                "json",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "choose one scope" in capsys.readouterr().err


def test_the_card_uses_the_service_yardstick(card, sample_engine):
    with sample_engine.connect() as connection:
        assert card.yardstick == service_yardstick(connection, get_instrument("taf-dtt"))
    assert card.yardstick.s_diff is not None


def test_html_is_self_contained_small_and_has_every_measure_and_chart(card):
    html = card_html(card)
    assert escape(card.yardstick.caption()) in html
    assert html.startswith("<!DOCTYPE html>") and "@page { size: A4" in html
    # No script at all, so nothing to fetch and nothing to run: charts are inline SVG.
    assert "<script" not in html and "plotly" not in html.lower()
    assert len(html.encode("utf-8")) < 250_000  # it was 5 MB with the charting library
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="curve"') == len(MEASURES)
    assert html.count('class="spark"') == len(MEASURES)
    for spec in MEASURES:
        assert spec.label.replace("'", "&#x27;") in html
    assert "Evening visits &lt;help&gt; working parents." in html
    assert html.index("Is anyone better off?") < html.index("How much did we do?")


def test_html_opens_with_the_scorecard_better_off_first(card):
    html = card_html(card)
    scorecard = html[html.index('<section class="scorecard">') : html.index("</section>")]
    assert html.index('<section class="scorecard">') < html.index('class="curve"')
    assert "break-after: page" in html  # the scorecard prints on a page of its own
    questions = [scorecard.index(QUADRANTS[q]) for q in ORDER]
    assert questions == sorted(questions) and ORDER[0] == "better_off"
    labels = [scorecard.index(escape(result.spec.label)) for result in ordered(card)]
    assert labels == sorted(labels)
    # Each row: this period, the previous one, the target, the trend word in its colour.
    for result in ordered(card):
        row = scorecard[scorecard.index(escape(result.spec.label)) :].split("</tr>")[0]
        if result.trend in TREND_SHORT:
            word = TREND_SHORT[result.trend]
            assert f'<span style="color:{trend_colour(result)}">{word}</span>' in row
        else:
            assert "<span" not in row
    better = [r for r in card.measures if r.trend == "better"]
    worse = [r for r in card.measures if r.trend == "worse"]
    assert {trend_colour(r) for r in better} <= {"#0072B2"}
    assert {trend_colour(r) for r in worse} <= {"#D55E00"}
    assert card.stamp["Made"] == f"{date.today():%d %b %Y}"
    assert escape(card.stamp["Made"]) in scorecard
    # A target is in its column and dotted across the sparkline.
    aimed = card_html(with_target(card, "reviews_on_time", 95))
    row = aimed[aimed.index("Reviews on time") :].split("</tr>")[0]
    assert "<td>95%</td>" in row and f'stroke="{TARGET_COLOUR}"' in row
    assert f'stroke="{TARGET_COLOUR}"' not in scorecard
    assert escape(card.stamp["Whose ratings"]) in scorecard


def with_target(card, key: str, target: float):
    measures = [
        dataclasses.replace(result, target=target) if result.spec.key == key else result
        for result in card.measures
    ]
    return dataclasses.replace(card, measures=measures)


def page_texts(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_page_one_is_the_whole_scorecard_better_off_first(card):
    aimed = with_target(card, "reviews_on_time", 95)
    pages = page_texts(card_pdf(aimed))
    first = pages[0]
    assert first.startswith(f"Report card: {QUARTER.label}")
    for heading in ("This period", "Previous", "Target", "Trend", "Last 8 quarters"):
        assert heading in first
    assert QUARTER.label in first and card.previous_period.label in first
    questions = [first.index(QUADRANTS[q]) for q in ORDER]
    assert questions == sorted(questions)
    places = [first.index(result.spec.label) for result in ordered(card)]
    assert places == sorted(places), "every measure on page one, in the card's order"
    assert "95%" in first  # the target
    for line in ("Audience", "Minimum group", "Filters", "Whose ratings", "Made"):
        assert f"{line}: {card.stamp[line]}" in first
    # The detail follows: page two starts with what the card is, then better off.
    assert pages[1].startswith("About this card")
    assert pages[1].index("Is anyone better off?") < pages[1].index(ordered(card)[0].spec.label)


def test_pdf_is_drawn_without_a_browser_and_quickly(card, monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser"))
    monkeypatch.setenv("PATH", str(tmp_path))
    started = time.perf_counter()
    data = card_pdf(card)
    took = time.perf_counter() - started
    assert data.startswith(b"%PDF")
    assert took < 3, f"the PDF took {took:.1f} s"
    reader = PdfReader(io.BytesIO(data))
    assert 3 <= len(reader.pages) <= 10
    text = " ".join(page_texts(data))
    assert "No Chromium" not in text
    # Every measure's chart is drawn: its axis and the quarters under it are on the page.
    assert text.count("Q1") >= len(MEASURES)
    squashed = " ".join(text.split())
    assert f"{card.yardstick.threshold:.2f} points" in squashed
    assert "Reliable change" in squashed


def test_pdf_prints_only_the_story_that_was_written(card):
    text = " ".join(page_texts(card_pdf(card)))
    assert "The story behind the curve" in text
    assert "What is working Evening visits <help> working parents." in text
    for heading in STORY_FIELDS.values():
        if heading != "What is working":
            assert heading not in text, heading
    assert NO_STORY not in text and "Not written yet" not in text
    untold = dataclasses.replace(card, story=dict.fromkeys(STORY_FIELDS, ""))
    text = " ".join(page_texts(card_pdf(untold)))
    assert NO_STORY in text
    assert not any(heading in text for heading in STORY_FIELDS.values())


def test_the_html_story_is_what_was_written(card):
    untold = dataclasses.replace(card, story=dict.fromkeys(STORY_FIELDS, ""))
    html = card_html(untold)
    assert escape(NO_STORY) in html
    assert not any(escape(heading) in html for heading in STORY_FIELDS.values())


def test_excel_has_every_measure_better_off_first_and_the_story(card):
    book = openpyxl.load_workbook(io.BytesIO(card_xlsx(card)))
    assert book.sheetnames == [
        "Report card",
        "History",
        "Forecast",
        "Breakdowns",
        "Story",
        "About",
    ]
    about = [row[0] for row in book["About"].iter_rows(min_row=2, values_only=True)]
    assert card.yardstick.caption() in about
    assert f"Whose ratings: {card.stamp['Whose ratings']}" in about
    assert f"Made: {date.today():%d %b %Y}" in about
    sheet = book["Report card"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Question", "Measure", "Value", "Number"]
    assert {"Change", "Change unit", "Change 95% low", "Change 95% high"} <= set(header)
    forecast_header = [cell.value for cell in book["Forecast"][1]]
    assert forecast_header[:5] == ["Measure", "Quarter", "Forecast", "80% low", "80% high"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "Is anyone better off?"
    assert [row[1] for row in rows] == [result.spec.label for result in ordered(card)]
    history = [row[0] for row in book["History"].iter_rows(min_row=2, values_only=True)]
    assert len(history) == 8 * len(MEASURES)
    assert history[0] == ordered(card)[0].spec.label
    story = {row[0]: row[1] for row in book["Story"].iter_rows(min_row=2, values_only=True)}
    assert story["What is working"] == "Evening visits <help> working parents."


def test_excel_figures_are_rounded_and_formatted_as_the_card_shows_them(card):
    book = openpyxl.load_workbook(io.BytesIO(card_xlsx(card)))
    units = {result.spec.label: result.spec.unit for result in card.measures}
    checked = 0
    for name, columns in (("Report card", (2, 4)), ("History", (2,)), ("Forecast", (2, 3, 4))):
        for row in book[name].iter_rows(min_row=2):
            unit = units[row[1].value if name == "Report card" else row[0].value]
            for column in columns:
                cell = row[column]
                if isinstance(cell.value, int | float):
                    places = decimals(unit, cell.value)
                    assert round(cell.value, places) == cell.value, (name, cell.value)
                    if unit == "pct":
                        assert cell.number_format == '#,##0"%"'
                    checked += 1
    assert checked > 100
    sheet = book["Report card"]
    values = {row[1].value: row[2] for row in sheet.iter_rows(min_row=2)}
    on_time = next(r for r in card.measures if r.spec.key == "reviews_on_time")
    assert values["Reviews on time"].value == round(on_time.current.value)
    # Changes are rounded as the card words them (one decimal for percentage points).
    for row in sheet.iter_rows(min_row=2, values_only=True):
        for value in row[5], row[7], row[8]:
            assert value is None or round(value, 2) == value


@pytest.mark.parametrize("kind", ["json", "html", "xlsx"])
def test_a_key_worker_type_nobody_has_gives_an_empty_card_not_a_crash(
    sample_engine, tmp_path, capsys, kind
):
    out = tmp_path / f"card.{kind}"
    argv = ["report-card", "--from", "2026-01-01", "--to", "2026-03-31"]
    argv += ["--key-worker-type", "social_work", "--format", kind, "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "Key worker type: Social work" in capsys.readouterr().out
    if kind == "json":
        data = json.loads(out.read_text())
        families = [
            measure["families"]
            for quadrant in QUADRANTS
            for measure in data[quadrant]
            if "families" in measure
        ]
        assert families and set(families) == {0}
    else:
        assert out.stat().st_size > 0


# --------------------------------------------------------------------------- charts and words

LABELS = ["2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1"]


def _result(key, values, *, current=None, previous=None, forecast=None, suppressed=()):
    return MeasureResult(
        spec=MEASURES_BY_KEY[key],
        current=current or Value(values[-1], 10),
        previous=previous or Value(values[-2], 10),
        target=None,
        history=list(zip(LABELS, values, strict=True)),
        forecast=forecast,
        suppressed=suppressed,
    )


def test_y_axes_start_at_zero_for_counts_and_percentages(card):
    counts = turn_the_curve(_result("families_worked_with", [40, 42, 41, 43]), card)
    assert tuple(counts.layout.yaxis.tickvals) == (0, 20, 40, 60)
    assert tuple(counts.layout.yaxis.range) == (0, 60)
    share = turn_the_curve(_result("reviews_on_time", [80.0, 82.0, 81.0, 84.0]), card)
    assert tuple(share.layout.yaxis.range) == (0, 100)
    assert tuple(share.layout.yaxis.ticktext) == ("0%", "25%", "50%", "75%", "100%")
    assert axis_note(_result("reviews_on_time", [80.0, 82.0, 81.0, 84.0])) == ""
    # A 1-5 rating shows its whole scale from 1, and the card says why.
    rating = _result("satisfaction_mean", [4.1, 4.3, 4.0, 4.2])
    assert tuple(turn_the_curve(rating, card).layout.yaxis.range) == (1, 5)
    assert tuple(turn_the_curve(rating, card).layout.yaxis.tickvals) == (1, 2, 3, 4, 5)
    assert axis_note(rating) == "The axis runs from 1, the lowest value this measure can take."
    assert chart_note(rating).endswith(axis_note(rating))
    # A change score keeps zero, "no change", in view, either side of it.
    travelled = turn_the_curve(_result("mean_distance_travelled", [0.3, 0.4, 0.2, 0.5]), card)
    assert tuple(travelled.layout.yaxis.ticktext) == ("0.0", "0.2", "0.4", "0.6")
    worse = curve(_result("mean_distance_travelled", [-0.3, 0.1, -0.2, 0.25]), card).axis
    assert worse.low < -0.3 < 0.25 < worse.high and 0 in worse.ticks


@pytest.mark.parametrize(
    "costs",
    [
        [9000.0, 9000.5, 9001.0, 9000.0],  # nearly flat: plotly ticked it "9,000.5"
        [8.0, 9.0, 7.5, 8.5],
        [45.5, 46.0, 47.25, 44.0],
        [120000.0, 80000.0, 95000.0, 101000.0],
        [0.4, 0.6, 0.5, 0.7],
    ],
)
def test_cost_axes_have_whole_round_ticks(card, costs):
    result = _result("cost_per_family", costs)
    axis = curve(result, card).axis
    assert axis.low == 0 and axis.high >= max(costs)
    steps = {round(b - a, 9) for a, b in zip(axis.ticks, axis.ticks[1:], strict=False)}
    assert len(steps) == 1 and 3 <= len(axis.ticks) <= 6
    (step,) = steps
    leading = f"{step:.10f}".replace(".", "").strip("0")
    assert leading in ("1", "2", "25", "5"), step
    labels = [axis.label(tick) for tick in axis.ticks]
    if step >= 1:  # pounds: whole ones
        assert step == int(step)
        assert labels == [f"£{tick:,.0f}" for tick in axis.ticks]
    else:  # under £1 in all: pence
        assert labels == [f"£{tick:,.2f}" for tick in axis.ticks]
    assert len(set(labels)) == len(labels)
    figure = turn_the_curve(result, card)
    assert list(figure.layout.yaxis.ticktext) == labels
    # The sparkline and the PDF's and HTML's charts use the very same axis.
    assert value_axis(result.spec, [*costs, None]) == axis


def test_the_forecast_is_drawn_with_its_band_and_says_what_it_rests_on(card):
    projection = Projection([50.0] * 4, [40.0] * 4, [60.0] * 4, used=3)
    result = _result(
        "reviews_on_time", [None, 45.0, 50.0, None], forecast=projection, suppressed=("2023-24 Q2",)
    )
    figure = turn_the_curve(result, card)
    band = [trace for trace in figure.data if trace.fill == "toself"]
    assert len(band) == 1 and band[0].name == "80% prediction interval"
    assert list(band[0].y) == [50.0, 60.0, 60.0, 60.0, 60.0, 40.0, 40.0, 40.0, 40.0, 50.0]
    note = forecast_note(result)
    assert "least-squares line through 2 quarters" in note and "80% prediction interval" in note
    assert "hidden (*) to protect families: 2023-24 Q2" in note
    assert "no value: 2024-25 Q1" in note
    unforecast = _result("reviews_on_time", [None, 45.0, 50.0, 55.0])
    assert forecast_note(unforecast) == (
        "No forecast: 3 quarters known, at least 4 needed. Left out: no value: 2023-24 Q2."
    )


def test_changes_carry_units_and_noise_gets_no_arrow(card):
    # 3 of 5 against 3 of 4: about the same, with its size and unit, and no arrow.
    within = _result(
        "reliable_improvement",
        [None, None, 75.0, 60.0],
        current=Value(60.0, 5, 3, base=5),
        previous=Value(75.0, 4, 3, base=4),
    )
    assert change_text(within) == "−15.0 percentage points"
    words = comparison(within, card)
    assert words.startswith("about the same as") and words.endswith(
        "(75%): −15.0 percentage points, within noise"
    )
    # On the scorecard, an arrow goes only with a move beyond noise.
    html = card_html(card)
    scorecard = html[: html.index("</section>")]
    for result in ordered(card):
        row = scorecard[scorecard.index(escape(result.spec.label)) :].split("</tr>")[0]
        assert ("<polygon" in row) == (result.trend in ("better", "worse", "up", "down"))
    # Hours are a tally: a move that shows is a move; one that rounds to +0.0 is not.
    hours = _result("hours_of_service", [10.0, 10.0, 10.0, 12.5])
    assert (change_text(hours), hours.trend) == ("+2.5 hours", "up")
    flat = _result("hours_of_service", [10.0, 10.0, 10.0, 10.04])
    assert (change_text(flat), flat.trend) == ("no change", "same")
    money = _result("cost_per_family", [1500.0, 1500.0, 1500.0, 2000.0])
    assert (change_text(money), money.trend) == ("+£500", "worse")


def test_a_measure_with_no_value_in_any_quarter_says_so_instead_of_an_empty_chart(card):
    empty = _result("cost_per_family", [None] * 4, current=Value(None, 0), previous=Value(None, 0))
    drawn = curve(empty, card)
    assert (drawn.axis.low, drawn.axis.high) == (0, 1)
    canvas = SvgCanvas()
    draw_curve(canvas, drawn, (0, 0, 112, 40))
    svg = canvas.svg(112, 40, "curve", "empty")
    assert NOTHING_TO_DRAW in svg and "<circle" not in svg and "£" not in svg


# --------------------------------------------------------------------------- without scipy


def test_the_intervals_drawn_without_scipy_match_scipy():
    """The command line's card loads no scipy: the forecast's t quantile and Wilson's
    interval are worked out directly, and must agree with scipy's."""
    from scipy import stats

    from tracker.measures.reportcard.change import wilson
    from tracker.measures.reportcard.forecast import t_quantile

    for df in range(1, 40):
        for share in (0.9, 0.975):
            assert t_quantile(share, df) == pytest.approx(stats.t.ppf(share, df), rel=1e-12)
    for n in (1, 2, 5, 17, 60):
        for successes in range(n + 1):
            expected = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
            assert wilson(successes, n) == pytest.approx((expected.low, expected.high), abs=1e-12)
