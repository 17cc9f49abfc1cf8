"""A one-page progress summary for the family, in plain words, ready to print on A4.

The star is drawn as inline SVG so the file is small, works offline and
prints crisply; it uses the same orientation as the app (outward is better).
Only the family's reference and a first name appear: no other personal data.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.measures.journey import Progress
from tracker.render.charts import BASELINE_COLOUR, PALETTE, StarTrace, orientation_note
from tracker.store.vocabulary import GOAL_STATUSES

SIZE = 420
RADIUS = 150
# Who gave a set of scores, as the family reads it: one phrase per rater.
SCORED_BY = {
    "worker": "scored by your key worker",
    "joint": "scored together",
    "family": "your own scores",
}


def _point(instrument: Instrument, index: int, count: int, value: float) -> tuple[float, float]:
    share = (value - instrument.scale_min) / instrument.scale_span
    if not instrument.higher_is_better:
        share = 1 - share
    distance = 12 + share * (RADIUS - 12)
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return SIZE / 2 + distance * math.cos(angle), SIZE / 2 + distance * math.sin(angle)


def _runs(present: list[bool]) -> list[list[int]]:
    """The unbroken stretches of scored spokes, going round the star (so a stretch may
    run past the last spoke into the first)."""
    count = len(present)
    start = next((i for i in range(count) if present[i] and not present[i - 1]), None)
    if start is None:
        return []
    runs: list[list[int]] = []
    for step in range(count):
        index = (start + step) % count
        if not present[index]:
            continue
        if present[index - 1] and runs:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _outline(points: list[tuple[float, float] | None], colour: str, dash: str) -> list[str]:
    """One trace's shape: a closed polygon when every area is scored; otherwise a line
    along each unbroken stretch and a dot for a lone score, so an area not scored is a
    gap, never bridged by a line."""
    if all(point is not None for point in points):
        coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        return [
            f'<polygon points="{coordinates}" fill="{colour}" fill-opacity="0.08" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        ]
    parts = []
    for run in _runs([point is not None for point in points]):
        if len(run) == 1:
            x, y = points[run[0]]
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        else:
            coordinates = " ".join(f"{points[i][0]:.1f},{points[i][1]:.1f}" for i in run)
            parts.append(
                f'<polyline points="{coordinates}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/>'
            )
    return parts


def star_svg(traces: list[StarTrace], instrument: Instrument) -> str:
    """The star as SVG: rings, spokes with short labels, and one outline per trace."""
    count = len(instrument.domains)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'role="img" aria-label="Star chart of progress">'
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<circle cx="{SIZE / 2}" cy="{SIZE / 2}" r="{12 + ring * (RADIUS - 12):.1f}" '
            'fill="none" stroke="#ccc" stroke-width="1"/>'
        )
    for index in range(count):
        x, y = _point(
            instrument,
            index,
            count,
            instrument.scale_min if instrument.higher_is_better else instrument.scale_max,
        )
        edge_x, edge_y = _point(
            instrument,
            index,
            count,
            instrument.scale_max if instrument.higher_is_better else instrument.scale_min,
        )
        parts.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{edge_x:.1f}" y2="{edge_y:.1f}" stroke="#ddd"/>'
        )
        label_x = SIZE / 2 + (edge_x - SIZE / 2) * 1.12
        label_y = SIZE / 2 + (edge_y - SIZE / 2) * 1.12
        anchor = (
            "middle" if abs(label_x - SIZE / 2) < 20 else ("start" if label_x > SIZE / 2 else "end")
        )
        parts.append(
            f'<text x="{label_x:.1f}" y="{label_y:.1f}" font-size="16" fill="#333" '
            f'text-anchor="{anchor}">{index + 1}</text>'
        )
    for position, trace in enumerate(traces):
        colour = BASELINE_COLOUR if position == 0 else PALETTE[(position - 1) % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if position == 0 else ""
        points = [
            None
            if (value := trace.values.get(domain.key)) is None or pd.isna(value)
            else _point(instrument, index, count, value)
            for index, domain in enumerate(instrument.domains)
        ]
        parts.extend(_outline(points, colour, dash))
    parts.append("</svg>")
    return "".join(parts)


def _list(items: list[str], empty: str) -> str:
    if not items:
        return f"<p>{escape(empty)}</p>"
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _crowded(progress: Progress, goals: pd.DataFrame) -> bool:
    """Whether the page needs its compact layout to stay on one sheet.

    Each listed area takes about one line and each goal about three; past this
    budget the normal layout spills onto a second page, so the star shrinks and
    the lists take four columns at a smaller (still readable) size instead.
    """
    listed = len(progress.better) + len(progress.still_working_on) + len(progress.harder)
    return listed + 3 * len(goals) > 40


def family_summary_html(
    *,
    family_ref: str,
    first_name: str,
    instrument: Instrument,
    traces: list[StarTrace],
    trace_dates: list[str],
    trace_raters: list[str],
    progress: Progress,
    goals: pd.DataFrame,
    today: date,
) -> str:
    """A self-contained HTML page that prints on one A4 sheet.

    It says who gave the scores (``trace_raters``, one per trace): once, when one rater
    gave them all, or beside each shape in the key when they differ.
    """
    greeting = f"{escape(first_name.strip())}, here" if first_name.strip() else "Here"
    one_rater = len(set(trace_raters)) == 1
    key = "".join(
        f"<li><span class='swatch' style='border-color:"
        f"{BASELINE_COLOUR if i == 0 else PALETTE[(i - 1) % len(PALETTE)]};"
        f"{'border-style:dashed;' if i == 0 else ''}'></span>{escape(trace.name)}"
        f" &middot; {escape(day)}"
        f"{'' if one_rater else f' &middot; {SCORED_BY[rater]}'}</li>"
        for i, (trace, day, rater) in enumerate(zip(traces, trace_dates, trace_raters, strict=True))
    )
    who = f"<p>{SCORED_BY[trace_raters[0]].capitalize()}.</p>" if one_rater else ""
    numbered = "".join(f"<li>{escape(domain.label)}</li>" for domain in instrument.domains)
    goal_rows = (
        "".join(
            f"<tr><td>{escape(str(row.text))}</td><td>{escape(GOAL_STATUSES.get(row.status, ''))}"
            "</td></tr>"
            for row in goals.itertuples(index=False)
        )
        or "<tr><td colspan='2'>No goals written down yet.</td></tr>"
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Progress summary {escape(family_ref)}</title>
<style>
@page {{ size: A4; margin: 12mm 14mm; }}
body {{ font-family: Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #111;
       max-width: 182mm; margin: 0 auto; line-height: 1.3; }}
h1 {{ font-size: 16pt; margin: 0 0 1mm; }}
h2 {{ font-size: 11.5pt; margin: 3mm 0 1mm; }}
p {{ margin: 1mm 0; }}
.meta {{ color: #444; margin: 0 0 2mm; }}
.grid {{ display: flex; flex-wrap: wrap; gap: 3mm 5mm; align-items: flex-start; }}
.star {{ width: 78mm; flex: none; }}
.star svg {{ width: 78mm; height: 78mm; }}
.side {{ flex: 1 1 90mm; font-size: 9pt; }}
ol.areas {{ columns: 2; column-gap: 5mm; padding-left: 5mm; margin: 1mm 0; }}
.swatch {{ display: inline-block; width: 8mm; border-top: 3px solid; margin-right: 2mm;
           vertical-align: middle; }}
ul {{ columns: 3; column-gap: 6mm; margin: 0; padding-left: 5mm; font-size: 9.5pt; }}
ul.key {{ columns: 2; column-gap: 4mm; list-style: none; padding: 0; margin: 0 0 1mm; }}
li {{ break-inside: avoid; }}
.crowded .star, .crowded .star svg {{ width: 68mm; height: 68mm; }}
.crowded ul {{ columns: 4; column-gap: 4mm; font-size: 8.5pt; }}
.crowded ul.key {{ columns: 2; }}
.crowded h2 {{ margin-top: 2mm; }}
.crowded table, .crowded p {{ font-size: 9pt; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9.5pt; }}
td {{ border-bottom: 1px solid #ccc; padding: 0.8mm 2mm; vertical-align: top; }}
footer {{ margin-top: 3mm; font-size: 8.5pt; color: #555; }}
</style></head>
<body{' class="crowded"' if _crowded(progress, goals) else ""}>
<h1>{greeting} is how things have changed</h1>
<p class="meta">Family {escape(family_ref)} &middot; {escape(instrument.name)} &middot;
made on {today:%d %B %Y}</p>
<div class="grid">
  <div class="star">{star_svg(traces, instrument)}</div>
  <div class="side">
    <p><strong>{escape(orientation_note(instrument))}</strong></p>
    {who}
    <ul class="key">{key}</ul>
    <ol class="areas">{numbered}</ol>
  </div>
</div>
<h2>What has got better</h2>
{_list(progress.better, "Nothing has moved on yet. That is normal early on.")}
<h2>What we are still working on</h2>
{_list(progress.still_working_on, "No areas of concern right now.")}
<h2>Things that have been harder lately</h2>
{_list(progress.harder, "Nothing has got harder since we started.")}
<p>It is common for things to look harder for a while once we start talking about them.
It does not mean the work is not helping.</p>
<h2>Our goals</h2>
<table>{goal_rows}</table>
<footer>This summary is for the family to keep. The scores can change as things
change.</footer>
</body></html>"""
