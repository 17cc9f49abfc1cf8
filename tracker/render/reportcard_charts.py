"""The "turn the curve" chart: a measure's quarterly history, its target, and where it is
heading if nothing changes, with how sure that is.

``curve`` works out what to draw once: the points, the forecast and its band, the target
and the value axis. The page draws it with plotly (``turn_the_curve``); the PDF and the
HTML draw the very same curve as vector shapes (``reportcard_drawing``), so every copy of
a chart has the same axis and ticks.

The y-axis starts at zero for counts, percentages and every other measure that cannot go
below it, so a small move does not look like a large one; a measure with a narrower
range (a 1-5 rating) shows that whole range, and ``axis_note`` says so. Ticks fall on
round steps (1, 2, 2.5 or 5 times a power of ten), whole for what is counted in whole
units: a cost axis reads £0, £2,000, £4,000, never £9,000.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go

from tracker.measures.reportcard import (
    FORECAST_INTERVAL,
    MIN_FORECAST_POINTS,
    MeasureResult,
    ReportCard,
)
from tracker.measures.reportcard.registry import MeasureSpec
from tracker.render.charts import PALETTE

BAND_COLOUR = "rgba(119, 119, 119, 0.18)"
LINE_COLOUR = PALETTE[0]
TARGET_COLOUR = PALETTE[2]
FORECAST_COLOUR = "#555555"
MOST_TICKS = 5
STEPS = (1, 2, 2.5, 5, 10)
# Units counted in whole things: their ticks are whole numbers.
WHOLE_UNITS = ("count", "days")
# Units whose ticks are whole once they step by 1 or more (£2,500, never £2,250.5).
UNITS_IN_WHOLES = (*WHOLE_UNITS, "money", "hours")


@dataclass(frozen=True)
class Axis:
    """A value axis: its range and the round values it is ticked at."""

    low: float
    high: float
    ticks: tuple[float, ...]  # two at least
    unit: str

    def share(self, value: float) -> float:
        """Where ``value`` sits between the bottom (0) and the top (1)."""
        return (value - self.low) / (self.high - self.low)

    def label(self, value: float) -> str:
        step = self.ticks[1] - self.ticks[0]
        places = len(f"{step:g}".partition(".")[2])
        if self.unit == "pct":
            return f"{value:.{places}f}%"
        if self.unit == "money":
            return f"£{value:,.{0 if places == 0 else 2}f}"
        return f"{value:,.{places}f}"


def nice_step(span: float, unit: str) -> float:
    """The smallest round step that ticks ``span`` in at most ``MOST_TICKS`` ticks."""
    rough = max(span, 1e-9) / (MOST_TICKS - 1)
    power = 10 ** math.floor(math.log10(rough))
    step = next(base * power for base in STEPS if base * power >= rough * (1 - 1e-9))
    if unit in WHOLE_UNITS and step < 1:
        return 1.0
    if unit in UNITS_IN_WHOLES and step > 1 and step != int(step):  # 2.5: go to 5
        return 2 * step
    return step


def value_axis(spec: MeasureSpec, values: list[float | None]) -> Axis:
    """The axis for a measure showing ``values`` (history, forecast band and target)."""
    values = [value for value in values if value is not None]
    lowest, highest = spec.bounds
    if lowest is None:
        # A change score runs either side of zero, "no change": keep zero in view.
        low, high = min([0.0, *values]), max([0.0, *values])
    elif lowest == 0:
        low, high = 0.0, highest if highest is not None else max([0.0, *values])
    else:
        low, high = lowest, max([*values, highest or lowest])
    if high <= low:  # nothing to show, or nothing but the bottom value
        high = low + 1
    step = nice_step(high - low, spec.unit)
    bottom = math.floor(low / step + 1e-9) * step
    top = math.ceil(high / step - 1e-9) * step
    if top <= bottom:
        top = bottom + step
    count = round((top - bottom) / step)
    ticks = tuple(round(bottom + index * step, 10) for index in range(count + 1))
    return Axis(bottom, top, ticks, spec.unit)


@dataclass(frozen=True)
class Curve:
    """What a turn-the-curve chart shows, by position along the quarters."""

    title: str
    labels: tuple[str, ...]  # the history's quarters, then the forecast's
    history: tuple[float | None, ...]
    forecast: tuple[tuple[int, float], ...]  # from the last known quarter onwards
    band: tuple[tuple[int, float], ...]  # the prediction interval, as a closed outline
    target: float | None
    axis: Axis


def curve(result: MeasureResult, card: ReportCard) -> Curve:
    values = tuple(value for _, value in result.history)
    labels = tuple(label for label, _ in result.history)
    forecast, band, extra = (), (), []
    projection = result.forecast
    if projection is not None:
        labels += card.forecast_quarters
        last = max(i for i, value in enumerate(values) if value is not None)
        ahead = range(len(values), len(values) + len(projection.values))
        forecast = ((last, values[last]), *zip(ahead, projection.values, strict=True))
        band = (
            (last, values[last]),
            *zip(ahead, projection.high, strict=True),
            *reversed(list(zip(ahead, projection.low, strict=True))),
            (last, values[last]),
        )
        extra = [*projection.high, *projection.low]
    axis = value_axis(result.spec, [*values, *extra, result.target])
    return Curve(result.spec.label, labels, values, forecast, band, result.target, axis)


def axis_note(result: MeasureResult) -> str:
    """Why the y-axis does not start at zero, when it does not."""
    lowest = result.spec.bounds[0]
    if lowest is None or lowest == 0:
        return ""
    return f"The axis runs from {lowest:g}, the lowest value this measure can take."


def turn_the_curve(result: MeasureResult, card: ReportCard) -> go.Figure:
    """The curve as an interactive plotly chart, for the page."""
    drawn = curve(result, card)
    figure = go.Figure()
    if drawn.forecast:
        figure.add_trace(
            go.Scatter(
                x=[drawn.labels[index] for index, _ in drawn.band],
                y=[value for _, value in drawn.band],
                fill="toself",
                fillcolor=BAND_COLOUR,
                line={"width": 0},
                name=f"{FORECAST_INTERVAL:.0%} prediction interval",
                hoverinfo="skip",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[drawn.labels[index] for index, _ in drawn.forecast],
                y=[value for _, value in drawn.forecast],
                mode="lines",
                name="If nothing changes",
                line={"color": FORECAST_COLOUR, "dash": "dash"},
                hovertemplate="%{x}: %{y:.3g} (forecast)<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=list(drawn.labels[: len(drawn.history)]),
            y=list(drawn.history),
            mode="lines+markers",
            name="History",
            line={"color": LINE_COLOUR, "width": 2.5},
            connectgaps=False,
            hovertemplate="%{x}: %{y:.3g}<extra></extra>",
        )
    )
    if drawn.target is not None:
        figure.add_hline(
            y=drawn.target,
            line={"color": TARGET_COLOUR, "dash": "dot"},
            annotation_text="Target",
            annotation_position="top left",
        )
    axis = drawn.axis
    figure.update_layout(
        title={"text": drawn.title, "font": {"size": 13}},
        height=230,
        margin={"l": 50, "r": 10, "t": 40, "b": 30},
        showlegend=False,
        xaxis={"tickfont": {"size": 9}},
        yaxis={
            "range": [axis.low, axis.high],
            "tickvals": list(axis.ticks),
            "ticktext": [axis.label(tick) for tick in axis.ticks],
        },
    )
    return figure


def _quarters(labels: tuple[str, ...]) -> str:
    return ", ".join(labels)


def forecast_note(result: MeasureResult) -> str:
    """What the forecast rests on: how many quarters, and which were hidden or missing."""
    known = result.known
    gaps = []
    if result.suppressed:
        gaps.append(f"hidden (*) to protect families: {_quarters(result.suppressed)}")
    if result.missing:
        gaps.append(f"no value: {_quarters(result.missing)}")
    left_out = f" Left out: {'; '.join(gaps)}." if gaps else ""
    quarters = f"{known} quarter{'s' if known != 1 else ''}"
    if result.forecast is not None:
        return (
            f"Dashed: where the line goes if nothing changes, a least-squares line through "
            f"{quarters}; shaded: its {FORECAST_INTERVAL:.0%} prediction interval."
            f"{left_out}"
        )
    return f"No forecast: {quarters} known, at least {MIN_FORECAST_POINTS} needed.{left_out}"


def chart_note(result: MeasureResult) -> str:
    """Everything a reader needs under the chart: the forecast's basis and the axis."""
    return " ".join(filter(None, (forecast_note(result), axis_note(result))))
