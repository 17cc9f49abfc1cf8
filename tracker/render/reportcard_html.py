"""The report card as one self-contained HTML page for a board, laid out to print on A4.

It opens with the one-page scorecard (the PDF's page one), then every measure with its
chart and definition, then the story behind the curve. Charts are inline SVG drawn by
``reportcard_drawing``, the PDF's own drawing, so the file needs no script and stays
small (the charting library alone was 4.8 MB); each point names its quarter and value
when hovered.
"""

from __future__ import annotations

from html import escape

from tracker.measures.disclosure import SUPPRESSED
from tracker.measures.reportcard import QUADRANTS, MeasureResult, ReportCard
from tracker.render.reportcard_charts import chart_note, curve, value_axis
from tracker.render.reportcard_drawing import (
    CHART_HEIGHT,
    CHART_WIDTH,
    SvgCanvas,
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
    format_value,
    headline,
    shown,
    shown_part,
    stamp_lines,
    story_told,
    target_text,
    trend_colour,
)

SPARK_WIDTH, SPARK_HEIGHT = 26, 5
ARROW_SIZE = 3


def _history_words(result: MeasureResult) -> str:
    """The history in words, for a screen reader: "2024-25 Q3 5, 2024-25 Q4 *, …"."""
    hidden = set(result.suppressed)
    return ", ".join(
        f"{label} {SUPPRESSED if label in hidden else format_value(result.spec.unit, value)}"
        for label, value in result.history
    )


def _sparkline(result: MeasureResult) -> str:
    values = [value for _, value in result.history]
    canvas = SvgCanvas()
    axis = value_axis(result.spec, [*values, result.target])
    box = (0.8, 0.8, SPARK_WIDTH - 1.6, SPARK_HEIGHT - 1.6)
    draw_sparkline(canvas, values, axis, box, result.target)
    label = f"{result.spec.label}, the last 8 quarters: {_history_words(result)}"
    return canvas.svg(SPARK_WIDTH, SPARK_HEIGHT, "spark", label)


def _trend(result: MeasureResult) -> str:
    """The arrow (for a move beyond noise) and the word; "—" with nothing to compare."""
    if result.trend not in TREND_SHORT:
        return NO_VALUE
    colour = trend_colour(result)
    canvas = SvgCanvas()
    if direction(result):
        draw_arrow(canvas, (ARROW_SIZE / 2, ARROW_SIZE / 2), direction(result), colour, ARROW_SIZE)
    arrow = canvas.svg(ARROW_SIZE, ARROW_SIZE, "arrow")
    return f'{arrow} <span style="color:{colour}">{escape(TREND_SHORT[result.trend])}</span>'


def _scorecard(card: ReportCard) -> str:
    """The scorecard: the four questions as one table, better off first."""
    rows = []
    for quadrant in ORDER:
        rows.append(
            f'<tr class="question {quadrant}"><th colspan="6" scope="colgroup">'
            f"{escape(QUADRANTS[quadrant])}</th></tr>"
        )
        for result in card.quadrant(quadrant):
            rows.append(
                f'<tr><th scope="row">{escape(result.spec.label)}</th>'
                f'<td class="now">{escape(headline(result))}</td>'
                f"<td>{escape(shown(result.spec.unit, result.previous))}</td>"
                f"<td>{escape(target_text(result))}</td>"
                f'<td class="trend">{_trend(result)}</td>'
                f"<td>{_sparkline(result)}</td></tr>"
            )
    return f"""<section class="scorecard">
<h1>Report card: {escape(card.period.label)}</h1>
<p class="meta">{escape(_context(card))}</p>
<p class="audience">{escape(card.stamp["Audience"].capitalize())}.</p>
<table>
<thead><tr><th scope="col">Measure</th>
<th scope="col">This period<br>{escape(card.period.label)}</th>
<th scope="col">Previous<br>{escape(card.previous_period.label)}</th>
<th scope="col">Target</th><th scope="col">Trend</th>
<th scope="col">Last 8 quarters</th></tr></thead>
<tbody>{"".join(rows)}</tbody>
</table>
<p class="key">{escape(ARROWS_NOTE)} {escape(SPARK_NOTE)}</p>
<p class="key">{escape(card.legend)}</p>
<p class="key">{escape("; ".join(stamp_lines(card)))}.</p>
</section>"""


def _context(card: ReportCard) -> str:
    return (
        f"{card.scope.label} · {card.period.start:%d %b %Y} to {card.period.end:%d %b %Y} · "
        f"distance travelled on {card.instrument.name} · compared with "
        f"{card.previous_period.label}"
    )


def _measure(result: MeasureResult, card: ReportCard) -> str:
    canvas = SvgCanvas()
    draw_curve(canvas, curve(result, card), (0, 0, CHART_WIDTH, CHART_HEIGHT))
    label = f"{result.spec.label}, by quarter: {_history_words(result)}"
    chart = canvas.svg(CHART_WIDTH, CHART_HEIGHT, "curve", label)
    parts = "".join(
        f"<li>{escape(key)}: {escape(shown_part(value))}</li>"
        for key, value in result.current.parts.items()
    )
    target = ""
    if result.target is not None:
        target = f"<p class='target'>Target: {escape(target_text(result))}</p>"
    note = f"<p class='note'>{escape(result.current.note)}</p>" if result.current.note else ""
    return f"""
<div class="measure">
  <div class="words">
  <h3>{escape(result.spec.label)}</h3>
  <p class="value">{escape(headline(result))}</p>
  <p class="trend" style="color:{trend_colour(result)}">{escape(comparison(result, card))}</p>
  {target}
  <p class="definition">{escape(result.spec.definition)}</p>
  {note}
  {f"<ul class='parts'>{parts}</ul>" if parts else ""}
  </div>
  <div class="chart">{chart}</div>
  <p class="note chart-note">{escape(chart_note(result))}</p>
</div>"""


def _story(card: ReportCard) -> str:
    told = story_told(card)
    if not told:
        return f"<p class='note'>{escape(NO_STORY)}</p>"
    return "".join(f"<h3>{escape(heading)}</h3><p>{escape(text)}</p>" for heading, text in told)


def card_html(card: ReportCard) -> str:
    """One self-contained page: the scorecard, every measure with its chart, the story."""
    sections = [
        f"<section class='quadrant {quadrant}'><h2>{escape(QUADRANTS[quadrant])}</h2>"
        + "".join(_measure(result, card) for result in card.quadrant(quadrant))
        + "</section>"
        for quadrant in ORDER
    ]
    stamp = "".join(
        f"<dt>{escape(item)}</dt><dd>{escape(detail)}</dd>" for item, detail in card.stamp.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Report card {escape(card.period.label)} {escape(card.scope.label)}</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: Arial, Helvetica, sans-serif; color: #111; margin: 0 auto;
       max-width: 186mm; font-size: 10pt; }}
h1 {{ font-size: 17pt; margin: 0; }}
.meta {{ color: #333; margin: 1mm 0; }}
.audience {{ font-weight: bold; margin: 1mm 0 2mm; }}
.scorecard {{ break-after: page; }}
.scorecard table {{ width: 100%; border-collapse: collapse; font-size: 8pt; }}
.scorecard th, .scorecard td {{ padding: 0.3mm 1.5mm; border-bottom: 1px solid #e4e4e4;
                               text-align: center; white-space: nowrap; }}
.scorecard thead th {{ background: #ececec; font-size: 8pt; }}
.scorecard tbody th[scope=row] {{ text-align: left; font-weight: normal; padding-left: 3mm;
                                  white-space: normal; }}
.scorecard tr.question th {{ text-align: left; font-size: 9.5pt; background: #f4f4f4; }}
.scorecard tr.question.better_off th {{ background: #e2eef8; }}
.scorecard td.now {{ font-weight: bold; }}
.scorecard td.trend {{ text-align: left; }}
svg.spark {{ width: 26mm; height: 4mm; vertical-align: middle; }}
svg.arrow {{ width: 3mm; height: 3mm; vertical-align: middle; }}
.key {{ font-size: 8pt; color: #444; margin: 1mm 0; }}
.quadrant {{ border: 1px solid #ccc; border-radius: 4px; padding: 2mm 4mm; margin: 4mm 0; }}
.quadrant.better_off {{ border: 3px solid #0072B2; background: #f3f8fc; }}
h2 {{ font-size: 14pt; margin: 1mm 0 2mm; }}
.measure {{ break-inside: avoid; border-top: 1px solid #e4e4e4; padding: 2mm 0;
           display: grid; grid-template-columns: 62mm 1fr; gap: 0 4mm; }}
.measure .chart-note {{ grid-column: 1 / -1; }}
svg.curve {{ width: 100%; height: auto; }}
h3 {{ font-size: 10.5pt; margin: 0 0 1mm; }}
.value {{ font-size: 14pt; font-weight: bold; margin: 0; }}
.trend {{ font-size: 9pt; margin: 1mm 0; }}
.definition, .note, .target {{ font-size: 8pt; color: #444; margin: 1mm 0; }}
.parts {{ font-size: 8pt; margin: 1mm 0; padding-left: 4mm; }}
footer {{ font-size: 8pt; color: #555; margin-top: 4mm; }}
.stamp {{ font-size: 8.5pt; border: 1px solid #999; padding: 2mm 3mm; display: grid;
         grid-template-columns: max-content 1fr; gap: 0.5mm 3mm; }}
.stamp dt {{ font-weight: bold; }} .stamp dd {{ margin: 0; }}
</style></head><body>
{_scorecard(card)}
<h2>About this card</h2>
<p class="meta">{escape(card.yardstick.caption())}</p>
<dl class="stamp">{stamp}</dl>
{"".join(sections)}
<section class="quadrant story"><h2>The story behind the curve</h2>{_story(card)}</section>
<footer>{escape(card.legend)} {escape(NOISE_NOTE)} {escape(MEANS_NOTE)}</footer>
</body></html>"""
