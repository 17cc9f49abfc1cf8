"""Board outputs in the browser: a manager downloads the report card (PDF, HTML, Excel) and
cohort tables and charts (CSV, Excel, PNG), at 1366 and 820 px, and every file says what
it is: instrument, filters, whose ratings, period, audience, smallest group and the day it
was made.

The report card opens with its one-page scorecard, "Is anyone better off?" first, in the
PDF and in the HTML as printed; its PDF comes within 3 seconds of the click. Every file
downloaded is kept beside the screenshots, for a person to look at.
"""

from __future__ import annotations

import csv
import io
import struct
import time
from datetime import date

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.browser import SIZES
from tests.e2e.printing import print_a4
from tracker.instruments.loader import load_instruments
from tracker.measures.periods import last_full_quarter
from tracker.measures.reportcard import MEASURES, QUADRANTS
from tracker.render.downloads import ABOUT_SHEET

pytestmark = pytest.mark.slow

QUARTER = last_full_quarter(date.today())
TODAY = f"{date.today():%d %b %Y}"
ORDER = ("better_off", "how_much", "how_well", "cost")
PDF_SECONDS = 3
SERVICE = "service, not for publication"


def squashed(text: str) -> str:
    return " ".join(text.split())


def keep(browser, name: str, data: bytes) -> None:
    (browser.shots / name).write_bytes(data)


def take(browser, button) -> tuple[str, bytes]:
    """Download by clicking ``button`` once the page is still, as a person would."""
    browser.idle()
    return browser.download(button.click)


def expect_card_context(text: str) -> None:
    """What every report card file says about itself."""
    text = squashed(text)
    for words in (
        "Audience: service: not for publication",
        "Minimum group: 5",
        f"Filters: Whole service; {QUARTER.label}, {QUARTER.start:%d %b %Y} to "
        f"{QUARTER.end:%d %b %Y}; distance travelled on Team Around the Family",
        "Whose ratings: Worker and joint",
        f"Made: {TODAY}",
    ):
        assert words in text, words


def in_order(text: str, items: list[str]) -> bool:
    places = [text.index(item) for item in items]
    return places == sorted(places)


def test_a_manager_takes_the_report_card_to_the_board(browser, browser_context, store):
    """The PDF, HTML and Excel, downloaded at both widths, open with the scorecard, better
    off first, and carry the card's context; the PDF takes under 3 seconds."""
    b = browser
    b.sign_in("demo-manager")
    b.go("Report card")
    expect(b.main.get_by_role("heading", name="Download for the board")).to_be_visible()
    b.visit("report-card")
    labels = [spec.label for quadrant in ORDER for spec in MEASURES if spec.quadrant == quadrant]

    for size_name, size in SIZES.items():
        b.page.set_viewport_size(size)
        button = b.main.get_by_role("button", name=f"PDF (A4), {SERVICE}", exact=True)
        button.scroll_into_view_if_needed()
        expect(button).to_be_in_viewport()
        started = time.perf_counter()
        name, pdf = take(b, button)
        took = time.perf_counter() - started
        keep(b, f"pdf-seconds-{size_name}.txt", f"{took:.2f}\n".encode())
        assert took < PDF_SECONDS, f"the PDF took {took:.1f} s at {size_name}"
        keep(b, f"card-{size_name}.pdf", pdf)
        assert name.endswith(".pdf") and QUARTER.label.replace(" ", "-") in name
        pages = [squashed(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
        first = pages[0]
        assert first.startswith(f"Report card: {QUARTER.label}")
        assert in_order(first, [QUADRANTS[q] for q in ORDER]) and in_order(first, labels)
        for heading in ("This period", "Previous", "Target", "Trend", "Last 8 quarters"):
            assert heading in first
        expect_card_context(first)
        assert pages[1].startswith("About this card")
        expect_card_context(" ".join(pages))
    b.page.set_viewport_size(SIZES["desktop"])

    name, html = take(
        b,
        b.main.get_by_role("button", name=f"HTML (opens in any browser, prints on A4), {SERVICE}"),
    )
    keep(b, "card.html", html)
    assert len(html) < 250_000 and b"<script" not in html
    printout = print_a4(browser_context, html.decode("utf-8"), b.shots / "card-html-printed.png")
    keep(b, "card-html-printed.pdf", printout.pdf)
    assert printout.is_a4
    first = squashed(PdfReader(io.BytesIO(printout.pdf)).pages[0].extract_text())
    assert first.startswith(f"Report card: {QUARTER.label}")
    assert in_order(first, [QUADRANTS[q] for q in ORDER]) and in_order(first, labels)
    assert "About this card" not in first  # the scorecard has the first page to itself
    expect_card_context(printout.text)

    name, xlsx = take(b, b.main.get_by_role("button", name=f"Excel (every measure), {SERVICE}"))
    keep(b, "card.xlsx", xlsx)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    rows = list(book["Report card"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == labels
    assert rows[0][0] == "Is anyone better off?"
    figures = [value for row in rows for value in row[2:10] if isinstance(value, float)]
    assert figures and all(round(value, 2) == value for value in figures)
    expect_card_context("\n".join(row[0] for row in book["About"].iter_rows(values_only=True)))

    kinds = [what for what, _ in store.downloads("demo-manager")[-4:]]
    assert [kind.rsplit("(", 1)[-1] for kind in kinds] == ["pdf)", "pdf)", "html)", "xlsx)"]


def png_height(png: bytes) -> int:
    return struct.unpack(">II", png[16:24])[1]


def expect_cohort_context(lines: list[str], instrument: str) -> None:
    """What every cohort download says about itself: the notes under the page's figures."""
    text = squashed(" ".join(lines))
    for words in (
        f"Instrument: {instrument}",
        "Whose ratings: Worker and joint",
        "Baselines:",
        "Filters:",
        "Audience: service",
        "Smallest group shown: 5 families",
        f"Made on {TODAY}",
        "* suppressed: fewer than 5 families",
    ):
        assert words in text, words


def test_a_manager_downloads_cohort_figures_that_say_what_they_are(browser):
    """The cohort star's table as CSV and Excel and its chart as PNG, at both widths: the
    CSV opens with # rows a spreadsheet shows and pandas skips, the workbook has an About
    this table sheet, the PNG is drawn with its notes under it."""
    b = browser
    b.sign_in("demo-manager")
    b.go("Cohort")
    expect(b.main.get_by_role("heading", name="Cohort: distance travelled")).to_be_visible()
    instrument = b.sidebar.get_by_role("combobox", name="Instrument").input_value()
    assert instrument in {i.name for i in load_instruments().values()}
    b.visit("cohort")

    for size_name, size in SIZES.items():
        b.page.set_viewport_size(size)
        csv_button = b.main.get_by_role("button", name="CSV", exact=True).first
        csv_button.scroll_into_view_if_needed()
        expect(csv_button).to_be_in_viewport()
        name, data = take(b, csv_button)
        keep(b, f"cohort-{size_name}.csv", data)
        assert data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        notes = [row[1] for row in rows if row and row[0] == "#"]
        expect_cohort_context(notes, instrument)
        table = pd.read_csv(io.BytesIO(data), comment="#")
        assert len(table) > 0 and not any(str(c).startswith("#") for c in table.columns)

        name, data = take(b, b.main.get_by_role("button", name="Excel", exact=True).first)
        keep(b, f"cohort-{size_name}.xlsx", data)
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book.sheetnames[1:] == [ABOUT_SHEET]
        figures = list(book.worksheets[0].iter_rows(values_only=True))
        assert figures[0] == tuple(table.columns)  # the figures sheet holds the table alone
        assert len(figures) == len(table) + 1
        about = [row[0] for row in book[ABOUT_SHEET].iter_rows(min_row=2, values_only=True)]
        expect_cohort_context(about, instrument)

    b.page.set_viewport_size(SIZES["desktop"])
    png_button = b.main.get_by_role("button", name="Chart as PNG").first
    expect(png_button).to_be_visible()
    name, png = take(b, png_button)
    keep(b, "cohort-star.png", png)
    assert name == "cohort-star.png" and png.startswith(b"\x89PNG")
    # The notes take a line each, 16 px at scale 1.5, under a chart at least 400 px tall.
    assert png_height(png) >= 1.5 * (400 + 16 * len(notes))
