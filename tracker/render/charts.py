"""Plotly figures, as pure functions from data to a figure.

Colours come from the Okabe-Ito palette, which colour-blind readers can tell
apart, and the baseline is also dashed, so the shapes differ in greyscale too.
On a need scale the radial axis is reversed, so that outward always means
better and a family never has to work out that a shrinking shape is good.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from tracker.instruments.loader import Instrument

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
BASELINE_COLOUR = "#555555"
DIFFERENCE_COLOUR = "#D55E00"
CROWDED_SPOKES = 12


@dataclass(frozen=True)
class StarTrace:
    name: str
    values: dict[str, float | None]
    family_view: bool = False


def radial_range(instrument: Instrument) -> list[float]:
    """Axis range with the best score at the rim: reversed on a need scale."""
    low, high = instrument.scale_min, instrument.scale_max
    return [low, high] if instrument.higher_is_better else [high, low]


def orientation_note(instrument: Instrument) -> str:
    best = instrument.bands[-1] if instrument.higher_is_better else instrument.bands[0]
    return f"Further out is better. The outer edge means “{best.label}”."


def orientation_annotation(instrument: Instrument) -> dict:
    """The orientation note, a fixed distance above the plot and below the title
    whatever the chart's height (a position in paper units moves as the height does)."""
    return {
        "text": orientation_note(instrument),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "xanchor": "left",
        "y": 1,
        "yanchor": "bottom",
        "yshift": 12,
        "showarrow": False,
        "font": {"size": 12},
    }


def _many_spokes(instrument: Instrument) -> bool:
    return len(instrument.domains) > CROWDED_SPOKES


def numbered_spokes(instrument: Instrument) -> bool:
    """Whether a family's star numbers its spokes instead of naming them.

    Past ``CROWDED_SPOKES`` neighbouring names sit so close that, on a tablet, they
    overlap however they are wrapped; numbers fit at any width, with ``spoke_key`` under
    the chart (as on the printed summary) and the full name on hover.
    """
    return _many_spokes(instrument)


def spoke_key(instrument: Instrument) -> str:
    """The key to numbered spokes: "1 Housing · 2 Income, employment and finance · …"."""
    return " · ".join(
        f"{number} {domain.label}" for number, domain in enumerate(instrument.domains, start=1)
    )


def star_axis(instrument: Instrument, *, numbered: bool = False) -> dict:
    """The star's spokes, clockwise from the top, with names wrapped onto short lines
    (or, ``numbered``, the spokes' numbers).

    Plotly never wraps a spoke's name, so a long one ("Support from family, friends
    and community") runs off a narrow chart; the data keep the full names.
    """
    labels = [domain.label for domain in instrument.domains]
    many = _many_spokes(instrument)  # neighbours sit close: fewer, longer lines
    if numbered:
        ticktext = [str(number) for number in range(1, len(labels) + 1)]
    else:
        ticktext = [
            "<br>".join(textwrap.wrap(label, 22 if many else 16, break_on_hyphens=False))
            for label in labels
        ]
    return {
        "direction": "clockwise",
        "rotation": 90,
        "tickvals": labels,
        "ticktext": ticktext,
        "tickfont": {"size": 12 if numbered else (10 if many else 11)},
    }


def star_size(instrument: Instrument, *, height: int, top: int, numbered: bool = False) -> dict:
    """Height and margins for a star. Names stack at a star's sides, and plotly keeps
    no room for them, so a star with many spokes gets wider side margins (or a narrow
    chart cuts names off) and more height (or stacked names meet). Numbered spokes
    need neither."""
    if numbered:
        return {"height": height, "margin": {"l": 40, "r": 40, "t": top, "b": 40}}
    many = _many_spokes(instrument)
    side = 115 if many else 90
    return {
        "height": height + 100 if many else height,
        "margin": {"l": side, "r": side, "t": top, "b": 40},
    }


def star_chart(
    traces: list[StarTrace],
    instrument: Instrument,
    *,
    title: str = "",
    highlight: dict[str, tuple[float, float]] | None = None,
) -> go.Figure:
    """The family's star: one closed shape per assessment, the baseline dashed.

    An area not scored is a gap in its shape's outline, never bridged by a line, and a
    shape with a gap is not filled: plotly would close each unbroken stretch with a
    straight edge across the star, a line that no score drew.
    """
    labels = [domain.label for domain in instrument.domains]
    numbered = numbered_spokes(instrument)
    keys = list(instrument.domain_keys)
    figure = go.Figure()
    colour_index = 0
    # The latest worker or joint shape is filled, even when the family's view is drawn after it.
    latest = max((i for i, t in enumerate(traces) if not t.family_view), default=None)
    for position, trace in enumerate(traces):
        values = [None if pd.isna(v := trace.values.get(key)) else v for key in keys]
        is_baseline = position == 0 and not trace.family_view
        if is_baseline:
            colour = BASELINE_COLOUR
        else:
            colour = PALETTE[colour_index % len(PALETTE)]
            colour_index += 1
        figure.add_trace(
            go.Scatterpolar(
                r=[*values, values[0]],
                theta=[*labels, labels[0]],
                name=trace.name,
                mode="lines+markers",
                connectgaps=False,
                line={
                    "color": colour,
                    "width": 3 if position == latest else 2,
                    "dash": "dash" if is_baseline else ("dot" if trace.family_view else "solid"),
                },
                marker={"size": 6, "symbol": "diamond" if trace.family_view else "circle"},
                fill="toself" if position == latest and None not in values else None,
                opacity=0.9,
                hovertemplate="%{theta}: %{r}<extra>" + trace.name + "</extra>",
            )
        )
    if highlight:
        marked = [domain.label for domain in instrument.domains if domain.key in highlight]
        figure.add_trace(
            go.Scatterpolar(
                r=[radial_range(instrument)[1]] * len(marked),
                theta=marked,
                name="Views differ by 2 or more",
                mode="markers",
                marker={"size": 16, "symbol": "star", "color": DIFFERENCE_COLOUR},
                hovertemplate="%{theta}: the family and the worker see this differently"
                "<extra></extra>",
            )
        )
    figure.update_layout(
        title={"text": title or instrument.name},
        polar={
            "radialaxis": {
                "range": radial_range(instrument),
                "dtick": instrument.step if instrument.scale_span <= 5 else 1,
                "tickfont": {"size": 10},
            },
            "angularaxis": star_axis(instrument, numbered=numbered),
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.08},
        **star_size(instrument, height=600, top=70, numbered=numbered),
        annotations=[orientation_annotation(instrument)],
    )
    return figure


def overall_line(points: pd.DataFrame, instrument: Instrument) -> go.Figure:
    """Overall score at each assessment; the axis is flipped on a need scale so up is better."""
    figure = go.Figure(
        go.Scatter(
            x=points["assessed_on"],
            y=points["overall"],
            mode="lines+markers+text",
            text=points["label"],
            textposition="top center",
            line={"color": PALETTE[0], "width": 3},
            hovertemplate="%{text}, %{x|%d %b %Y}: %{y:.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": "Overall score over time (higher on the chart is better)"},
        yaxis={
            "range": [v + d for v, d in zip(radial_range(instrument), (-0.2, 0.2), strict=True)]
            if instrument.higher_is_better
            else [instrument.scale_max + 0.2, instrument.scale_min - 0.2],
            "title": "Mean of scored areas",
        },
        xaxis={"title": "", "tickformat": "%d %b %Y", "nticks": 5},
        margin={"l": 60, "r": 30, "t": 60, "b": 40},
        height=320,
    )
    return figure
