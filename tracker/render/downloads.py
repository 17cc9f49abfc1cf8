"""Tables and charts as files: CSV, Excel, PNG (or HTML when no browser is available).

Suppressed figures are written as ``*`` with a footnote, exactly as shown on screen, so a
download can never reveal what the page hides. Every file carries its context, the
``notes`` (for the cohort: the instrument, filters, whose ratings, period, audience,
smallest group and the day it was made) with the footnote:

- a CSV opens with them as comment rows, ``#`` in the first column and the note in the
  second, so ``pandas.read_csv(..., comment="#")`` reads the table alone and a
  spreadsheet shows each note whole in one cell;
- an Excel workbook has the figures, and nothing else, on its first sheet and the notes
  on a second, "About this table";
- a chart has them written under it.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import textwrap

import pandas as pd
import plotly.graph_objects as go
from openpyxl.styles import Alignment, Font

from tracker.files.formula_guard import neutralise, neutralised

SUPPRESSED = "*"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
STAMP_LINE_HEIGHT = 16  # pixels per line of a chart's stamp
STAMP_LINE_CHARACTERS = 150  # a line of the stamp at 11 px fits a 1,100 px chart
LEGEND_ROOM = 40  # pixels for a row or two of a legend laid out under the plot
DEFAULT_HEIGHT = 600  # a chart's height in a PNG when it sets none
PLOTLY_MARGIN = {"t": 100, "b": 80}  # plotly's own, where a chart sets none
COMMENT = "#"
ABOUT_SHEET = "About this table"


def mark_suppressed(frame: pd.DataFrame, suppressed: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Replace the figures of suppressed rows with ``*``."""
    marked = frame.astype({column: object for column in columns})
    for column in columns:
        marked.loc[suppressed.to_numpy(), column] = SUPPRESSED
    return marked


def footnote(min_group: int) -> str:
    return f"{SUPPRESSED} suppressed: fewer than {min_group} families, to protect their privacy."


def about_lines(min_group: int, notes: tuple[str, ...]) -> list[str]:
    """What a table says about itself: its notes, then what ``*`` means."""
    return [*notes, footnote(min_group)]


def table_csv(frame: pd.DataFrame, min_group: int, notes: tuple[str, ...] = ()) -> bytes:
    """The table for a spreadsheet: formula-guarded, with a byte-order mark so Excel reads
    accents, its notes and footnote first as ``#`` comment rows, and every text cell quoted
    so that a ``#`` inside one is never read as a comment."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows([COMMENT, neutralise(line)] for line in about_lines(min_group, notes))
    neutralised(frame).to_csv(text, index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def table_xlsx(
    frame: pd.DataFrame, min_group: int, sheet: str = "Figures", notes: tuple[str, ...] = ()
) -> bytes:
    """The figures alone on the first sheet; the notes and footnote on "About this table"."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralised(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
        about = pd.DataFrame({ABOUT_SHEET: about_lines(min_group, notes)})
        neutralised(about).to_excel(writer, sheet_name=ABOUT_SHEET, index=False)
        figures, told = writer.sheets[sheet[:31]], writer.sheets[ABOUT_SHEET]
        for cell, column in zip(figures[1], frame.columns, strict=True):
            cell.font = Font(bold=True)
            width = max([len(str(column)), *(len(str(value)) for value in frame[column])])
            figures.column_dimensions[cell.column_letter].width = min(width + 2, 60)
        told["A1"].font = Font(bold=True)
        told.column_dimensions["A"].width = 110
        for (cell,) in told.iter_rows(min_row=2):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return buffer.getvalue()


def stamped_figure(figure: go.Figure, notes: tuple[str, ...]) -> go.Figure:
    """A copy of the chart with ``notes`` (what it covers, who it is for, when it was made)
    written under it, below any legend that hangs under the plot, so the image says what a
    table's notes say."""
    if not notes:
        return figure
    lines = [part for note in notes for part in textwrap.wrap(note, STAMP_LINE_CHARACTERS)]
    stamped = go.Figure(figure)
    layout = stamped.layout
    height = layout.height or DEFAULT_HEIGHT
    top = PLOTLY_MARGIN["t"] if layout.margin.t is None else layout.margin.t
    bottom = PLOTLY_MARGIN["b"] if layout.margin.b is None else layout.margin.b
    start = bottom  # how far under the plot the notes begin, in pixels
    if layout.legend.y is not None and layout.legend.y < 0:
        start = max(bottom, round(-layout.legend.y * (height - top - bottom)) + LEGEND_ROOM)
    room = STAMP_LINE_HEIGHT * len(lines)
    stamped.update_layout(
        height=height - bottom + start + room, margin={"t": top, "b": start + room}
    )
    stamped.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-start,
        xanchor="left",
        yanchor="top",
        align="left",
        showarrow=False,
        font={"size": 11},
    )
    return stamped


def browser_available() -> bool:
    """Static chart export needs a Chromium; kaleido finds it via BROWSER_PATH or PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return os.path.exists(configured)
    return any(shutil.which(name) for name in BROWSER_NAMES)


def figure_png(figure: go.Figure, width: int = 1100, height: int | None = None) -> bytes:
    return figure.to_image(
        format="png",
        width=width,
        height=height or figure.layout.height or DEFAULT_HEIGHT,
        scale=1.5,
    )


def figure_html(figure: go.Figure) -> bytes:
    """A self-contained interactive page, for when no browser can render a PNG."""
    return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
