"""The report card's charts drawn as vector shapes, for the PDF and the HTML alike.

One drawing (``draw_curve``, ``draw_sparkline``, ``draw_arrow``) goes onto either
canvas: ``PdfCanvas`` draws into an fpdf2 page, ``SvgCanvas`` writes inline SVG. Both
measure in millimetres from the top left and take font sizes in points, so a chart looks
the same on paper and on screen. Drawing needs no browser: a PDF of the whole card takes
a fraction of a second, where rendering each chart in Chromium took seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Protocol

from fpdf import FPDF

from tracker.render.reportcard_charts import (
    FORECAST_COLOUR,
    LINE_COLOUR,
    TARGET_COLOUR,
    Axis,
    Curve,
)

Point = tuple[float, float]
GRID_COLOUR = "#DDDDDD"
BAND_FILL = "#E4E4E4"
TEXT_COLOUR = "#333333"
PT_TO_MM = 25.4 / 72
CHART_WIDTH, CHART_HEIGHT = 112, 40  # a turn-the-curve chart, in mm
LEFT = 13.0  # room for the value axis's labels, in mm
BOTTOM = 6.5  # room for the quarters under the chart
NOTHING_TO_DRAW = "No quarter has a value to draw: the note below says why."


class Canvas(Protocol):
    def line(self, points: list[Point], colour: str, width: float, dash: bool = False) -> None: ...
    def polygon(self, points: list[Point], fill: str) -> None: ...
    def dot(self, centre: Point, radius: float, colour: str, title: str = "") -> None: ...
    def text(
        self, at: Point, words: str, size: float, colour: str = TEXT_COLOUR, anchor: str = "start"
    ) -> None: ...


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


class PdfCanvas:
    """Draws onto the current page of an fpdf2 document (mm, Helvetica)."""

    def __init__(self, pdf: FPDF, latin):
        self.pdf = pdf
        self.latin = latin  # the document's own rule for characters its font lacks

    def line(self, points: list[Point], colour: str, width: float, dash: bool = False) -> None:
        self.pdf.set_draw_color(*_rgb(colour))
        self.pdf.set_line_width(width)
        self.pdf.set_dash_pattern(dash=1.2, gap=0.8) if dash else self.pdf.set_dash_pattern()
        self.pdf.polyline(points)
        self.pdf.set_dash_pattern()

    def polygon(self, points: list[Point], fill: str) -> None:
        self.pdf.set_fill_color(*_rgb(fill))
        self.pdf.polygon(points, style="F")

    def dot(self, centre: Point, radius: float, colour: str, title: str = "") -> None:
        self.pdf.set_fill_color(*_rgb(colour))
        self.pdf.circle(centre[0], centre[1], radius, style="F")

    def text(
        self, at: Point, words: str, size: float, colour: str = TEXT_COLOUR, anchor: str = "start"
    ) -> None:
        words = self.latin(words)
        self.pdf.set_font("Helvetica", size=size)
        self.pdf.set_text_color(*_rgb(colour))
        shift = {"start": 0, "middle": 0.5, "end": 1}[anchor] * self.pdf.get_string_width(words)
        self.pdf.text(at[0] - shift, at[1], words)
        self.pdf.set_text_color(0, 0, 0)


class SvgCanvas:
    """Collects shapes as SVG elements; ``svg`` wraps them for inline use in HTML."""

    def __init__(self):
        self.parts: list[str] = []

    @staticmethod
    def _points(points: Iterable[Point]) -> str:
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in points)

    def line(self, points: list[Point], colour: str, width: float, dash: bool = False) -> None:
        pattern = ' stroke-dasharray="1.2 0.8"' if dash else ""
        self.parts.append(
            f'<polyline points="{self._points(points)}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{pattern}/>'
        )

    def polygon(self, points: list[Point], fill: str) -> None:
        self.parts.append(f'<polygon points="{self._points(points)}" fill="{fill}"/>')

    def dot(self, centre: Point, radius: float, colour: str, title: str = "") -> None:
        hover = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(
            f'<circle cx="{centre[0]:.2f}" cy="{centre[1]:.2f}" r="{radius}" '
            f'fill="{colour}">{hover}</circle>'
        )

    def text(
        self, at: Point, words: str, size: float, colour: str = TEXT_COLOUR, anchor: str = "start"
    ) -> None:
        self.parts.append(
            f'<text x="{at[0]:.2f}" y="{at[1]:.2f}" font-size="{size * PT_TO_MM:.2f}" '
            f'fill="{colour}" text-anchor="{anchor}">{escape(words)}</text>'
        )

    def svg(self, width: float, height: float, css_class: str, label: str = "") -> str:
        """The drawing as an ``<svg>`` element: an image named ``label``, or hidden from
        screen readers when the words beside it say the same."""
        named = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
            f'viewBox="0 0 {width:g} {height:g}" {named}>' + "".join(self.parts) + "</svg>"
        )


def _segments(points: list[Point | None]) -> list[list[Point]]:
    """Runs of consecutive points: a quarter with no value is a gap, never bridged."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _place(axis: Axis, box: tuple[float, float, float, float], slots: int):
    """A function from (position, value) to a point in ``box`` (x, y, width, height)."""
    left, top, width, height = box
    gap = width / max(slots, 1)

    def at(index: float, value: float) -> Point:
        return left + gap * (index + 0.5), top + height * (1 - axis.share(value))

    return at


def _quarter_label(label: str) -> tuple[str, str]:
    """ "2026-27 Q2" as ("Q2", "2026-27"): short enough for twelve quarters in a row."""
    year, _, quarter = label.rpartition(" ")
    return (quarter, year) if year else (label, "")


def draw_curve(canvas: Canvas, drawn: Curve, box: tuple[float, float, float, float]) -> None:
    """The turn-the-curve chart in ``box`` (x, y, width, height in mm), axes included."""
    x, y, width, height = box
    plot = (x + LEFT, y + 1.5, width - LEFT - 1, height - BOTTOM - 1.5)
    left, top, plot_width, plot_height = plot
    at = _place(drawn.axis, plot, len(drawn.labels))
    if all(value is None for value in drawn.history) and drawn.target is None:
        canvas.line(
            [(left, top + plot_height), (left + plot_width, top + plot_height)], GRID_COLOUR, 0.2
        )
        middle = (left + plot_width / 2, top + plot_height / 2)
        canvas.text(middle, NOTHING_TO_DRAW, 7, "#777777", anchor="middle")
        return
    for tick in drawn.axis.ticks:
        level = at(0, tick)[1]
        canvas.line([(left, level), (left + plot_width, level)], GRID_COLOUR, 0.15)
        canvas.text((left - 1, level + 0.9), drawn.axis.label(tick), 6, anchor="end")
    for index, label in enumerate(drawn.labels):
        quarter, year = _quarter_label(label)
        centre = at(index, drawn.axis.low)[0]
        canvas.text((centre, top + plot_height + 2.6), quarter, 5.5, anchor="middle")
        if year and (index == 0 or quarter == "Q1"):
            canvas.text((centre, top + plot_height + 5.2), year, 5, "#777777", anchor="middle")
    if drawn.band:
        canvas.polygon([at(index, value) for index, value in drawn.band], BAND_FILL)
        canvas.line(
            [at(index, value) for index, value in drawn.forecast], FORECAST_COLOUR, 0.35, True
        )
    if drawn.target is not None:
        level = at(0, drawn.target)[1]
        canvas.line([(left, level), (left + plot_width, level)], TARGET_COLOUR, 0.35, True)
        canvas.text((left + 0.8, level - 0.8), "Target", 5.5, TARGET_COLOUR)
    points = [
        None if value is None else at(index, value) for index, value in enumerate(drawn.history)
    ]
    for run in _segments(points):
        if len(run) > 1:
            canvas.line(run, LINE_COLOUR, 0.6)
    for index, point in enumerate(points):
        if point is not None:
            title = f"{drawn.labels[index]}: {drawn.axis.label(drawn.history[index])}"
            canvas.dot(point, 0.7, LINE_COLOUR, title)


def draw_sparkline(
    canvas: Canvas,
    values: list[float | None],
    axis: Axis,
    box: tuple[float, float, float, float],
    target: float | None = None,
) -> None:
    """A tiny line of the history on the chart's own axis, its latest value marked and its
    target, if it has one, dotted across."""
    left, top, width, height = box
    at = _place(axis, box, len(values))
    canvas.line([(left, top + height), (left + width, top + height)], GRID_COLOUR, 0.2)
    if target is not None:
        level = at(0, target)[1]
        canvas.line([(left, level), (left + width, level)], TARGET_COLOUR, 0.25, True)
    points = [None if value is None else at(index, value) for index, value in enumerate(values)]
    for run in _segments(points):
        if len(run) > 1:
            canvas.line(run, LINE_COLOUR, 0.4)
    known = [point for point in points if point is not None]
    if known:
        canvas.dot(known[-1], 0.6, LINE_COLOUR)


def draw_arrow(canvas: Canvas, centre: Point, way: int, colour: str, size: float = 2.6) -> None:
    """A solid arrowhead, up (+1) or down (−1)."""
    x, y = centre
    half = size / 2
    canvas.polygon(
        [(x - half, y + way * half), (x + half, y + way * half), (x, y - way * half)], colour
    )
