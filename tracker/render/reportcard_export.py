"""Report card exports for boards: self-contained HTML, PDF and Excel, from one card.

The HTML and PDF are drawn in ``reportcard_html`` and ``reportcard_pdf``; the Excel
workbook is written here. Each says who it is for and how its figures were protected
(``ReportCard.stamp``), and puts "Is anyone better off?" first. The workbook holds the
figures rounded as the card shows them, formatted in their units, so a board member sees
38%, not 38.46153846153846.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tracker.files.formula_guard import neutralised
from tracker.measures.reportcard import (
    CHANGE_DECIMALS,
    FORECAST_INTERVAL,
    QUADRANTS,
    ReportCard,
    card_as_dict,
)
from tracker.render.reportcard_html import card_html
from tracker.render.reportcard_pdf import card_pdf
from tracker.render.reportcard_words import (
    MEANS_NOTE,
    NO_VALUE,
    NOISE_NOTE,
    ORDER,
    decimals,
    rounded,
    stamp_lines,
)

__all__ = ["card_html", "card_pdf", "card_xlsx"]

FORECAST_COLUMNS = [
    "Measure",
    "Quarter",
    "Forecast",
    f"{FORECAST_INTERVAL:.0%} low",
    f"{FORECAST_INTERVAL:.0%} high",
    "Known quarters used",
    "Suppressed quarters",
    "Missing quarters",
]
WIDTHS = {"Question": 24, "Measure": 36, "Definition": 70, "Note": 40, "Noise judged by": 40}
WIDEST = 60


def number_format(unit: str, value: float) -> str:
    """The Excel number format that shows ``value`` as the card does (38%, £1,250, 3.20)."""
    places = decimals(unit, value)
    digits = "#,##0" + ("." + "0" * places if places else "")
    if unit == "pct":
        return digits + '"%"'
    if unit == "money":
        return '"£"' + digits
    if unit == "hours":
        return digits + '" h"'
    return digits


def _cell(unit: str, value, reason: str | None):
    """A figure for a spreadsheet cell: the number as the card rounds it, ``*``, or the
    reason in words."""
    if value is None:
        return reason
    return value if isinstance(value, str) else rounded(unit, value)


def _change(unit: str, value: float | None) -> float | None:
    return None if value is None else round(value, CHANGE_DECIMALS[unit])


def _sheets(card: ReportCard) -> dict[str, tuple[pd.DataFrame, list[str]]]:
    """Each sheet's table and the unit of each of its rows, better off first."""
    data = card_as_dict(card)
    rows, history, forecasts, parts = [], [], [], []
    units = {"rows": [], "history": [], "forecasts": []}
    for quadrant in ORDER:
        for measure in data[quadrant]:
            unit, change = measure["unit"], measure["change"]
            rows.append(
                {
                    "Question": QUADRANTS[quadrant],
                    "Measure": measure["label"],
                    "Value": _cell(unit, measure["value"], measure["reason"]),
                    "Number": measure["number"],
                    f"Previous ({data['period']['previous']})": _cell(
                        unit, measure["previous"], measure["previous_reason"]
                    ),
                    "Change": _change(unit, change["difference"]),
                    "Change unit": change["unit"],
                    "Change 95% low": _change(unit, change["ci_low"]),
                    "Change 95% high": _change(unit, change["ci_high"]),
                    "Noise judged by": change["method"],
                    "Trend": measure["trend"],
                    "Target": _cell(unit, measure["target"], None),
                    "Higher is better": measure["higher_is_better"],
                    "Definition": measure["definition"],
                    "Note": measure["note"],
                }
            )
            units["rows"].append(unit)
            for point in measure["history"]:
                history.append(
                    {
                        "Measure": measure["label"],
                        "Quarter": point["quarter"],
                        "Value": _cell(unit, point["value"], point["reason"]),
                    }
                )
                units["history"].append(unit)
            forecast = measure["forecast"]
            for quarter, value, low, high in zip(
                forecast["quarters"],
                forecast["value"] or [],
                forecast["pi_low"] or [],
                forecast["pi_high"] or [],
                strict=True,
            ):
                forecasts.append(
                    dict(
                        zip(
                            FORECAST_COLUMNS,
                            [
                                measure["label"],
                                quarter,
                                rounded(unit, value),
                                rounded(unit, low),
                                rounded(unit, high),
                                forecast["known_quarters"],
                                ", ".join(forecast["suppressed_quarters"]),
                                ", ".join(forecast["missing_quarters"]),
                            ],
                            strict=True,
                        )
                    )
                )
                units["forecasts"].append(unit)
            parts += [
                {"Measure": measure["label"], "Part": key, "Value": NO_VALUE if v is None else v}
                for key, v in measure["parts"].items()
            ]
    about = [
        *stamp_lines(card),
        data["period"]["label"],
        data["scope"]["label"],
        card.legend,
        card.yardstick.caption(),
        NOISE_NOTE,
        MEANS_NOTE,
    ]
    # Story text is typed by people, so it is made formula-safe like every export.
    story = neutralised(
        pd.DataFrame({"Heading": list(data["story"]), "Text": list(data["story"].values())})
    )
    return {
        "Report card": (pd.DataFrame(rows), units["rows"]),
        "History": (pd.DataFrame(history), units["history"]),
        "Forecast": (pd.DataFrame(forecasts, columns=FORECAST_COLUMNS), units["forecasts"]),
        "Breakdowns": (pd.DataFrame(parts, columns=["Measure", "Part", "Value"]), []),
        "Story": (story, []),
        "About": (pd.DataFrame({"About": about}), []),
    }


# The columns of each sheet whose figures are in the measure's own unit.
IN_UNITS = {
    "Report card": ("Value", "Previous", "Target"),
    "History": ("Value",),
    "Forecast": ("Forecast", FORECAST_COLUMNS[3], FORECAST_COLUMNS[4]),
}


def _lay_out(sheet, frame: pd.DataFrame, units: list[str], columns: tuple[str, ...]) -> None:
    """Units on the figures, a bold header, and widths a reader need not drag."""
    for index, name in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        longest = max([len(str(name)), *(len(str(v)) for v in frame[name] if v is not None)])
        sheet.column_dimensions[letter].width = WIDTHS.get(name, min(longest + 2, WIDEST))
        if name in ("Definition", "Note", "Text", "About"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if not name.startswith(columns):
            continue
        for row, unit in enumerate(units, start=2):
            cell = sheet.cell(row=row, column=index)
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = number_format(unit, cell.value)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def card_xlsx(card: ReportCard) -> bytes:
    """Every measure with its definition, value, previous value and change, target, history,
    forecast and parts, and the yardstick reliable change was judged against."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, (frame, units) in _sheets(card).items():
            frame.to_excel(writer, sheet_name=name, index=False)
            _lay_out(writer.sheets[name], frame, units, IN_UNITS.get(name, ()))
    return buffer.getvalue()
