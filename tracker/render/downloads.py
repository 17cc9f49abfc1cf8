"""Tables and charts as files: CSV, Excel, PNG (or HTML when no browser is available).

Suppressed figures are written as ``*`` with a footnote, exactly as shown on
screen, so a download can never reveal what the page hides; ``notes`` (for a published
download, its stamp) go under a table and under a chart alike.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracker.files.formula_guard import neutralised, spreadsheet_csv

SUPPRESSED = "*"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
STAMP_LINE_HEIGHT = 16  # pixels per line of a chart's stamp


def mark_suppressed(frame: pd.DataFrame, suppressed: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Replace the figures of suppressed rows with ``*``."""
    marked = frame.astype({column: object for column in columns})
    for column in columns:
        marked.loc[suppressed.to_numpy(), column] = SUPPRESSED
    return marked


def footnote(min_group: int) -> str:
    return f"{SUPPRESSED} suppressed: fewer than {min_group} families, to protect their privacy."


def table_csv(frame: pd.DataFrame, min_group: int, notes: tuple[str, ...] = ()) -> bytes:
    """The table for a spreadsheet, with the suppression footnote and any ``notes`` (what
    the figures were measured against, say) after it."""
    return spreadsheet_csv(frame, footer="\n".join([footnote(min_group), *notes]))


def table_xlsx(
    frame: pd.DataFrame, min_group: int, sheet: str = "Figures", notes: tuple[str, ...] = ()
) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        neutralised(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
        pd.DataFrame({"Note": [footnote(min_group), *notes]}).to_excel(
            writer, sheet_name=sheet[:31], index=False, startrow=len(frame) + 2
        )
    return buffer.getvalue()


def stamped_figure(figure: go.Figure, notes: tuple[str, ...]) -> go.Figure:
    """A copy of the chart with ``notes`` (who it is for, how it was made, when) written
    under it, so the image says what a table's footer says."""
    if not notes:
        return figure
    stamped = go.Figure(figure)
    margin = stamped.layout.margin.b or 60
    height = stamped.layout.height or 600
    lines = STAMP_LINE_HEIGHT * len(notes)
    stamped.update_layout(height=height + lines, margin={"b": margin + lines})
    stamped.add_annotation(
        text="<br>".join(notes),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-margin,
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
        format="png", width=width, height=height or figure.layout.height or 600, scale=1.5
    )


def figures_png(figures: list[go.Figure], width: int, height: int) -> list[bytes]:
    """Many charts in one browser session: far quicker than one start-up per chart."""
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"{index}.png" for index in range(len(figures))]
        pio.write_images(figures, paths, width=width, height=height)
        return [path.read_bytes() for path in paths]


def figure_html(figure: go.Figure) -> bytes:
    """A self-contained interactive page, for when no browser can render a PNG."""
    return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
