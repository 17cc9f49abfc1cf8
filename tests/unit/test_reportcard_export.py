"""Report card exports: JSON from the CLI, self-contained HTML, a real PDF, and Excel."""

from __future__ import annotations

import io
import json
import os
from datetime import date

import openpyxl
import pytest
from pypdf import PdfReader

from tracker.cli import main
from tracker.instruments.loader import get_instrument
from tracker.measures.periods import last_full_quarter
from tracker.measures.reportcard import MEASURES, QUADRANTS, STORY_FIELDS, Scope, report_card
from tracker.render.downloads import browser_available
from tracker.render.reportcard_export import card_html, card_pdf, card_xlsx

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
    assert set(data) == {"period", "scope", "how_much", "how_well", "better_off", "cost", "story"}
    assert data["period"]["label"] == QUARTER.label
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


def test_html_is_self_contained_with_every_measure_and_chart(card):
    html = card_html(card)
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
    assert book.sheetnames == ["Report card", "History", "Breakdowns", "Story", "About"]
    sheet = book["Report card"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Question", "Measure", "Value", "Number"]
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
