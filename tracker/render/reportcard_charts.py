"""The "turn the curve" chart: a measure's quarterly history, its target, and where it is
heading if nothing changes."""

from __future__ import annotations

from datetime import timedelta

import plotly.graph_objects as go

from tracker.measures.periods import financial_quarter
from tracker.measures.reportcard import (
    FORECAST_QUARTERS,
    MIN_FORECAST_POINTS,
    MeasureResult,
    ReportCard,
)
from tracker.render.charts import PALETTE


def forecast_labels(card: ReportCard, count: int = FORECAST_QUARTERS) -> list[str]:
    labels, quarter = [], financial_quarter(card.period.end)
    for _ in range(count):
        quarter = financial_quarter(quarter.end + timedelta(days=1))
        labels.append(quarter.label)
    return labels


def turn_the_curve(result: MeasureResult, card: ReportCard) -> go.Figure:
    labels = [label for label, _ in result.history]
    values = [value for _, value in result.history]
    figure = go.Figure(
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
    if result.forecast is not None:
        last = max(i for i, value in enumerate(values) if value is not None)
        figure.add_trace(
            go.Scatter(
                x=[labels[last], *forecast_labels(card)],
                y=[values[last], *result.forecast],
                mode="lines",
                name="If nothing changes",
                line={"color": "#777", "dash": "dash"},
                hovertemplate="%{x}: %{y:.3g} (forecast)<extra></extra>",
            )
        )
    if result.target is not None:
        figure.add_hline(
            y=result.target,
            line={"color": PALETTE[2], "dash": "dot"},
            annotation_text="Target",
            annotation_position="top left",
        )
    figure.update_layout(
        title={"text": result.spec.label, "font": {"size": 13}},
        height=230,
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        showlegend=False,
        xaxis={"tickfont": {"size": 9}},
    )
    return figure


def forecast_note(result: MeasureResult) -> str:
    if result.forecast is not None:
        return "Dashed: where the line goes if nothing changes (least squares over the history)."
    known = sum(value is not None for _, value in result.history)
    return (
        f"No forecast: {known} quarter{'s' if known != 1 else ''} known, at least "
        f"{MIN_FORECAST_POINTS} needed."
    )
