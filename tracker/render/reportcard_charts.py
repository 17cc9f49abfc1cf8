"""The "turn the curve" chart: a measure's quarterly history, its target, and where it is
heading if nothing changes, with how sure that is.

The y-axis starts at zero for counts, percentages and every other measure that cannot go
below it, so a small move does not look like a large one; a measure with a narrower
range (a 1-5 rating) shows that whole range, and ``axis_note`` says so.
"""

from __future__ import annotations

import plotly.graph_objects as go

from tracker.measures.reportcard import (
    FORECAST_INTERVAL,
    MIN_FORECAST_POINTS,
    MeasureResult,
    ReportCard,
)
from tracker.render.charts import PALETTE

BAND_COLOUR = "rgba(119, 119, 119, 0.18)"


def _y_axis(result: MeasureResult, values: list[float]) -> dict:
    lowest, highest = result.spec.bounds
    if lowest is None:
        # A change score runs either side of zero, "no change": keep zero in view.
        return {"rangemode": "tozero"}
    if lowest == 0:
        return {"rangemode": "tozero"} if highest is None else {"range": [0, highest]}
    top = max([*values, highest or lowest])
    return {"range": [lowest, top]}


def axis_note(result: MeasureResult) -> str:
    """Why the y-axis does not start at zero, when it does not."""
    lowest = result.spec.bounds[0]
    if lowest is None or lowest == 0:
        return ""
    return f"The axis runs from {lowest:g}, the lowest value this measure can take."


def turn_the_curve(result: MeasureResult, card: ReportCard) -> go.Figure:
    labels = [label for label, _ in result.history]
    values = [value for _, value in result.history]
    figure = go.Figure()
    shown = [value for value in values if value is not None]
    projection = result.forecast
    if projection is not None:
        ahead = list(card.forecast_quarters)
        last = max(i for i, value in enumerate(values) if value is not None)
        figure.add_trace(
            go.Scatter(
                x=[labels[last], *ahead, *reversed(ahead), labels[last]],
                y=[values[last], *projection.high, *reversed(projection.low), values[last]],
                fill="toself",
                fillcolor=BAND_COLOUR,
                line={"width": 0},
                name=f"{FORECAST_INTERVAL:.0%} prediction interval",
                hoverinfo="skip",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[labels[last], *ahead],
                y=[values[last], *projection.values],
                mode="lines",
                name="If nothing changes",
                line={"color": "#555", "dash": "dash"},
                hovertemplate="%{x}: %{y:.3g} (forecast)<extra></extra>",
            )
        )
        shown += projection.high
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=values,
            mode="lines+markers",
            name="History",
            line={"color": PALETTE[0], "width": 2.5},
            connectgaps=False,
            hovertemplate="%{x}: %{y:.3g}<extra></extra>",
        )
    )
    if result.target is not None:
        figure.add_hline(
            y=result.target,
            line={"color": PALETTE[2], "dash": "dot"},
            annotation_text="Target",
            annotation_position="top left",
        )
        shown.append(result.target)
    figure.update_layout(
        title={"text": result.spec.label, "font": {"size": 13}},
        height=230,
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        showlegend=False,
        xaxis={"tickfont": {"size": 9}},
        yaxis=_y_axis(result, shown),
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
