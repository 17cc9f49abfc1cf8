"""The offline form: one assessment of one family, to fill in with them without a connection.

It reads as a form, not a table: the family, the instrument, the occasion, the date and who
gave the scores at the top, then one area per row with a drop-down of the scale's points by
name (and N/A), a note beside each, and what was scored last time when the form was made for
a family. A Guide sheet says what each point means in each area.

The same module reads a filled-in form back (``form_rows``) into canonical score rows, each
keeping the line of its cell, so it imports through the same checks, preview and audit as
every other file; Excel's drop-downs are a convenience, not the guard.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from tracker.files.canonical import ASSESSMENT_COLUMNS
from tracker.files.problems import FileRejected, Problem
from tracker.files.tabular import FORM_SHEET, Sheet, normalise_header
from tracker.instruments.loader import Instrument
from tracker.store.vocabulary import OCCASION_LABELS, OCCASIONS, RATER_LABELS

LISTS_SHEET = "Lists"
NOT_APPLICABLE = "N/A"
# The fields at the top of the form, by the label in column A, and the file column each fills.
FIELDS = {
    "Family reference": "family_ref",
    "Short name": None,  # for the worker and the family; never imported
    "Instrument": "instrument",
    "Occasion": "occasion",
    "Date": "assessed_on",
    "Who gave the scores": "rater",
    "Scale": None,
}
TABLE = ("Area", "Score", "Last time", "Notes")
WIDTHS = {"A": 46, "B": 26, "C": 26, "D": 60}
BOLD = Font(bold=True)
SHADED = PatternFill("solid", fgColor="EEEEEE")
TO_FILL = PatternFill("solid", fgColor="FFF8DC")
EDGE = Side(style="thin", color="999999")
BOXED = Border(left=EDGE, right=EDGE, top=EDGE, bottom=EDGE)
WRAPPED = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class FormFamily:
    """What a form made for one family is filled in with before it goes out."""

    family_ref: str
    short_name: str | None = None
    occasion: str = ""  # the occasion the form suggests: a key of OCCASIONS, or blank
    last_on: date | None = None  # the assessment "Last time" shows, if any
    last_values: Mapping[str, float | None] = field(default_factory=dict)


def scale_points(instrument: Instrument) -> list[str]:
    """Each point of the scale with its name, as the drop-downs offer it: "3 Moderate"."""
    return [f"{value:g} {instrument.band_for(value).label}" for value in instrument.points]


def scale_line(instrument: Instrument) -> str:
    """The whole scale in one line: its bands by name, and which way is better."""
    bands = " · ".join(
        f"{band.min:g}{'' if band.min == band.max else f'-{band.max:g}'} {band.label}"
        for band in instrument.bands
    )
    better = "higher" if instrument.higher_is_better else "lower"
    return f"{bands} ({better} is better; N/A when the area does not apply)"


def _list_rule(sheet, cells: str, column: str, items: list[str], error: str) -> None:
    """A drop-down over ``cells`` offering ``items``, kept in a column of the Lists sheet
    (no length limit, and labels may hold commas)."""
    for row, item in enumerate(items, start=1):
        sheet.parent[LISTS_SHEET][f"{column}{row}"] = item
    rule = DataValidation(
        type="list",
        formula1=f"{LISTS_SHEET}!${column}$1:${column}${len(items)}",
        allow_blank=True,
        showErrorMessage=True,
        error=error,
    )
    rule.add(cells)
    sheet.add_data_validation(rule)


def _last_time(instrument: Instrument, family: FormFamily | None, key: str) -> str:
    if family is None or family.last_on is None:
        return ""
    value = family.last_values.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "Not scored"
    return f"{value:g} {instrument.band_for(value).label}"


def offline_form(instrument: Instrument, family: FormFamily | None = None) -> bytes:
    """The form for one assessment of ``instrument``: blank, or made for ``family``."""
    book = Workbook()
    form = book.active
    form.title = FORM_SHEET
    book.create_sheet(LISTS_SHEET).sheet_state = "hidden"
    for column, width in WIDTHS.items():
        form.column_dimensions[column].width = width

    form["A1"] = instrument.name
    form["A1"].font = Font(bold=True, size=14)
    form["A2"] = (
        "Fill this in with the family: choose a score for every area from its list (N/A "
        "when the area does not apply), then upload the file on the Import and export page."
    )
    form.merge_cells("A2:D2")
    form["A2"].alignment = WRAPPED
    form.row_dimensions[2].height = 32

    filled = {
        "Family reference": family.family_ref if family else None,
        "Short name": (family.short_name or None) if family else None,
        "Instrument": instrument.name,
        "Occasion": OCCASION_LABELS.get(family.occasion) if family else None,
        "Scale": scale_line(instrument),
    }
    lines = {}
    for row, label in enumerate(FIELDS, start=4):
        lines[label] = row
        form.cell(row=row, column=1, value=label).font = BOLD
        cell = form.cell(row=row, column=2, value=filled.get(label))
        cell.border = BOXED
        if label != "Scale":
            cell.fill = TO_FILL
        if label in ("Instrument", "Scale"):
            form.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
            cell.alignment = WRAPPED
    form.row_dimensions[lines["Scale"]].height = 32
    date_cell = form.cell(row=lines["Date"], column=2)
    date_cell.number_format = "dd mmm yyyy"
    on_or_before_today = DataValidation(
        type="date",
        operator="lessThanOrEqual",
        formula1="TODAY()",
        showErrorMessage=True,
        error="Use the date of the assessment; it cannot be in the future.",
    )
    on_or_before_today.add(date_cell.coordinate)
    form.add_data_validation(on_or_before_today)
    _list_rule(
        form,
        f"B{lines['Occasion']}",
        "B",
        [OCCASION_LABELS[key] for key in OCCASIONS],
        "Choose Baseline, Review, Closure or Follow-up.",
    )
    _list_rule(
        form,
        f"B{lines['Who gave the scores']}",
        "C",
        list(RATER_LABELS.values()),
        "Choose who gave the scores from the list.",
    )

    header = lines["Scale"] + 2
    last_on = f"Last time ({family.last_on:%d %b %Y})" if family and family.last_on else None
    for column, title in enumerate(TABLE, start=1):
        cell = form.cell(
            row=header, column=column, value=last_on if column == 3 and last_on else title
        )
        cell.font, cell.fill, cell.border = BOLD, SHADED, BOXED
    form.freeze_panes = f"A{header + 1}"
    row = header + 1
    first_score = row
    many_sections = len(instrument.sections) > 1
    for section in instrument.sections:
        if many_sections:
            form.cell(row=row, column=1, value=section.label).font = Font(bold=True, italic=True)
            row += 1
        for domain in section.domains:
            form.cell(row=row, column=1, value=domain.label).alignment = WRAPPED
            form.cell(row=row, column=2).fill = TO_FILL
            form.cell(row=row, column=3, value=_last_time(instrument, family, domain.key))
            form.cell(row=row, column=4).alignment = WRAPPED
            for column in range(1, 5):
                form.cell(row=row, column=column).border = BOXED
            row += 1
    points = [*scale_points(instrument), NOT_APPLICABLE]
    _list_rule(
        form,
        f"B{first_score}:B{row - 1}",
        "A",
        points,
        f"Choose a score from the list: {points[0]} to {points[-2]}, or {NOT_APPLICABLE}.",
    )
    form.print_options.gridLines = False
    form.page_setup.fitToWidth, form.page_setup.fitToHeight = 1, 0
    form.sheet_properties.pageSetUpPr.fitToPage = True
    _guide(book, instrument)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _guide(book: Workbook, instrument: Instrument) -> None:
    """What each point of the scale means, area by area."""
    guide = book.create_sheet("Guide", 1)
    guide.append([instrument.name])
    guide["A1"].font = Font(bold=True, size=14)
    guide.append([instrument.description])
    guide.append([scale_line(instrument)])
    guide.append([])
    guide.append(["Area", "Scores", "Band", "What it looks like"])
    for cell in guide[5]:
        cell.font = BOLD
    for domain in instrument.domains:
        for band, text in zip(instrument.bands, domain.descriptions, strict=True):
            points = f"{band.min:g}" if band.min == band.max else f"{band.min:g}-{band.max:g}"
            guide.append([domain.label, points, band.label, text])
    for column, width in zip("ABCD", (38, 8, 18, 90), strict=True):
        guide.column_dimensions[column].width = width


# Reading a filled-in form ------------------------------------------------------------------

POINT = re.compile(r"(-?\d+(?:\.\d+)?)(?:\s.*)?")


def _score_text(text: str, points: dict[str, str]) -> str:
    """A drop-down's item as the number it stands for ("3 Moderate" -> "3"); N/A as NA;
    anything else as typed, for the checks to report."""
    if text.lower() == NOT_APPLICABLE.lower():
        return "NA"
    return points.get(text.lower(), text)


def _instrument(text: str, instruments: dict[str, Instrument]) -> Instrument | None:
    wanted = text.strip().lower()
    return next(
        (spec for spec in instruments.values() if wanted in (spec.key, spec.name.lower())), None
    )


def form_rows(
    sheet: Sheet, instruments: dict[str, Instrument]
) -> tuple[Sheet, dict[str, int], dict[str, pd.Series], list[Problem]]:
    """A filled-in form as canonical score rows, one per area, on the area's line.

    Also gives the line of each field at the top (every row shares its value, so a
    problem with it is reported once, there), each row's area label to name a score's
    problems by, and any problem with the form as a whole.
    """
    grid, lines = sheet.frame, sheet.lines
    labels = grid["a"].map(normalise_header)
    wanted = {normalise_header(label): column for label, column in FIELDS.items() if column}
    at = {}
    for index in grid.index[labels.isin(list(wanted))]:
        at.setdefault(wanted[labels.at[index]], index)
    missing = [label for label, column in FIELDS.items() if column and column not in at]
    table = grid.index[labels.eq("area") & grid["b"].map(normalise_header).eq("score")]
    if missing or table.empty:
        what = f"{missing[0]!r} row" if missing else "Area and Score table"
        raise FileRejected(
            Problem(
                sheet.name,
                1,
                "-",
                f"this offline form has no {what}; download a new form and fill that in",
            )
        )
    fields = {column: grid.at[index, "b"] for column, index in at.items()}
    field_lines = {column: int(lines.at[index]) for column, index in at.items()}
    spec = _instrument(fields["instrument"], instruments)
    if spec is not None:
        fields["instrument"] = spec.key
    raters = {label.lower(): key for key, label in RATER_LABELS.items()}
    fields["rater"] = raters.get(fields["rater"].lower(), fields["rater"])

    below = grid.loc[grid.index > table[0]]
    sections = {normalise_header(s.label) for s in spec.sections} if spec else set()
    areas = below[~below["a"].map(normalise_header).isin(sections) & below["a"].ne("")]
    if areas.empty:
        raise FileRejected(
            Problem(sheet.name, int(lines.at[table[0]]), "-", "the form lists no areas")
        )
    keys = {normalise_header(d.label): d.key for d in spec.domains} if spec else {}
    points = {}
    if spec is not None:
        points = {item.lower(): item.split(" ", 1)[0] for item in scale_points(spec)}
    rows = pd.DataFrame(
        {
            **{column: fields[column] for column in ASSESSMENT_COLUMNS},
            "domain": areas["a"].map(lambda label: keys.get(normalise_header(label), label)),
            "score": areas["b"].map(lambda text: _score_text(text, points)),
            "note": areas["d"],
        },
        index=areas.index,
    ).reset_index(drop=True)
    area_lines = lines.loc[areas.index].reset_index(drop=True)
    named = {
        "score": areas["a"].reset_index(drop=True),
        "domain": areas["a"].reset_index(drop=True),
    }
    problems = []
    blank = rows["score"].eq("")
    if blank.all():
        problems.append(
            Problem(
                sheet.name,
                int(lines.at[table[0]]),
                "score",
                "no area is scored; choose a score, or N/A, for each area",
            )
        )
    elif blank.any():
        problems.append(
            Problem(
                sheet.name,
                int(area_lines[blank].iloc[0]),
                "score",
                f"{int(blank.sum())} areas have no score and will be stored as not scored: "
                + ", ".join(areas["a"].reset_index(drop=True)[blank]),
                "warning",
            )
        )
    return Sheet(sheet.name, rows, area_lines), field_lines, named, problems
