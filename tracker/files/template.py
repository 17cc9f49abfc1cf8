"""The offline Excel form: a blank Scores sheet with Excel's own checks, and a Guide sheet.

A worker without a connection fills it in with the family; it imports through the same
validator as everything else, so Excel's checks are a convenience, not the guard.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tracker.files.canonical import ASSESSMENT_COLUMNS
from tracker.instruments.loader import Instrument
from tracker.store.vocabulary import OCCASIONS, RATERS

ROWS = 500


def _validation(sheet, column: int, rule: DataValidation) -> None:
    letter = get_column_letter(column)
    rule.add(f"{letter}2:{letter}{ROWS + 1}")
    sheet.add_data_validation(rule)


def offline_form(instrument: Instrument) -> bytes:
    """A blank workbook for one instrument, in the wide layout the importer reads."""
    book = Workbook()
    scores = book.active
    scores.title = "Scores"
    headers = [*ASSESSMENT_COLUMNS, *(domain.label for domain in instrument.domains)]
    scores.append(headers)
    bold = Font(bold=True)
    for column in range(1, len(headers) + 1):
        cell = scores.cell(row=1, column=column)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        is_domain = column > len(ASSESSMENT_COLUMNS)
        cell.fill = PatternFill("solid", fgColor="DDEBF7" if is_domain else "EEEEEE")
        scores.column_dimensions[get_column_letter(column)].width = 14 if is_domain else 16
    scores.row_dimensions[1].height = 60
    scores.freeze_panes = f"{get_column_letter(len(ASSESSMENT_COLUMNS) + 1)}2"

    _validation(
        scores, 2, DataValidation(type="list", formula1=f'"{instrument.key}"', allow_blank=True)
    )
    _validation(
        scores,
        3,
        DataValidation(
            type="list",
            formula1=f'"{",".join(OCCASIONS)}"',
            allow_blank=False,
            error="Choose baseline, review, closure or follow-up.",
            showErrorMessage=True,
        ),
    )
    _validation(
        scores,
        4,
        DataValidation(
            type="date",
            operator="lessThanOrEqual",
            formula1="TODAY()",
            error="Use a real date that is not in the future.",
            showErrorMessage=True,
        ),
    )
    _validation(
        scores,
        5,
        DataValidation(
            type="list",
            formula1=f'"{",".join(RATERS)}"',
            error="Choose worker, family or joint.",
            showErrorMessage=True,
        ),
    )
    low, high = instrument.scale_min, instrument.scale_max
    message = (
        f"Enter {low:g} to {high:g}"
        + (" in steps of 0.5" if instrument.step == 0.5 else " (whole numbers)")
        + ", or leave blank if it does not apply."
    )
    for column in range(len(ASSESSMENT_COLUMNS) + 1, len(headers) + 1):
        letter = get_column_letter(column)
        if instrument.step == 1:
            rule = DataValidation(
                type="whole",
                operator="between",
                formula1=f"{low:g}",
                formula2=f"{high:g}",
                allow_blank=True,
            )
        else:
            rule = DataValidation(
                type="custom",
                allow_blank=True,
                formula1=(
                    f"AND({letter}2>={low:g},{letter}2<={high:g},"
                    f"MOD({letter}2/{instrument.step:g},1)=0)"
                ),
            )
        rule.error, rule.showErrorMessage = message, True
        rule.prompt, rule.showInputMessage = message, True
        _validation(scores, column, rule)
    for row in range(2, ROWS + 2):
        scores.cell(row=row, column=4).number_format = "yyyy-mm-dd"

    guide = book.create_sheet("Guide")
    guide.append([instrument.name])
    guide["A1"].font = Font(bold=True, size=14)
    guide.append([instrument.description])
    guide.append(
        [
            f"Scores run from {low:g} to {high:g}; "
            f"{'higher' if instrument.higher_is_better else 'lower'} is better. "
            "Leave a score blank when the area does not apply. One row per family, "
            "date and rater."
        ]
    )
    guide.append([])
    guide.append(["Area", "Scores", "Band", "What it looks like"])
    for cell in guide[5]:
        cell.font = bold
    for domain in instrument.domains:
        for band, text in zip(instrument.bands, domain.descriptions, strict=True):
            points = f"{band.min:g}" if band.min == band.max else f"{band.min:g}-{band.max:g}"
            guide.append([domain.label, points, band.label, text])
    for column, width in zip("ABCD", (38, 8, 18, 90), strict=True):
        guide.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
