"""Report card exports: JSON from the CLI, self-contained HTML, a real PDF, and Excel."""

from __future__ import annotations

import io
import json
import os
import re
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
from tracker.render.downloads import browser_available
from tracker.render.reportcard_charts import (
    axis_note,
    chart_note,
    forecast_note,
    turn_the_curve,
)
from tracker.render.reportcard_export import (
    ORDER,
    card_html,
    card_pdf,
    card_xlsx,
    change_text,
    comparison,
)

QUARTER = last_full_quarter(date.today())


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


def test_html_is_self_contained_with_every_measure_and_chart(card):
    html = card_html(card)
    assert escape(card.yardstick.caption()) in html
    assert html.startswith("<!DOCTYPE html>") and "@page { size: A4" in html
    assert html.count("plotly.js") >= 1 and "<script src=" not in html
    assert html.count('class="plotly-graph-div"') == len(MEASURES)
    for spec in MEASURES:
        assert spec.label.replace("'", "&#x27;") in html
    assert "Evening visits &lt;help&gt; working parents." in html
    assert html.index("Is anyone better off?") < html.index("How much did we do?")


def test_pdf_without_a_browser_is_still_produced_with_tables(card):
    pages, text = pdf_text(card_pdf(card, charts=False))
    assert pages >= 2
    assert "No Chromium was available" in text
    assert "Is anyone better off?" in text and "The story behind the curve" in text
    assert QUARTER.label in text
    squashed = " ".join(text.split())
    assert f"{card.yardstick.threshold:.2f} points" in squashed
    assert "Reliable change" in squashed


def test_pdf_with_charts_needs_chromium(card):
    if not browser_available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install Chromium for chart export")
        pytest.skip("no Chromium here: chart images in the PDF cannot be drawn")
    data = card_pdf(card, charts=True)
    assert data.startswith(b"%PDF")
    pages, text = pdf_text(data)
    reader = PdfReader(io.BytesIO(data))
    images = sum(len(page.images) for page in reader.pages)
    assert images == len(MEASURES)
    assert pages >= 4
    assert "No Chromium was available" not in text


def test_excel_has_every_measure_and_the_story(card):
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
    sheet = book["Report card"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Question", "Measure", "Value", "Number"]
    assert {"Change", "Change unit", "Change 95% low", "Change 95% high"} <= set(header)
    forecast_header = [cell.value for cell in book["Forecast"][1]]
    assert forecast_header[:5] == ["Measure", "Quarter", "Forecast", "80% low", "80% high"]
    measures = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert measures == [spec.label for q in QUADRANTS for spec in MEASURES if spec.quadrant == q]
    history_rows = sum(1 for _ in book["History"].iter_rows(min_row=2))
    assert history_rows == 8 * len(MEASURES)
    story = {row[0]: row[1] for row in book["Story"].iter_rows(min_row=2, values_only=True)}
    assert story["What is working"] == "Evening visits <help> working parents."


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
    assert counts.layout.yaxis.rangemode == "tozero"
    share = turn_the_curve(_result("reviews_on_time", [80.0, 82.0, 81.0, 84.0]), card)
    assert tuple(share.layout.yaxis.range) == (0, 100)
    assert axis_note(_result("reviews_on_time", [80.0, 82.0, 81.0, 84.0])) == ""
    # A 1-5 rating shows its whole scale from 1, and the card says why.
    rating = _result("satisfaction_mean", [4.1, 4.3, 4.0, 4.2])
    assert tuple(turn_the_curve(rating, card).layout.yaxis.range) == (1, 5)
    assert axis_note(rating) == "The axis runs from 1, the lowest value this measure can take."
    assert chart_note(rating).endswith(axis_note(rating))
    # A change score keeps zero, "no change", in view.
    travelled = turn_the_curve(_result("mean_distance_travelled", [0.3, 0.4, 0.2, 0.5]), card)
    assert travelled.layout.yaxis.rangemode == "tozero"


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
    # On the card, an arrow goes only with a move beyond noise.
    spans = re.findall(r'<span class="trend" style="color:[^"]*">([▲▼]?) ', card_html(card))
    arrows = [
        "▲▼"[result.change.difference < 0] if result.trend not in ("same", "") else ""
        for quadrant in ORDER
        for result in card.quadrant(quadrant)
    ]
    assert spans == arrows
    # Hours are a tally: a move that shows is a move; one that rounds to +0.0 is not.
    hours = _result("hours_of_service", [10.0, 10.0, 10.0, 12.5])
    assert (change_text(hours), hours.trend) == ("+2.5 hours", "up")
    flat = _result("hours_of_service", [10.0, 10.0, 10.0, 10.04])
    assert (change_text(flat), flat.trend) == ("no change", "same")
    money = _result("cost_per_family", [1500.0, 1500.0, 1500.0, 2000.0])
    assert (change_text(money), money.trend) == ("+£500", "worse")
