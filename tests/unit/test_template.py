"""The offline Excel form: Excel's checks are there, and a filled-in form imports cleanly."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import sqlalchemy as sa

from tests.unit.helpers import families_file
from tracker.cli import main
from tracker.files.importing import import_files
from tracker.instruments.loader import get_instrument
from tracker.store.models import Assessment, Family, Score

TAF = get_instrument("taf-dtt")
TODAY = date(2025, 6, 1)


def test_the_form_has_a_scores_sheet_with_checks_and_a_guide(tmp_path, capsys):
    out = tmp_path / "form.xlsx"
    assert main(["template", "--instrument", "taf-dtt", "--out", str(out)]) == 0
    assert "Wrote a blank" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Scores", "Guide"]
    sheet = book["Scores"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["family_ref", "instrument", "occasion", "assessed_on", "rater"]
    assert header[5:] == [domain.label for domain in TAF.domains]
    rules = {str(rule.sqref).split(":")[0]: rule for rule in sheet.data_validations.dataValidation}
    assert rules["C2"].type == "list" and "baseline" in rules["C2"].formula1
    assert rules["E2"].formula1 == '"worker,family,joint"'
    assert rules["D2"].type == "date" and rules["D2"].formula1 == "TODAY()"
    assert (rules["F2"].type, rules["F2"].formula1, rules["F2"].formula2) == ("whole", "1", "5")
    guide = [row for row in book["Guide"].iter_rows(min_row=6, values_only=True)]
    assert len(guide) == len(TAF.domains) * len(TAF.bands)
    assert guide[0][:3] == ("Housing", "1", "None")


def test_a_form_filled_in_offline_imports(engine, tmp_path):
    families = families_file(tmp_path)
    out = tmp_path / "form.xlsx"
    assert main(["template", "--instrument", "taf-dtt", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    sheet = book["Scores"]
    values = [3] * len(TAF.domains)
    values[1] = None  # income: not applicable
    sheet.append(["F1", "taf-dtt", "baseline", datetime(2025, 2, 1), "worker", *values])
    sheet.append(["F1", "", "review", datetime(2025, 3, 1), "joint", *([2] * len(TAF.domains))])
    book.save(out)
    report = import_files(engine, [families, out], today=TODAY)
    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["scores"]["new"] == 2 * len(TAF.domains)
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                sa.select(Score.domain, Score.value)
                .join(Assessment, Assessment.id == Score.assessment_id)
                .join(Family, Family.id == Assessment.family_id)
                .where(Assessment.occasion == "baseline")
            ).all()
        )
    assert stored["housing"] == 3 and stored["income_employment_finance"] is None


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
