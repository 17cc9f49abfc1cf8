"""Seven journeys through the running app in a real Chromium, as the people who use it.

Each journey screenshots every page it visits at two sizes and runs axe on it (see
``Browser.visit``); what each one checks is in its docstring.
"""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.printing import print_a4
from tests.e2e.scoring import (
    area_box,
    choose_family,
    families_to_score,
    family_box,
    one_better,
    plain_table_rows,
    reference,
    scale_button,
    tap,
)
from tests.e2e.store import cohort_figures
from tracker.instruments.loader import load_instruments
from tracker.measures.caseload import STATUS_OVERDUE
from tracker.measures.periods import last_full_quarter
from tracker.records.assessments import big_change_threshold
from tracker.render.scoring import NOT_APPLICABLE

pytestmark = pytest.mark.slow

INSTRUMENTS = load_instruments()
BY_NAME = {instrument.name: instrument for instrument in INSTRUMENTS.values()}


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def eventually(read, wanted, timeout_ms: int = 30_000, page=None):
    """Poll ``read()`` until it equals ``wanted`` (charts redraw after the run ends)."""
    waited = 0
    value = read()
    while value != wanted and waited < timeout_ms:
        page.wait_for_timeout(250)
        waited += 250
        value = read()
    assert value == wanted
    return value


def test_practitioner_records_a_review_and_the_star_gains_a_trace(browser, store):
    """Journey 1: the caseload shows the overdue badge; a review tapped into the real form,
    with one area not applicable, is saved and shown back; the star gains a trace and the
    change table a column holding exactly the chosen values."""
    b = browser
    b.sign_in("demo-practitioner")
    b.visit("home")

    families = store.caseload("demo-practitioner")
    overdue = families[families["status"] == STATUS_OVERDUE]
    assert not overdue.empty, "the sample should give the demo practitioner overdue reviews"
    b.go("Caseload")
    expect(
        b.main.get_by_text(re.compile(rf"\b{plural(len(overdue), 'review')} overdue$"))
    ).to_be_visible()
    family_ref = reference(family_box(b, "Work with a family").input_value())
    assert family_ref in set(overdue["family_ref"]), "most urgent first: an overdue family"
    b.visit("caseload")

    b.act(b.main.get_by_role("link", name="See the journey").click)
    expect(family_box(b)).to_have_value(re.compile(rf"^{family_ref}\b"))
    instrument = BY_NAME[
        b.main.get_by_role("combobox", name="Instrument", exact=True).input_value()
    ]
    star = b.main.get_by_test_id("stPlotlyChart").first
    expect(star.locator(".gtitle")).to_have_text(instrument.name)
    traces_before = b.plotly_traces(star)
    b.visit("family-journey-before")

    b.go("Record scores")
    choose_family(b, family_ref)
    b.choose(b.main, "Instrument", instrument.name)
    expect(b.main.get_by_role("combobox", name="Occasion", exact=True)).to_have_value("Review")
    previous = store.latest_values(family_ref, instrument.key)
    not_applicable = instrument.domains[-1]
    planned = {d.key: one_better(instrument, previous.get(d.key)) for d in instrument.domains[:-1]}
    tap(b, instrument, not_applicable, None)
    expect(scale_button(b, not_applicable, "N/A")).to_be_checked()
    for domain in instrument.domains[:-1]:
        tap(b, instrument, domain, planned[domain.key])
    expect(b.main.get_by_text(re.compile(r"· all \d+ done$"))).to_have_count(
        len(instrument.sections)
    )
    b.visit("record-scores-filled")
    assessments_before = store.assessments(family_ref)
    b.act(b.main.get_by_role("button", name="Save assessment").click)
    expect(b.main.get_by_test_id("stAlert").first).to_contain_text(
        f"Saved the review for {family_ref} on {date.today():%d %b %Y}."
    )
    expect(b.main.get_by_role("heading", name="The assessment you saved")).to_be_visible()
    expect(b.main.get_by_role("button", name="Correct it")).to_be_visible()
    b.visit("record-scores-saved")
    assert store.assessments(family_ref) == assessments_before + 1
    assert store.latest_values(family_ref, instrument.key) == {
        **planned,
        not_applicable.key: None,
    }

    b.go("Family journey")
    choose_family(b, family_ref)
    b.choose(b.main, "Instrument", instrument.name)
    star = b.main.get_by_test_id("stPlotlyChart").first
    eventually(lambda: b.plotly_traces(star), traces_before + 1, page=b.page)
    rows = plain_table_rows(b.main.get_by_test_id("stTable").first)  # "What changed"
    newest = [c for c in rows[0] if c.startswith("Review") and f"{date.today():%d %b %Y}" in c]
    assert len(newest) == 1, list(rows[0])
    shown = {row["Area"]: row[newest[0]] for row in rows}
    for domain in instrument.domains[:-1]:
        assert shown[domain.label] == f"{planned[domain.key]:g}", domain.label
    assert shown[not_applicable.label] == NOT_APPLICABLE
    b.visit("family-journey-after")


def test_typo_guard_asks_before_a_big_jump_is_saved(browser, store):
    """Journey 2: a 5 → 1 jump on the TAF tool asks "Yes, this is right"; Save without it
    is refused with a message naming the area and keeps every score chosen; ticking it
    saves."""
    b = browser
    b.sign_in("demo-practitioner")
    taf = INSTRUMENTS["taf-dtt"]
    family_ref, previous = next(
        (ref, values)
        for ref, values in families_to_score(store, "demo-practitioner", taf)
        if 5 in values.values()
    )
    jumpy = next(d for d in taf.domains if previous.get(d.key) == 5)
    steady = next(d for d in taf.domains if d != jumpy and previous.get(d.key) is not None)
    assert big_change_threshold(taf) <= 5 - 1  # a big change, so the guard must ask
    b.go("Record scores")
    choose_family(b, family_ref)
    b.choose(b.main, "Instrument", taf.name)
    for domain in taf.domains:
        tap(b, taf, domain, 1.0 if domain == jumpy else previous.get(domain.key))

    area = area_box(b, jumpy)
    expect(area).to_contain_text("Big change since last time: 5 → 1.")
    sure = area.get_by_test_id("stCheckbox").filter(has_text="Yes, this is right")
    expect(sure).to_be_visible()
    warning = b.main.get_by_test_id("stAlert").filter(has_text="Big changes since last time")
    expect(warning).to_contain_text(f"{jumpy.label} 5 → 1")
    b.visit("record-scores-typo")

    assessments_before = store.assessments(family_ref)
    b.act(b.main.get_by_role("button", name="Save assessment").click)
    refusal = b.main.get_by_test_id("stAlert").filter(has_text="Not saved yet")
    expect(refusal).to_contain_text(f"{jumpy.label}: 5 to 1 is a big change since last time")
    expect(scale_button(b, jumpy, "1 None")).to_be_checked()
    kept = area_box(b, steady).get_by_role("radio", checked=True)
    expect(kept).to_contain_text(f"{previous[steady.key]:g} ")
    b.visit("record-scores-asked")
    assert store.assessments(family_ref) == assessments_before

    sure.get_by_text("Yes, this is right").click()  # a quick fragment run: wait for its effect
    expect(sure.get_by_role("checkbox")).to_be_checked()
    expect(warning).to_have_count(0)
    b.idle()
    b.act(b.main.get_by_role("button", name="Save assessment").click)
    expect(b.main.get_by_test_id("stAlert").first).to_contain_text(
        f"Saved the review for {family_ref}"
    )
    assert store.assessments(family_ref) == assessments_before + 1
    assert store.latest_values(family_ref, taf.key)[jumpy.key] == 1


def test_manager_slices_the_cohort_and_small_groups_are_suppressed(browser, monkeypatch, store):
    """Journey 3: the cohort opens on the instrument most families were scored on, and its
    tiles match ``tracker cohort``; a baseline date typed and entered applies at once;
    choosing an area updates the tiles and the charts, and a table downloaded from it says
    what it covers (instrument, whose ratings, filters, period, audience, smallest group,
    the day made) and is in the audit trail; a filter leaving fewer than 5 families says
    "Too few families to show" and draws nothing."""
    b = browser
    url = b.server.database_url
    b.sign_in("demo-manager")
    b.go("Cohort")
    expect(b.main.get_by_role("heading", name="Cohort: distance travelled")).to_be_visible()
    instrument = BY_NAME[b.sidebar.get_by_role("combobox", name="Instrument").input_value()]
    with store.engine.connect() as connection:
        families_scored = dict(
            connection.execute(
                sa.text(
                    "SELECT instrument, COUNT(DISTINCT family_id) FROM assessment "
                    "GROUP BY instrument"
                )
            ).all()
        )
        dated = sa.text(
            "SELECT assessed_on FROM assessment WHERE occasion = 'baseline' "
            "AND instrument = :key ORDER BY assessed_on"
        )
        baselines = connection.execute(dated, {"key": instrument.key}).scalars().all()
    middle = date.fromisoformat(str(baselines[len(baselines) // 2])[:10])
    assert instrument.key == max(families_scored, key=families_scored.get)
    everyone = cohort_figures(url, monkeypatch, instrument=instrument.key)
    expect(b.metric("Families in cohort")).to_have_text(str(everyone["families"]))
    star = b.main.get_by_test_id("stPlotlyChart").first
    expect(star).to_be_visible()
    star_before = b.plotly_data(star)
    b.visit("cohort")

    # A date typed into one end of the window applies on Enter, with no second date.
    since = cohort_figures(
        url, monkeypatch, instrument=instrument.key, **{"from": middle.isoformat()}
    )
    assert since["families"] != everyone["families"]
    start = b.sidebar.get_by_role("textbox", name="Baselines from")
    start.fill(f"{middle:%d/%m/%Y}")
    b.act(lambda: start.press("Enter"))
    expect(b.metric("Families in cohort")).to_have_text(str(since["families"]))
    expect(b.main.get_by_text(f"baselines: from {middle:%d %b %Y} onwards")).to_be_visible()
    start.fill("")
    b.act(lambda: start.press("Enter"))
    expect(b.metric("Families in cohort")).to_have_text(str(everyone["families"]))

    areas = b.store_choices["area"]
    by_area = {
        a: cohort_figures(url, monkeypatch, instrument=instrument.key, area=a) for a in areas
    }
    area = max(areas, key=lambda a: (by_area[a]["families"] or 0, a))
    assert 5 <= by_area[area]["families"] < everyone["families"]
    b.choose(b.sidebar, "Area", area)
    expect(b.metric("Families in cohort")).to_have_text(str(by_area[area]["families"]))
    expect(b.metric("With a review")).to_have_text(str(by_area[area]["with_review"]))
    eventually(lambda: b.plotly_data(star) != star_before, True, page=b.page)
    b.visit("cohort-one-area")
    name, data = b.download(b.main.get_by_role("button", name="CSV", exact=True).first.click)
    assert store.downloads("demo-manager")[-1] == (name, None)
    text = data.decode("utf-8-sig")
    for line in (
        f"Instrument: {instrument.name}.",
        "Whose ratings: Worker and joint.",
        "Baselines: any date.",
        f"Filters: area is {area}.",
        "Smallest group shown: 5 families.",
        f"Made on {date.today():%d %b %Y}.",
    ):
        assert line in text, line
    assert "Audience: service" in text and instrument.key not in text

    small = None
    for worker in b.store_choices["key_worker"]:
        found = cohort_figures(
            url, monkeypatch, instrument=instrument.key, area=area, key_worker=worker
        )
        if found["families"] is None:  # 1 to 4 families: suppressed
            small = worker
            break
    assert small, f"some key worker in {area} should have fewer than 5 families"
    b.choose(b.sidebar, "Key worker", small)
    too_few = re.compile(r"^Too few families to show: fewer than 5 families")
    expect(b.main.get_by_text(too_few)).to_be_visible()
    expect(b.main.get_by_test_id("stPlotlyChart")).to_have_count(0)
    expect(b.main.get_by_test_id("stMetric")).to_have_count(0)
    assert "* to *" not in b.main.inner_text()
    b.visit("cohort-suppressed")


def test_report_card_downloads_as_pdf_and_html_with_charts(browser, browser_context):
    """Journey 4: the report card opens on last quarter; its PDF is a real PDF with pages
    and its HTML holds charts that draw in a browser."""
    b = browser
    b.sign_in("demo-manager")
    b.go("Report card")
    quarter = last_full_quarter(date.today())
    expect(b.sidebar.get_by_role("combobox", name="Quarter")).to_have_value(
        re.compile(re.escape(quarter.label))
    )
    # The period is in the caption under the title, and in the downloads' stamp.
    expect(
        b.main.get_by_text(f"{quarter.start:%d %b %Y} to {quarter.end:%d %b %Y}").first
    ).to_be_visible()
    b.visit("report-card")

    # A manager's downloads are the service card, and say so on the button and inside.
    name, pdf = b.download(
        b.main.get_by_role(
            "button", name="PDF (A4), service, not for publication", exact=True
        ).click
    )
    assert name.endswith(".pdf") and quarter.label.replace(" ", "-") in name
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    text = " ".join(page.extract_text() for page in reader.pages)
    assert quarter.label in text
    assert "not for publication" in " ".join(text.split())

    name, html = b.download(
        b.main.get_by_role("button", name="HTML (opens in any browser, prints on A4)").click
    )
    assert name.endswith(".html")
    html = html.decode("utf-8")
    assert quarter.label in html
    charts = html.count('class="curve"')
    assert charts >= 1
    viewer = browser_context.new_page()
    try:
        viewer.set_content(html, wait_until="load")
        expect(viewer.locator("svg.curve").first).to_be_visible()
        assert viewer.locator("svg.curve").count() == charts
        assert viewer.locator("svg.curve polyline").count() >= charts  # lines are drawn
    finally:
        viewer.close()


def workbook(bad_value: float) -> bytes:
    """A small offline-style workbook: one new family and two assessments of it."""
    taf = INSTRUMENTS["taf-dtt"]
    book = openpyxl.Workbook()
    families = book.active
    families.title = "families"
    families.append(
        ["family_ref", "area", "tier_of_need", "key_worker", "referral_source", "referral_date"]
    )
    families.append(["E2E-IMPORT-1", "Northfield", "tier 2", "Ben Hughes", "School", "2026-01-06"])
    scores = book.create_sheet("scores")
    scores.append(
        ["family_ref", "instrument", "occasion", "assessed_on", "rater"]
        + [d.label for d in taf.domains]
    )
    rest = [3] * (len(taf.domains) - 1)
    scores.append(["E2E-IMPORT-1", "taf-dtt", "B", "2026-02-02", "worker", 3, *rest])
    scores.append(["E2E-IMPORT-1", "taf-dtt", "R1", "2026-05-04", "worker", bad_value, *rest])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_reports_a_bad_row_and_writes_only_once_fixed(browser, store, tmp_path):
    """Journey 5: an Excel file with one bad row shows the validation table and writes
    nothing; the fixed file imports and the summary appears."""
    b = browser
    assert store.families_named("E2E-IMPORT-1") == 0
    b.sign_in("demo-manager")
    b.go("Import and export")
    bad = tmp_path / "bad" / "offline-scores.xlsx"
    bad.parent.mkdir()
    bad.write_bytes(workbook(7))
    uploader = b.main.get_by_test_id("stFileUploaderDropzoneInput")
    b.act(lambda: uploader.set_input_files(bad))
    expect(b.main.get_by_text("1 problem(s) to fix")).to_be_visible()
    problems = b.table_rows(b.main.get_by_test_id("stDataFrame").last)
    assert len(problems) == 1
    assert problems[0]["Row"] == "3" and problems[0]["Column"] == "housing"
    assert problems[0]["Value"] == "7"
    expect(b.main.get_by_role("button", name="Import now")).to_have_count(0)
    b.visit("import-problems")
    assert store.families_named("E2E-IMPORT-1") == 0

    b.remove_upload()
    expect(b.main.get_by_text("problem(s) to fix")).to_have_count(0)
    good = tmp_path / "good" / "offline-scores.xlsx"
    good.parent.mkdir()
    good.write_bytes(workbook(2))
    b.act(lambda: uploader.set_input_files(good))
    expect(b.main.get_by_text(re.compile(r"This import will add: 1 new family"))).to_be_visible()
    expect(b.main.get_by_text("problem(s) to fix")).to_have_count(0)
    b.act(b.main.get_by_role("button", name="Import now").click)
    expect(b.main.get_by_test_id("stAlert").first).to_contain_text(
        "Imported: 1 new family; 2 new assessments"
    )
    b.visit("import-done")
    assert store.families_named("E2E-IMPORT-1") == 1
    assert store.assessments("E2E-IMPORT-1") == 2


def test_commissioner_reaches_no_family_page_even_by_address(browser, store):
    """Journey 6: the commissioner is offered only Home, Cohort and Report card, and typing
    a family page's address (with a real family reference) shows no family."""
    b = browser
    family_ref = store.caseload("demo-manager")["family_ref"].iloc[0]
    b.sign_in("demo-commissioner")
    b.expect_navigation(["Home", "Cohort", "Report card"])
    b.visit("commissioner-home")
    for path in ("family_journey", "record_scores", "caseload"):
        b.open(f"{path}?family={family_ref}")  # a typed address starts a new session
        expect(b.main.get_by_role("textbox", name="Username")).to_be_visible()
        assert family_ref not in b.page.get_by_test_id("stApp").inner_text()
        b.submit_sign_in("demo-commissioner")
        b.expect_navigation(["Home", "Cohort", "Report card"])
        main = b.main
        # The commissioner lands on Home (its greeting shows), so the checks below look at
        # a finished page, not one still drawing.
        expect(main.get_by_role("heading", name=re.compile(r"^Hello, Demo"))).to_be_visible()
        b.idle()
        expect(
            main.get_by_role("heading", name=re.compile("Family journey|Record scores"))
        ).to_have_count(0)
        expect(main.get_by_role("combobox", name="Family")).to_have_count(0)
        expect(main.get_by_test_id("stDataFrame")).to_have_count(0)
        assert family_ref not in b.page.get_by_test_id("stApp").inner_text()
        b.visit(f"commissioner-typed-{path}")


def test_family_summary_prints_on_one_readable_a4_page(browser, browser_context, store):
    """Journey 7: the family summary, downloaded from the journey page and printed with
    Chromium, is one A4 page whose text (reference, greeting, areas) is real text at a
    readable size."""
    b = browser
    b.sign_in("demo-practitioner")
    b.go("Family journey")
    # The box shows the family's label (its short name too); the address holds the reference.
    family_ref = parse_qs(urlparse(b.page.url).query)["family"][0]
    instrument = BY_NAME[
        b.main.get_by_role("combobox", name="Instrument", exact=True).input_value()
    ]
    b.main.get_by_role("tab", name="Family summary").click()
    name_box = b.main.get_by_role("textbox", name="First name to greet (not saved)")
    b.act(lambda: (name_box.fill("Sam"), name_box.press("Enter")))
    b.act(lambda: b.main.get_by_text("Show the summary here").click())
    preview = b.main.get_by_test_id("stIFrame").content_frame
    expect(preview.get_by_text("Sam, here is how things have changed")).to_be_visible()
    b.visit("family-summary-tab")
    _, html = b.download(
        b.main.get_by_role("button", name="Download the summary (HTML, prints on A4)").click
    )
    assert store.downloads("demo-practitioner")[-1] == (
        f"family summary {family_ref}",
        store.family_id(family_ref),
    )

    (b.shots / "family-summary.html").write_bytes(html)
    printout = print_a4(
        browser_context, html.decode("utf-8"), b.shots / "summary-print-preview.png"
    )
    (b.shots / "family-summary.pdf").write_bytes(printout.pdf)
    assert printout.pages == 1
    assert printout.is_a4, printout.size
    assert printout.smallest_text_pt >= 8, f"smallest text is {printout.smallest_text_pt:.1f}pt"
    assert "Sam, here is how things have changed" in printout.words
    assert family_ref in printout.words
    for domain in instrument.domains:
        assert domain.label in printout.words, domain.label
    said_who = [p for p in ("cored by your key worker", "cored together") if p in printout.words]
    assert said_who and "agreed together" not in printout.words, "it says who gave the scores"
