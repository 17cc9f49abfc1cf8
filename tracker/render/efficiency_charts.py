"""The efficiency page's chart: cases closed per month, stacked by how they ended."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from tracker.measures.efficiency import CLOSURE_GROUPS
from tracker.render.charts import PALETTE

# Achieved in the "better" blue, not wholly achieved in orange, moved on in grey-green:
# colour-blind safe, and each bar's parts are named in the legend and on hover too.
GROUP_COLOURS = dict(zip(CLOSURE_GROUPS, (PALETTE[0], PALETTE[1], PALETTE[2]), strict=True))


def closures_chart(per_month: pd.DataFrame) -> go.Figure:
    """One bar per month (``closed_per_month``'s rows), stacked by closure group."""
    months = per_month["month"].dt.strftime("%b %Y")
    figure = go.Figure(
        [
            go.Bar(
                x=months,
                y=per_month[group],
                name=group,
                marker_color=GROUP_COLOURS[group],
                hovertemplate=f"%{{x}}: %{{y}} {group.lower()}<extra></extra>",
            )
            for group in CLOSURE_GROUPS
        ]
    )
    figure.update_layout(
        barmode="stack",
        # A tenth of headroom, so the tallest bar does not touch the top edge.
        yaxis={
            "title": {"text": "Cases closed"},
            "range": [0, max(1, int(per_month["total"].max())) * 1.1],
            "tickformat": ",d",
        },
        # The page's heading names the chart; the legend reads in the bars' order, bottom up.
        legend={"orientation": "h", "y": -0.25, "traceorder": "normal"},
        height=340,
        margin={"l": 10, "r": 10, "t": 20, "b": 40},
    )
    return figure
