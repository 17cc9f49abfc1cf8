"""The report card as an A4 PDF for a board: a one-page scorecard, then every measure with
its chart and definition, then the story behind the curve.

The scorecard is the familiar RBA layout: the four questions, better off first, each
measure with this period, the previous one, its target, a trend arrow coloured by whether
the move is better or worse, and a sparkline of the last eight quarters. Charts are drawn
as vector shapes (``reportcard_drawing``), with no browser, so the PDF is quick to make.
Every page's footer says who the card is for; page one and the detail pages carry its
whole stamp.
"""

from __future__ import annotations

import math

from fpdf import FPDF

from tracker.measures.reportcard import QUADRANTS, MeasureResult, ReportCard
from tracker.render.reportcard_charts import chart_note, curve, value_axis
from tracker.render.reportcard_drawing import (
    CHART_HEIGHT,
    CHART_WIDTH,
    PdfCanvas,
    draw_arrow,
    draw_curve,
    draw_sparkline,
)
from tracker.render.reportcard_words import (
    ARROWS_NOTE,
    MEANS_NOTE,
    NO_STORY,
    NO_VALUE,
    NOISE_NOTE,
    ORDER,
    SPARK_NOTE,
    TREND_SHORT,
    comparison,
    direction,
    headline,
    shown,
    stamp_lines,
    story_told,
    target_text,
    trend_colour,
)

MARGIN = 12
FOOTER = 10
# The scorecard's columns, in mm: 186 across an A4 page inside its margins.
COLUMNS = {"measure": 66, "now": 25, "before": 25, "target": 19, "trend": 21, "spark": 30}
HEADER_FILL = (236, 236, 236)
BETTER_OFF_FILL = (226, 238, 248)
QUESTION_FILL = (244, 244, 244)


def _latin(text: str) -> str:
    """The PDF's built-in fonts cover Latin-1; anything else becomes a close ASCII form."""
    swaps = {
        "√": "sqrt",
        "−": "-",
        "–": "-",
        "—": "-",
        "’": "'",
        "“": '"',
        "”": '"',
        "·": "-",
        "…": "...",
    }
    for old, new in swaps.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


class _CardPDF(FPDF):
    def __init__(self, title: str, audience: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.card_title = title
        self.audience = audience
        self.set_auto_page_break(auto=True, margin=MARGIN + FOOTER - 4)
        self.set_margins(MARGIN, MARGIN, MARGIN)

    def footer(self) -> None:
        self.set_y(-FOOTER)
        self.set_font("Helvetica", size=7)
        self.set_text_color(90, 90, 90)
        footer = f"{self.card_title} - {self.audience} - page {self.page_no()} of {{nb}}"
        self.cell(0, 5, _latin(footer), align="C")
        self.set_text_color(0, 0, 0)

    def para(self, text: str, size: float, height: float, style: str = "", grey=False) -> None:
        """A paragraph across the page."""
        self.set_font("Helvetica", style, size)
        if grey:
            self.set_text_color(90, 90, 90)
        self.multi_cell(0, height, _latin(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def height_of(self, width: float, text: str, size: float, line: float, style="") -> float:
        """About how tall ``text`` wraps to in ``width`` (0: the page's): a line more than
        its length needs, as words wrap early; quicker than wrapping it twice."""
        self.set_font("Helvetica", style, size)
        width = width or self.w - self.l_margin - self.r_margin
        return (math.floor(self.get_string_width(_latin(text)) / width) + 1.5) * line

    def fitted(self, width: float, height: float, text: str, size: float, **cell) -> None:
        """A one-line cell, its text made smaller (to 6 pt) rather than cut off."""
        text = _latin(text)
        style = cell.pop("style", "")
        self.set_font("Helvetica", style, size)
        while size > 6 and self.get_string_width(text) > width - 2:
            size -= 0.5
            self.set_font("Helvetica", style, size)
        self.cell(width, height, text, **cell)


def card_pdf(card: ReportCard) -> bytes:
    """An A4 PDF of the card: the scorecard on page one, then the detail and the story."""
    title = f"Report card {card.period.label}, {card.scope.label}"
    pdf = _CardPDF(title, card.stamp["Audience"])
    pdf.set_title(title)
    _scorecard(pdf, card)
    _details(pdf, card)
    _story(pdf, card)
    return bytes(pdf.output())


def _context(card: ReportCard) -> str:
    return (
        f"{card.scope.label}. {card.period.start:%d %b %Y} to {card.period.end:%d %b %Y}. "
        f"Distance travelled on {card.instrument.name}. Compared with "
        f"{card.previous_period.label}."
    )


# --------------------------------------------------------------------------- page one


def _scorecard(pdf: _CardPDF, card: ReportCard) -> None:
    pdf.add_page()
    pdf.para(f"Report card: {card.period.label}", 16, 7.5, "B")
    pdf.para(_context(card), 9, 4.5)
    pdf.para(card.stamp["Audience"].capitalize() + ".", 9, 5, "B")
    pdf.ln(1.5)
    notes = [ARROWS_NOTE, SPARK_NOTE, card.legend, "; ".join(stamp_lines(card)) + "."]
    width = pdf.w - 2 * MARGIN
    notes_height = sum(pdf.height_of(width, note, 7.5, 3.4) for note in notes) + 3
    _table_header(pdf, card)
    rows = len(card.measures) + len(ORDER)
    room = pdf.h - MARGIN - FOOTER - pdf.get_y() - notes_height
    row = max(4.5, min(7.0, room / rows))
    canvas = PdfCanvas(pdf, _latin)
    for quadrant in ORDER:
        fill = BETTER_OFF_FILL if quadrant == "better_off" else QUESTION_FILL
        pdf.set_fill_color(*fill)
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.cell(0, row, _latin(QUADRANTS[quadrant]), fill=True, new_x="LMARGIN", new_y="NEXT")
        for result in card.quadrant(quadrant):
            _scorecard_row(pdf, canvas, result, row)
    pdf.ln(2)
    for note in notes:
        pdf.para(note, 7.5, 3.4, grey=True)


def _table_header(pdf: _CardPDF, card: ReportCard) -> None:
    heads = {
        "measure": "Measure",
        "now": f"This period\n{card.period.label}",
        "before": f"Previous\n{card.previous_period.label}",
        "target": "Target",
        "trend": "Trend",
        "spark": "Last 8 quarters",
    }
    pdf.set_fill_color(*HEADER_FILL)
    pdf.set_font("Helvetica", "B", 7.5)
    top = pdf.get_y()
    for key, text in heads.items():
        lines = _latin(text).count("\n") + 1
        pdf.multi_cell(
            COLUMNS[key],
            8 / lines,
            _latin(text),
            fill=True,
            align="L" if key == "measure" else "C",
            new_x="RIGHT",
            new_y="TOP",
        )
    pdf.set_xy(MARGIN, top + 8)


def _scorecard_row(pdf: _CardPDF, canvas: PdfCanvas, result: MeasureResult, row: float) -> None:
    top = pdf.get_y()
    unit = result.spec.unit
    pdf.set_x(MARGIN + 2)
    pdf.fitted(COLUMNS["measure"] - 2, row, result.spec.label, 8.5)
    pdf.fitted(COLUMNS["now"], row, headline(result), 9, style="B", align="C")
    pdf.fitted(COLUMNS["before"], row, shown(unit, result.previous), 8.5, align="C")
    pdf.fitted(COLUMNS["target"], row, target_text(result), 8.5, align="C")
    trend_x = pdf.get_x()
    if result.trend not in TREND_SHORT:  # nothing to compare
        pdf.fitted(COLUMNS["trend"], row, NO_VALUE, 8.5, align="C")
    else:
        colour = trend_colour(result)
        if direction(result):
            draw_arrow(canvas, (trend_x + 4, top + row / 2), direction(result), colour)
        canvas.text((trend_x + 7, top + row / 2 + 1.1), TREND_SHORT[result.trend], 8, colour)
    spark_x = MARGIN + sum(COLUMNS.values()) - COLUMNS["spark"]
    values = [value for _, value in result.history]
    axis = value_axis(result.spec, [*values, result.target])
    box = (spark_x + 2, top + 1, COLUMNS["spark"] - 4, row - 2)
    draw_sparkline(canvas, values, axis, box, result.target)
    pdf.set_draw_color(225, 225, 225)
    pdf.set_line_width(0.1)
    pdf.line(MARGIN, top + row, MARGIN + sum(COLUMNS.values()), top + row)
    pdf.set_xy(MARGIN, top + row)


# --------------------------------------------------------------------------- detail


def _details(pdf: _CardPDF, card: ReportCard) -> None:
    pdf.add_page()
    pdf.para("About this card", 13, 7, "B")
    pdf.para(
        f"{_context(card)} {card.legend} {card.yardstick.caption()} {NOISE_NOTE} {MEANS_NOTE}",
        8.5,
        4.2,
    )
    pdf.ln(1)
    for line in stamp_lines(card):
        pdf.para(line, 8, 4, "B")
    canvas = PdfCanvas(pdf, _latin)
    for quadrant in ORDER:
        if pdf.get_y() > pdf.h - 80:
            pdf.add_page()
        pdf.ln(3)
        fill = BETTER_OFF_FILL if quadrant == "better_off" else QUESTION_FILL
        pdf.set_fill_color(*fill)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, _latin(QUADRANTS[quadrant]), fill=True, new_x="LMARGIN", new_y="NEXT")
        for result in card.quadrant(quadrant):
            _measure(pdf, canvas, result, card)


def _measure(pdf: _CardPDF, canvas: PdfCanvas, result: MeasureResult, card: ReportCard) -> None:
    text_width = pdf.w - 2 * MARGIN - CHART_WIDTH - 4
    said = comparison(result, card)
    if result.target is not None:
        said += f". Target {target_text(result)}"
    # Each part: its text, font size, line height and style; after the third, in grey.
    parts = [
        (result.spec.label, 9.5, 4.5, "B"),
        (headline(result), 12, 6, "B"),
        (said + ".", 8, 3.8, ""),
        (result.spec.definition, 7.5, 3.5, ""),
        *([(result.current.note, 7.5, 3.5, "")] if result.current.note else []),
    ]
    note = chart_note(result)
    needed = max(sum(pdf.height_of(text_width, *part) for part in parts), CHART_HEIGHT)
    needed += pdf.height_of(0, note, 7, 3.3)
    if pdf.get_y() + needed + 4 > pdf.h - MARGIN - FOOTER:
        pdf.add_page()
    pdf.ln(1.5)
    top = pdf.get_y()
    for index, (text, size, line, style) in enumerate(parts):
        pdf.set_font("Helvetica", style, size)
        pdf.set_text_color(*((90, 90, 90) if index > 2 else (0, 0, 0)))
        pdf.multi_cell(text_width, line, _latin(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    text_end = pdf.get_y()
    box = (pdf.w - MARGIN - CHART_WIDTH, top, CHART_WIDTH, CHART_HEIGHT)
    draw_curve(canvas, curve(result, card), box)
    pdf.set_y(max(text_end, top + CHART_HEIGHT) + 1)
    pdf.para(note, 7, 3.3, grey=True)
    pdf.set_draw_color(225, 225, 225)
    pdf.set_line_width(0.1)
    pdf.line(MARGIN, pdf.get_y() + 1, pdf.w - MARGIN, pdf.get_y() + 1)
    pdf.ln(1.5)


def _story(pdf: _CardPDF, card: ReportCard) -> None:
    """The story's written sections; one line saying so when none was written."""
    told = story_told(card)
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(4)
    pdf.para("The story behind the curve", 13, 8, "B")
    if not told:
        pdf.para(NO_STORY, 9, 4.5, grey=True)
    for heading, text in told:
        pdf.para(heading, 10, 6, "B")
        pdf.para(text, 9, 4.5)
