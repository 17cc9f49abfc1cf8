"""The offline form reads as a form (the family at the top, one area per row, a drop-down of
the scale's named points per score) and, filled in, imports through the same checks."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import sqlalchemy as sa

from tests.unit.helpers import families_file
from tracker.cli import main
from tracker.files.importing import import_files
from tracker.files.template import FormFamily, offline_form
from tracker.instruments.loader import get_instrument
from tracker.store.models import Assessment, Family, Score

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")
TODAY = date(2025, 6, 1)
FIELD_COLUMN = "B"


def fields(sheet) -> dict[str, int]:
    """The form's field labels (column A, above the table) by row."""
    found = {}
    for row in range(3, 20):
        label = sheet[f"A{row}"].value
        if label == "Area":
            break
        if label:
            found[label] = row
    return found


def area_rows(sheet) -> dict[str, int]:
    header = next(row for row in range(1, 30) if sheet[f"A{row}"].value == "Area")
    return {
        sheet[f"A{row}"].value: row
        for row in range(header + 1, sheet.max_row + 1)
        if sheet[f"A{row}"].value
    }


def drop_down(book, cell: str) -> list[str]:
    """The items of the list rule covering ``cell``, read back from the sheet it names."""
    sheet = book.worksheets[0]
    for rule in sheet.data_validations.dataValidation:
        if rule.type == "list" and cell in rule.sqref:
            where, cells = rule.formula1.split("!")
            first, last = cells.replace("$", "").split(":")
            return [c.value for (c,) in book[where][f"{first}:{last}"]]
    raise AssertionError(f"no list rule covers {cell}")


def test_the_form_has_the_family_at_the_top_and_one_area_per_row(tmp_path, capsys):
    out = tmp_path / "form.xlsx"
    assert main(["template", "--instrument", "taf-dtt", "--out", str(out)]) == 0
    assert "Wrote a blank" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Offline form", "Guide", "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    form = book["Offline form"]
    at = fields(form)
    assert list(at) == [
        "Family reference",
        "Short name",
        "Instrument",
        "Occasion",
        "Date",
        "Who gave the scores",
        "Scale",
    ]
    assert form[f"B{at['Instrument']}"].value == TAF.name
    assert form[f"B{at['Scale']}"].value.startswith("1 None · 2 Minor · 3 Moderate")
    assert drop_down(book, f"B{at['Occasion']}") == ["Baseline", "Review", "Closure", "Follow-up"]
    assert drop_down(book, f"B{at['Who gave the scores']}") == [
        "Key worker",
        "Family (their own view)",
        "Together (agreed)",
    ]
    dates = [r for r in form.data_validations.dataValidation if r.type == "date"]
    assert [str(r.sqref) for r in dates] == [f"B{at['Date']}"]
    assert dates[0].formula1 == "TODAY()"

    areas = area_rows(form)
    labels = [d.label for d in TAF.domains]
    assert [a for a in areas if a in labels] == labels
    assert [s.label for s in TAF.sections] == [a for a in areas if a not in labels]
    for label in labels:
        assert drop_down(book, f"B{areas[label]}") == [
            "1 None",
            "2 Minor",
            "3 Moderate",
            "4 Significant",
            "5 Critical / complex",
            "N/A",
        ]
    guide = list(book["Guide"].iter_rows(min_row=6, values_only=True))
    assert len(guide) == len(TAF.domains) * len(TAF.bands)
    assert guide[0][:3] == ("Housing", "1", "None")


def test_a_star_form_names_each_point_by_its_stage():
    book = openpyxl.load_workbook(io.BytesIO(offline_form(STAR)))
    areas = area_rows(book.worksheets[0])
    assert list(areas) == [d.label for d in STAR.domains]  # one section: no heading row
    items = drop_down(book, f"B{areas['Daily routines']}")
    assert items[:3] == ["1 Stuck", "2 Stuck", "3 Open to help"]
    assert items[-2:] == ["10 Managing well", "N/A"]


def test_a_form_made_for_a_family_is_filled_in_with_it():
    family = FormFamily(
        family_ref="FAM-000007",
        short_name="Smith household",
        occasion="review",
        last_on=date(2026, 3, 12),
        last_values={"housing": 4.0, "general_health": None},
    )
    form = openpyxl.load_workbook(io.BytesIO(offline_form(TAF, family))).worksheets[0]
    at = fields(form)
    assert form[f"B{at['Family reference']}"].value == "FAM-000007"
    assert form[f"B{at['Short name']}"].value == "Smith household"
    assert form[f"B{at['Occasion']}"].value == "Review"
    areas = area_rows(form)
    header = min(areas.values()) - 2
    assert form[f"C{header + 1}"].value == "Last time (12 Mar 2026)"
    assert form[f"C{areas['Housing']}"].value == "4 Significant"
    assert form[f"C{areas['General health']}"].value == "Not scored"
    assert form[f"B{areas['Housing']}"].value is None  # scored afresh, never copied


def filled(tmp_path, *, ref="F1", when=datetime(2025, 2, 1), score="3 Moderate", **changes):
    """A blank form filled in as a worker would, through its drop-downs."""
    book = openpyxl.load_workbook(io.BytesIO(offline_form(TAF)))
    form = book.worksheets[0]
    at = fields(form)
    values = {
        "Family reference": ref,
        "Occasion": "Baseline",
        "Date": when,
        "Who gave the scores": "Together (agreed)",
        **changes,
    }
    for label, value in values.items():
        form[f"B{at[label]}"] = value
    areas = area_rows(form)
    for domain in TAF.domains:
        form[f"B{areas[domain.label]}"] = score
    form[f"B{areas['Income, employment and finance']}"] = "N/A"
    form[f"D{areas['Housing']}"] = "Moved in March; damp sorted."
    path = tmp_path / "filled-form.xlsx"
    book.save(path)
    return path, areas, at


def test_a_form_filled_in_offline_imports(engine, tmp_path):
    path, _, _ = filled(tmp_path)
    report = import_files(engine, [families_file(tmp_path), path], today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["assessments"]["new"] == 1
    assert report.counts["scores"]["new"] == len(TAF.domains)
    with engine.connect() as connection:
        assessment = connection.execute(sa.select(Assessment)).one()
        stored = {
            domain: (value, note)
            for domain, value, note in connection.execute(
                sa.select(Score.domain, Score.value, Score.note)
            )
        }
    assert (assessment.occasion, assessment.rater) == ("baseline", "joint")
    assert assessment.assessed_on == date(2025, 2, 1)
    assert stored["housing"] == (3, "Moved in March; damp sorted.")
    assert stored["income_employment_finance"] == (None, None)


def test_form_problems_name_the_file_the_row_and_the_field(engine, tmp_path):
    path, areas, at = filled(tmp_path, when=datetime(2030, 1, 1))
    book = openpyxl.load_workbook(path)
    book.worksheets[0][f"B{areas['Housing']}"] = "7"
    book.save(path)
    report = import_files(engine, [families_file(tmp_path), path], today=TODAY)
    sheet = "filled-form.xlsx[Offline form]"
    # The date is one cell for every area: one problem, on the date's own row.
    assert sorted(str(p) for p in report.errors) == [
        f"{sheet}:{areas['Housing']}: Housing: 7 is outside the taf-dtt scale (1 to 5)",
        f"{sheet}:{at['Date']}: assessed_on: 2030-01-01 is in the future",
    ]

    path, _, at = filled(tmp_path, ref="NOBODY")
    report = import_files(engine, [families_file(tmp_path), path], today=TODAY)
    assert [str(p) for p in report.errors] == [
        f"{sheet}:{at['Family reference']}: family_ref: 'NOBODY' is not a known family; "
        "add it to families.csv first"
    ]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(Family.id))).scalar_one() == 0


def test_a_form_with_no_scores_is_refused(engine, tmp_path):
    path, _, _ = filled(tmp_path, score=None)
    book = openpyxl.load_workbook(path)
    form = book.worksheets[0]
    form[f"B{area_rows(form)['Income, employment and finance']}"] = None
    book.save(path)
    report = import_files(engine, [families_file(tmp_path), path], today=TODAY)
    assert [p.message for p in report.errors] == [
        "no area is scored; choose a score, or N/A, for each area"
    ]


def test_a_form_that_lost_its_fields_is_refused_plainly(engine, tmp_path):
    path, _, at = filled(tmp_path)
    book = openpyxl.load_workbook(path)
    book.worksheets[0][f"A{at['Date']}"] = "When"
    book.save(path)
    report = import_files(engine, [families_file(tmp_path), path], today=TODAY)
    assert [str(p) for p in report.errors] == [
        "filled-form.xlsx[Offline form]:1: -: this offline form has no 'Date' row; "
        "download a new form and fill that in"
    ]


def test_wide_sheet_problems_name_the_row_and_the_heading(engine, tmp_path):
    families = families_file(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["family_ref", "occasion", "assessed_on", "rater", "Housing", "housng", "general_health"]
    )
    sheet.append(["F1", "B", "2025-02-01", "worker", 4, 3, 3])
    sheet.append([])
    sheet.append(["F1", "R1", "2025-03-01", "worker", 9, 3, 2])
    path = tmp_path / "legacy.xlsx"
    book.save(path)
    report = import_files(engine, [families, path], today=TODAY)
    rendered = [str(p) for p in report.errors]
    assert any(
        r.startswith(
            "legacy.xlsx[Sheet]:1: housng: this heading is not a domain of "
            "taf-dtt; did you mean housing"
        )
        for r in rendered
    ), rendered
    # Row 4 in the sheet (a blank row 3 is skipped, not renumbered), under the Housing heading.
    assert "legacy.xlsx[Sheet]:4: housing: 9 is outside the taf-dtt scale (1 to 5)" in rendered
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(Family.id))).scalar_one() == 0


def test_csv_in_the_wide_layout_imports(engine, tmp_path):
    families = families_file(tmp_path)
    path = tmp_path / "wide.csv"
    path.write_text(
        "family_ref,instrument,occasion,assessed_on,rater,Housing,General health\n"
        "F1,taf-dtt,B,2025-02-01,worker,4,NA\n"
    )
    report = import_files(engine, [families, path], today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["scores"]["new"] == 2


def test_a_broken_workbook_is_refused_plainly(engine, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    report = import_files(engine, [path], today=TODAY)
    assert [str(p) for p in report.errors] == [
        "broken.xlsx:0: -: the file cannot be opened as an Excel workbook (.xlsx)"
    ]
