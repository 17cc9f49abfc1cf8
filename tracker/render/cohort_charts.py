"""Figures for the cohort dashboard, as pure functions from suppressed data to plotly.

They take the outputs of ``tracker.measures.cohort`` (already suppressed) and draw
them; a suppressed value is drawn as a gap and labelled ``*``, never guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.statistics import SIGNIFICANCE
from tracker.measures.disclosure import P_BANDS
from tracker.measures.reliable_change import (
    NO_RELIABLE_CHANGE,
    RELIABLE_CHANGE_Z,
    RELIABLY_BETTER,
    RELIABLY_WORSE,
)
from tracker.render.charts import (
    BASELINE_COLOUR,
    PALETTE,
    orientation_annotation,
    radial_range,
    star_axis,
    star_size,
)

WORSE_COLOUR = "#D55E00"
SAME_COLOUR = "#BBBBBB"
BETTER_COLOUR = "#0072B2"
SIGNIFICANT = "◆"
SUPPRESSED = "*"
# A published p-value is a band; these bands are below SIGNIFICANCE.
SIGNIFICANT_BANDS = {band for limit, band in P_BANDS if limit <= SIGNIFICANCE}


def _number(value) -> float | None:
    """A figure to draw: None (a gap) where it is hidden (``*``) or there is none."""
    if value is None or value == SUPPRESSED or pd.isna(value):
        return None
    return float(value)


def _plain(values) -> list[float | None]:
    """Plain numbers with None for suppressed values, so a figure's JSON says null."""
    return [_number(value) for value in values]


def _numbers(values: pd.Series) -> pd.Series:
    return pd.Series(_plain(values), index=values.index, dtype=float)


def _hidden(n) -> bool:
    return n is None or n == SUPPRESSED


def nothing_to_draw(counts) -> bool:
    """Every count hidden (or none at all): the chart would be empty, so say so instead."""
    return all(_number(count) is None for count in counts)


def _title(text: str, subtitle: str) -> dict:
    """A short title over a subtitle: one long line would be cut short on a tablet."""
    return {"text": text, "subtitle": {"text": subtitle}}


def _labels(instrument: Instrument) -> dict[str, str]:
    return {domain.key: domain.label for domain in instrument.domains}


def cohort_star(domains: list[dict], instrument: Instrument) -> go.Figure:
    """Mean baseline against mean latest per domain, outward always better."""
    labels = [domain.label for domain in instrument.domains]
    by_key = {row["domain"]: row for row in domains}
    figure = go.Figure()
    for name, column, colour, dash, fill in (
        ("Mean at baseline", "mean_baseline", BASELINE_COLOUR, "dash", None),
        ("Mean at latest review", "mean_latest", PALETTE[0], "solid", "toself"),
    ):
        values = [_number(by_key.get(key, {}).get(column)) for key in instrument.domain_keys]
        figure.add_trace(
            go.Scatterpolar(
                r=[*values, values[0]],
                theta=[*labels, labels[0]],
                name=name,
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 2.5},
                fill=fill,
                connectgaps=False,
                hovertemplate="%{theta}: %{r:.2~f}<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        # No subtitle: the orientation note sits under the title.
        title={"text": "Cohort star: average at baseline and latest review"},
        polar={
            "radialaxis": {"range": radial_range(instrument)},
            "angularaxis": star_axis(instrument),
        },
        legend={"orientation": "h", "y": -0.08},
        **star_size(instrument, height=560, top=80),
        annotations=[orientation_annotation(instrument)],
    )
    return figure


def significant(row: dict) -> bool:
    """The ◆ rule: the sign test holds after Holm's adjustment across the areas shown
    (a published p-value is a band, "< 0.05" or finer)."""
    p = row["p_holm"]
    if isinstance(p, str):
        return p in SIGNIFICANT_BANDS
    return p is not None and p < SIGNIFICANCE


def significance_legend(domains: list[dict]) -> str:
    """What ◆ means, with how many areas were tested, for under the change-by-area chart."""
    tested = sum(row["p_holm"] not in (None, SUPPRESSED) for row in domains)
    return (
        f"{SIGNIFICANT} more families improved than got worse in this area, more than "
        f"chance would give (two-sided sign test, ties left out, p < {SIGNIFICANCE:g} "
        f"after allowing for testing {tested} areas by Holm's method)."
    )


def change_by_domain(domains: list[dict], instrument: Instrument) -> go.Figure:
    """Diverging bars of % worse, same and improved per domain, most improved at the top."""
    labels = _labels(instrument)
    shown = [row for row in domains if not _hidden(row["n"])]
    hidden = [row for row in domains if _hidden(row["n"])]
    shown.sort(key=lambda row: _number(row["pct_improved"]) or 0)
    names = [
        f"{labels[row['domain']]} (n={row['n']})" + (f" {SIGNIFICANT}" if significant(row) else "")
        for row in shown
    ]
    names = [f"{labels[row['domain']]} {SUPPRESSED}" for row in hidden] + names
    rows = hidden + shown
    worse = [_number(row["pct_worse"]) for row in rows]
    same = [_number(row["pct_same"]) for row in rows]
    improved = [_number(row["pct_improved"]) for row in rows]
    half_same = [None if value is None else value / 2 for value in same]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            y=names,
            x=[None if w is None else -w for w in worse],
            base=[None if h is None else -h for h in half_same],
            orientation="h",
            name="Worse",
            marker_color=WORSE_COLOUR,
            hovertemplate="%{y}: %{customdata:.0f}% worse<extra></extra>",
            customdata=worse,
        )
    )
    figure.add_trace(
        go.Bar(
            y=names,
            x=same,
            base=[None if h is None else -h for h in half_same],
            orientation="h",
            name="Same",
            marker_color=SAME_COLOUR,
            hovertemplate="%{y}: %{x:.0f}% the same<extra></extra>",
        )
    )
    figure.add_trace(
        go.Bar(
            y=names,
            x=improved,
            base=half_same,
            orientation="h",
            name="Improved",
            marker_color=BETTER_COLOUR,
            hovertemplate="%{y}: %{x:.0f}% improved<extra></extra>",
        )
    )
    figure.update_layout(
        barmode="overlay",
        title=_title("Change by area", "Share of families worse, the same and improved"),
        xaxis={
            "title": "← worse · % of families · improved →",
            "range": [-100, 100],
            "zeroline": True,
        },
        height=max(360, 28 * len(rows) + 140),
        legend={"orientation": "h", "y": -0.12},
        margin={"l": 10, "r": 20, "t": 80, "b": 60},
    )
    return figure


def transition_heatmap(cells: pd.DataFrame, instrument: Instrument, domain: str) -> go.Figure:
    """Families moving between bands from baseline (rows) to latest (columns)."""
    order = [band.label for band in instrument.bands]
    grid = cells.pivot(index="baseline_band", columns="latest_band", values="families").reindex(
        index=order, columns=order
    )
    values = grid.to_numpy(dtype=object)
    text = [
        [SUPPRESSED if _number(value) is None else str(int(value)) for value in row]
        for row in values
    ]
    z = [[np.nan if _number(value) is None else float(value) for value in row] for row in values]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=order,
            y=order,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate="From %{y} to %{x}: %{text} families<extra></extra>",
            showscale=False,
        )
    )
    figure.update_layout(
        title=_title(f"Movement: {_labels(instrument)[domain]}", "Families moving between bands"),
        xaxis={"title": "Band at the latest review", "side": "bottom"},
        yaxis={"title": "Band at baseline", "autorange": "reversed"},
        height=420,
        margin={"l": 10, "r": 10, "t": 80, "b": 60},
    )
    return figure


def breakdown_chart(groups: pd.DataFrame, dimension_label: str) -> go.Figure:
    """Mean distance travelled with its 95% interval, and % reliably improved, per group."""
    labels = [
        f"{row.group} (n={int(row.n)})" if not row.suppressed else f"{row.group} {SUPPRESSED}"
        for row in groups.itertuples(index=False)
    ]
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("Mean change (95% interval)", "% reliably improved"),
    )
    mean = _numbers(groups["mean_change"])
    figure.add_trace(
        go.Bar(
            y=labels,
            x=_plain(mean),
            orientation="h",
            marker_color=BETTER_COLOUR,
            name="Mean change",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": _plain(_numbers(groups["ci_high"]) - mean),
                "arrayminus": _plain(mean - _numbers(groups["ci_low"])),
            },
            hovertemplate="%{y}: %{x:.2~f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            y=labels,
            x=_plain(groups["pct_reliable_improvement"]),
            orientation="h",
            marker_color=PALETTE[2],
            name="% reliably improved",
            hovertemplate="%{y}: %{x:.0f}%<extra></extra>",
        ),
        row=1,
        col=2,
    )
    figure.update_layout(
        title={"text": f"By {dimension_label.lower()}"},
        showlegend=False,
        height=max(300, 40 * len(labels) + 140),
        margin={"l": 10, "r": 20, "t": 80, "b": 40},
    )
    # Groups read top down in their order (age groups youngest first).
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(range=[0, 100], row=1, col=2)
    return figure


def _point_labels(rows: pd.DataFrame) -> list[str]:
    return [SUPPRESSED if _number(n) is None else f"n={int(n)}" for n in rows["n"]]


def over_time_chart(
    points: pd.DataFrame, instrument: Instrument, *, scores: bool = False
) -> go.Figure:
    """Mean change from baseline by months since baseline, one line per group, n at each
    point; with ``scores``, the same families' mean scores at baseline and at that month."""
    figure = go.Figure()
    # Groups come in reading order (age groups youngest first): keep it in the legend.
    for index, (group, rows) in enumerate(points.groupby("group", sort=False)):
        rows = rows.sort_values("month")
        colour = PALETTE[index % len(PALETTE)]
        lines = (
            [
                ("mean_at_month", f"{group}: at that month", "solid"),
                ("mean_baseline", f"{group}: same families at baseline", "dash"),
            ]
            if scores
            else [("mean_change", str(group), "solid")]
        )
        for column, name, dash in lines:
            figure.add_trace(
                go.Scatter(
                    x=rows["month"],
                    y=_plain(rows[column]),
                    name=name,
                    mode="lines+markers+text" if dash == "solid" else "lines+markers",
                    connectgaps=False,
                    text=_point_labels(rows),
                    textposition="top center",
                    line={"color": colour, "dash": dash},
                    hovertemplate="Month %{x}: %{y:.2~f} (%{text})<extra>" + name + "</extra>",
                )
            )
    if scores:
        low, high = instrument.scale_min, instrument.scale_max
        title = _title("The same families' scores", "Average at baseline and at each month")
        yaxis = {
            "title": "Mean overall score",
            "range": [low, high] if instrument.higher_is_better else [high, low],
        }
    else:
        title = _title("Change from baseline, month by month", "Average change; + is better")
        yaxis = {"title": "Mean change from baseline (+ is better)", "zeroline": True}
    figure.update_layout(
        title=title,
        xaxis={"title": "Months since baseline", "dtick": 1},
        yaxis=yaxis,
        height=420,
        legend={"orientation": "h", "y": -0.18},
        margin={"l": 10, "r": 10, "t": 80, "b": 60},
    )
    return figure


def reliable_change_scatter(
    points: pd.DataFrame, s_diff: float | None, instrument: Instrument
) -> go.Figure:
    """Baseline against latest overall, one anonymous dot per family.

    The diagonal is no change; the shaded band is change too small to be
    reliable (±1.96 × S_diff). On a need scale both axes run high to low, so
    above the line is better on either kind of scale.
    """
    low, high = instrument.scale_min, instrument.scale_max
    figure = go.Figure()
    if s_diff:
        width = RELIABLE_CHANGE_Z * s_diff
        xs = [low, high, high, low]
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=[low + width, high + width, high - width, low - width],
                # Lines only: the default markers would put dots at the band's corners.
                mode="lines",
                fill="toself",
                fillcolor="rgba(150,150,150,0.2)",
                line={"width": 0},
                hoverinfo="skip",
                name="Change too small to be reliable",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            line={"color": "#555", "dash": "dash"},
            name="No change",
            hoverinfo="skip",
        )
    )
    colours = {
        RELIABLY_BETTER: BETTER_COLOUR,
        NO_RELIABLE_CHANGE: "#777777",
        RELIABLY_WORSE: WORSE_COLOUR,
    }
    symbols = {RELIABLY_BETTER: "circle", NO_RELIABLE_CHANGE: "diamond", RELIABLY_WORSE: "x"}
    for label, colour in colours.items():
        chosen = points[points["classification"] == label]
        figure.add_trace(
            go.Scatter(
                x=chosen["baseline"],
                y=chosen["latest"],
                mode="markers",
                name=label,
                marker={"color": colour, "symbol": symbols[label], "size": 8, "opacity": 0.8},
                hovertemplate="Baseline %{x:.2~f} → latest %{y:.2~f}<extra>" + label + "</extra>",
            )
        )
    axis_range = [low, high] if instrument.higher_is_better else [high, low]
    figure.update_layout(
        title=_title("Reliable change", "One dot per family, no names; above the line is better"),
        xaxis={"title": "Overall score at baseline", "range": axis_range},
        yaxis={
            "title": "Overall score at the latest review",
            "range": axis_range,
        },
        height=540,
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 80, "b": 80},
    )
    return figure


# From the worse end of a scale to the better: red through grey to blue, which stays in
# order for the common kinds of colour blindness and in greyscale.
WORSE_TO_BETTER = ("#b2182b", "#ef8a62", "#8c8c8c", "#67a9cf", "#2166ac")


def band_colours(instrument: Instrument) -> list[str]:
    """One colour per band, in the instrument's band order, ordered worse to better
    whichever way its scale points."""
    count = len(instrument.bands)
    scale = [[i / (len(WORSE_TO_BETTER) - 1), c] for i, c in enumerate(WORSE_TO_BETTER)]
    colours = sample_colorscale(scale, [i / max(count - 1, 1) for i in range(count)])
    return colours if instrument.higher_is_better else colours[::-1]


def snapshot_chart(bands: pd.DataFrame, instrument: Instrument) -> go.Figure:
    """Each area's families at each band at baseline, as shares of a bar, bands in scale
    order; a hidden area is named with ``*`` and drawn empty."""
    labels = _labels(instrument)
    areas = list(dict.fromkeys(bands["domain"]))
    names = {
        domain: labels[domain] + (f" {SUPPRESSED}" if _hidden(rows["n"].iloc[0]) else "")
        for domain, rows in bands.groupby("domain", sort=False)
    }
    colours = band_colours(instrument)
    figure = go.Figure()
    for index, band in enumerate(instrument.bands):
        rows = bands[bands["band"] == band.label].set_index("domain").reindex(areas)
        figure.add_trace(
            go.Bar(
                y=[names[domain] for domain in areas],
                x=_plain(rows["pct"]),
                orientation="h",
                name=band.label,
                marker_color=colours[index],
                customdata=[str(count) for count in rows["families"]],
                hovertemplate="%{y}: %{x:.0f}% (%{customdata} families)<extra>"
                + band.label
                + "</extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        title=_title("Needs at entry", "Share of families at each band at baseline"),
        xaxis={"title": "% of families scored in the area", "range": [0, 100]},
        yaxis={"autorange": "reversed"},
        height=max(360, 28 * len(areas) + 160),
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
        margin={"l": 10, "r": 20, "t": 80, "b": 60},
    )
    return figure
