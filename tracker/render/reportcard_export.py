"""Report card exports for boards: self-contained HTML, PDF and Excel, from one card.

Each says who it is for and how its figures were protected (``ReportCard.stamp``). ``*``
means hidden to protect families and nothing else; a figure that is not there says why
in words. The PDF draws its charts with kaleido and a Chromium; without one it prints
each chart's numbers as a table instead and says so, so a PDF always comes out.
"""

from __future__ import annotations

import io
from html import escape

import pandas as pd
from fpdf import FPDF

from tracker.files.formula_guard import neutralised
from tracker.measures.disclosure import SUPPRESSED
from tracker.measures.reportcard import (
    CHANGE_DECIMALS,
    CHANGE_UNITS,
    FORECAST_INTERVAL,
    QUADRANTS,
    STORY_FIELDS,
    MeasureResult,
    ReportCard,
    Value,
    card_as_dict,
    history_as_dicts,
)
from tracker.render.downloads import browser_available, figures_png
from tracker.render.reportcard_charts import chart_note, turn_the_curve

TREND_WORDS = {
    "better": "better than",
    "worse": "worse than",
    "same": "about the same as",
    "up": "up on",
    "down": "down on",
    "": "compared with",
}
TREND_COLOURS = {"better": "#0072B2", "worse": "#D55E00"}
MOVED = ("better", "worse", "up", "down")
NOISE_NOTE = (
    "A move within the measure's own noise (for a percentage, inside the 95% interval of "
    "the difference of two proportions) is shown as about the same, with no arrow."
)
FORECAST_COLUMNS = [
    "Measure",
    "Quarter",
    "Forecast",
    f"{FORECAST_INTERVAL:.0%} low",
    f"{FORECAST_INTERVAL:.0%} high",
    "Known quarters used",
    "Suppressed quarters",
    "Missing quarters",
]
# "Is anyone better off?" comes first: it is the question that matters most.
ORDER = ("better_off", "how_much", "how_well", "cost")


NO_VALUE = "—"


def format_value(unit: str, value: float | None) -> str:
    """A figure in its unit; "—" for none."""
    if value is None:
        return NO_VALUE
    if unit == "pct":
        return f"{value:.0f}%"
    if unit == "money":
        return f"£{value:,.0f}" if value >= 100 else f"£{value:,.2f}"
    if unit in ("count",):
        return f"{value:,.0f}"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "days":
        return f"{value:.0f} days"
    return f"{value:.2f}"


def shown(unit: str, value: Value) -> str:
    """A value as every output prints it: the figure, ``*`` when hidden, or what is
    missing in words ("No cost entered", "No families reviewed", "Not enough data")."""
    if value.hidden:
        return SUPPRESSED
    if value.value is None:
        return value.missing
    return format_value(unit, value.value)


def shown_part(value: int | float | str | None) -> str:
    """A part of a breakdown: its count, ``*`` when hidden, "—" when there is none."""
    if value is None:
        return NO_VALUE
    return value if isinstance(value, str) else f"{value:,.0f}"


def headline(result: MeasureResult) -> str:
    """The value as the card shows it; better-off measures as a number and a percentage."""
    text = shown(result.spec.unit, result.current)
    if (
        result.spec.quadrant == "better_off"
        and result.spec.unit == "pct"
        and result.current.number is not None
        and result.current.value is not None
    ):
        text = f"{result.current.number:,.0f} ({text})"
    return text


def stamp_lines(card: ReportCard) -> list[str]:
    """The card's stamp, a line to each item."""
    return [f"{item}: {detail}" for item, detail in card.stamp.items()]


def trend_arrow(result: MeasureResult) -> str:
    """▲ or ▼ for the way the value moved, coloured better or worse elsewhere; none when
    it is about the same (within its noise, or nothing) or there is nothing to compare."""
    if result.trend not in MOVED:
        return ""
    return "▲" if result.change.difference > 0 else "▼"


def change_text(result: MeasureResult) -> str:
    """The move since the previous period with its unit ("+5.0 percentage points", "no
    change"), or '' with nothing to compare."""
    difference = result.change.difference
    if difference is None:
        return ""
    unit = result.spec.unit
    decimals = CHANGE_DECIMALS[unit]
    if round(difference, decimals) == 0:
        return "no change"
    sign = "+" if difference > 0 else "−"
    size = abs(difference)
    if unit == "money":
        return f"{sign}£{size:,.0f}" if size >= 100 else f"{sign}£{size:,.2f}"
    words = CHANGE_UNITS[unit]
    return f"{sign}{size:,.{decimals}f}" + (f" {words}" if words else "")


def comparison(result: MeasureResult, card: ReportCard) -> str:
    """ "better than 2024-25 Q4 (60%): +5.0 percentage points", and so on."""
    previous = shown(result.spec.unit, result.previous)
    moved = change_text(result)
    if result.trend == "same" and moved != "no change" and result.change.low is not None:
        moved += ", within noise"
    moved = f": {moved}" if moved else ""
    return f"{TREND_WORDS[result.trend]} {card.previous_period.label} ({previous}){moved}"


# --------------------------------------------------------------------------- HTML


def card_html(card: ReportCard) -> str:
    """One self-contained page with interactive charts, laid out to print on A4."""
    first_chart = True
    sections = []
    for quadrant in ORDER:
        items = []
        for result in card.quadrant(quadrant):
            figure = turn_the_curve(result, card)
            chart = figure.to_html(
                full_html=False, include_plotlyjs=first_chart, config={"displayModeBar": False}
            )
            first_chart = False
            arrow = trend_arrow(result)
            colour = TREND_COLOURS.get(result.trend, "#333")
            parts = "".join(
                f"<li>{escape(key)}: {escape(shown_part(value))}</li>"
                for key, value in result.current.parts.items()
            )
            target = ""
            if result.target is not None:
                goal = format_value(result.spec.unit, result.target)
                target = f"<p class='target'>Target: {escape(goal)}</p>"
            items.append(f"""
<div class="measure">
  <h3>{escape(result.spec.label)}</h3>
  <p class="value">{escape(headline(result))}
    <span class="trend" style="color:{colour}">{arrow} {escape(comparison(result, card))}</span></p>
  {target}
  <p class="definition">{escape(result.spec.definition)}</p>
  {f"<p class='note'>{escape(result.current.note)}</p>" if result.current.note else ""}
  {f"<ul class='parts'>{parts}</ul>" if parts else ""}
  <div class="chart">{chart}</div>
  <p class="note">{escape(chart_note(result))}</p>
</div>""")
        sections.append(
            f"<section class='quadrant {quadrant}'><h2>{escape(QUADRANTS[quadrant])}</h2>"
            + "".join(items)
            + "</section>"
        )
    story = "".join(
        f"<h3>{escape(STORY_FIELDS[key])}</h3><p>{escape(text) or '<em>Not written yet.</em>'}</p>"
        for key, text in card.story.items()
    )
    stamp = "".join(
        f"<dt>{escape(item)}</dt><dd>{escape(detail)}</dd>" for item, detail in card.stamp.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Report card {escape(card.period.label)} {escape(card.scope.label)}</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font-family: Arial, Helvetica, sans-serif; color: #111; margin: 0 auto;
       max-width: 190mm; font-size: 10pt; }}
h1 {{ font-size: 18pt; margin-bottom: 0; }}
.meta {{ color: #444; margin-top: 2mm; }}
.quadrant {{ border: 1px solid #ccc; border-radius: 4px; padding: 3mm 4mm; margin: 4mm 0;
            break-inside: auto; }}
.quadrant.better_off {{ border: 3px solid #0072B2; background: #f3f8fc; }}
h2 {{ font-size: 14pt; margin: 1mm 0 2mm; }}
.measure {{ break-inside: avoid; border-top: 1px solid #e4e4e4; padding-top: 2mm; }}
h3 {{ font-size: 11pt; margin: 1mm 0; }}
.value {{ font-size: 14pt; font-weight: bold; margin: 0; }}
.trend {{ font-size: 9.5pt; font-weight: normal; margin-left: 3mm; }}
.definition, .note, .target {{ font-size: 8.5pt; color: #444; margin: 1mm 0; }}
.parts {{ font-size: 8.5pt; columns: 2; margin: 1mm 0; }}
.chart {{ max-width: 180mm; }}
footer {{ font-size: 8pt; color: #555; margin-top: 4mm; }}
.stamp {{ font-size: 8.5pt; border: 1px solid #999; padding: 2mm 3mm; display: grid;
         grid-template-columns: max-content 1fr; gap: 0.5mm 3mm; }}
.stamp dt {{ font-weight: bold; }} .stamp dd {{ margin: 0; }}
</style></head><body>
<h1>Report card: {escape(card.period.label)}</h1>
<p class="meta">{escape(card.scope.label)} &middot; {escape(card.period.start.strftime("%d %b %Y"))}
to {escape(card.period.end.strftime("%d %b %Y"))} &middot; distance travelled on
{escape(card.instrument.name)} &middot; compared with {escape(card.previous_period.label)}</p>
<p class="meta yardstick">{escape(card.yardstick.caption())}</p>
<dl class="stamp">{stamp}</dl>
{"".join(sections)}
<section class="quadrant story"><h2>The story behind the curve</h2>{story}</section>
<footer>{escape(card.legend)}
{escape(NOISE_NOTE)}
Before/after figures without a comparison group include some improvement that would have
happened anyway (regression to the mean).</footer>
</body></html>"""


# --------------------------------------------------------------------------- PDF


def _latin(text: str) -> str:
    """The PDF's built-in fonts cover Latin-1; anything else becomes a close ASCII form."""
    swaps = {
        "▲": "up",
        "▼": "down",
        "√": "sqrt",
        "−": "-",
        "–": "-",
        "—": "-",
        "’": "'",
        "“": '"',
        "”": '"',
        "·": "-",
        "…": "...",
    }
    for old, new in swaps.items():
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


class _CardPDF(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.card_title = title
        self.set_auto_page_break(auto=True, margin=14)
        self.set_margins(14, 14, 14)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, _latin(f"{self.card_title} - page {self.page_no()}"), align="C")


def card_pdf(card: ReportCard, *, charts: bool | None = None) -> bytes:
    """An A4 PDF of the card. Charts are images when a Chromium is available, else tables."""
    charts = browser_available() if charts is None else charts
    pdf = _CardPDF(f"Report card {card.period.label}, {card.scope.label}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 17)
    pdf.multi_cell(0, 8, _latin(f"Report card: {card.period.label}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(
        0,
        5,
        _latin(
            f"{card.scope.label}. {card.period.start:%d %b %Y} to {card.period.end:%d %b %Y}. "
            f"Distance travelled on {card.instrument.name}. Compared with "
            f"{card.previous_period.label}. {card.legend} "
            f"{card.yardstick.caption()} {NOISE_NOTE}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "B", 8.5)
    for line in stamp_lines(card):
        pdf.multi_cell(0, 4.5, _latin(line), border=0, new_x="LMARGIN", new_y="NEXT")
    if not charts:
        pdf.set_text_color(160, 60, 0)
        pdf.multi_cell(
            0,
            5,
            _latin(
                "No Chromium was available to draw the charts, so each trend is given as a "
                "table of its quarterly values instead."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    images = {}
    if charts:
        ordered = [result for quadrant in ORDER for result in card.quadrant(quadrant)]
        pngs = figures_png(
            [turn_the_curve(result, card) for result in ordered], width=700, height=230
        )
        images = {result.spec.key: png for result, png in zip(ordered, pngs, strict=True)}
    for quadrant in ORDER:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        if quadrant == "better_off":
            pdf.set_fill_color(226, 238, 248)
            pdf.cell(0, 8, _latin(QUADRANTS[quadrant]), fill=True, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.cell(0, 8, _latin(QUADRANTS[quadrant]), new_x="LMARGIN", new_y="NEXT")
        for result in card.quadrant(quadrant):
            _pdf_measure(pdf, result, card, images.get(result.spec.key))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, "The story behind the curve", new_x="LMARGIN", new_y="NEXT")
    for key, text in card.story.items():
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, _latin(STORY_FIELDS[key]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 4.5, _latin(text or "Not written yet."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _pdf_measure(
    pdf: _CardPDF, result: MeasureResult, card: ReportCard, image: bytes | None
) -> None:
    if pdf.get_y() > 240:
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(
        0, 5, _latin(f"{result.spec.label}: {headline(result)}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", size=8.5)
    line = comparison(result, card)
    if result.target is not None:
        line += f". Target {format_value(result.spec.unit, result.target)}"
    pdf.multi_cell(0, 4, _latin(line + "."), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4, _latin(result.spec.definition), new_x="LMARGIN", new_y="NEXT")
    if result.current.note:
        pdf.multi_cell(0, 4, _latin(result.current.note), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    if image is not None:
        pdf.image(io.BytesIO(image), w=120)
    else:
        labels = [label for label, _ in result.history]
        values = [_history_point(result.spec.unit, point) for point in history_as_dicts(result)]
        width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(labels)
        pdf.set_font("Helvetica", size=7)
        for label in labels:
            pdf.cell(width, 4, _latin(label), border=1, align="C")
        pdf.ln()
        for value in values:
            pdf.cell(width, 4, _latin(value), border=1, align="C")
        pdf.ln()
    pdf.set_font("Helvetica", size=7.5)
    pdf.multi_cell(0, 4, _latin(chart_note(result)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _history_point(unit: str, point: dict) -> str:
    """A quarter in a narrow table: its figure, ``*`` when hidden, "—" when there is none."""
    if point["value"] == SUPPRESSED:
        return SUPPRESSED
    return format_value(unit, point["value"])


# --------------------------------------------------------------------------- Excel


def _cell(value, reason: str | None):
    """A figure for a spreadsheet cell: the number, ``*``, or the reason in words."""
    return reason if value is None and reason else value


def card_xlsx(card: ReportCard) -> bytes:
    """Every measure with its definition, value, previous value and change, target, history,
    forecast and parts, and the yardstick reliable change was judged against."""
    data = card_as_dict(card)
    rows, history, forecasts, parts = [], [], [], []
    for quadrant in QUADRANTS:
        for measure in data[quadrant]:
            change = measure["change"]
            rows.append(
                {
                    "Question": QUADRANTS[quadrant],
                    "Measure": measure["label"],
                    "Value": _cell(measure["value"], measure["reason"]),
                    "Number": measure["number"],
                    f"Previous ({data['period']['previous']})": _cell(
                        measure["previous"], measure["previous_reason"]
                    ),
                    "Change": change["difference"],
                    "Change unit": change["unit"],
                    "Change 95% low": change["ci_low"],
                    "Change 95% high": change["ci_high"],
                    "Noise judged by": change["method"],
                    "Trend": measure["trend"],
                    "Target": measure["target"],
                    "Higher is better": measure["higher_is_better"],
                    "Definition": measure["definition"],
                    "Note": measure["note"],
                }
            )
            history += [
                {
                    "Measure": measure["label"],
                    "Quarter": point["quarter"],
                    "Value": _cell(point["value"], point["reason"]),
                }
                for point in measure["history"]
            ]
            forecast = measure["forecast"]
            forecasts += [
                {
                    "Measure": measure["label"],
                    "Quarter": quarter,
                    "Forecast": value,
                    FORECAST_COLUMNS[3]: low,
                    FORECAST_COLUMNS[4]: high,
                    "Known quarters used": forecast["known_quarters"],
                    "Suppressed quarters": ", ".join(forecast["suppressed_quarters"]),
                    "Missing quarters": ", ".join(forecast["missing_quarters"]),
                }
                for quarter, value, low, high in zip(
                    forecast["quarters"],
                    forecast["value"] or [],
                    forecast["pi_low"] or [],
                    forecast["pi_high"] or [],
                    strict=True,
                )
            ]
            parts += [
                {"Measure": measure["label"], "Part": key, "Value": _cell(value, NO_VALUE)}
                for key, value in measure["parts"].items()
            ]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        # Story text is typed by people, so it is made formula-safe like every export.
        pd.DataFrame(rows).to_excel(writer, sheet_name="Report card", index=False)
        pd.DataFrame(history).to_excel(writer, sheet_name="History", index=False)
        pd.DataFrame(forecasts, columns=FORECAST_COLUMNS).to_excel(
            writer, sheet_name="Forecast", index=False
        )
        pd.DataFrame(parts, columns=["Measure", "Part", "Value"]).to_excel(
            writer, sheet_name="Breakdowns", index=False
        )
        neutralised(
            pd.DataFrame({"Heading": list(data["story"]), "Text": list(data["story"].values())})
        ).to_excel(writer, sheet_name="Story", index=False)
        pd.DataFrame(
            {
                "About": [
                    *stamp_lines(card),
                    data["period"]["label"],
                    data["scope"]["label"],
                    card.legend,
                    card.yardstick.caption(),
                    NOISE_NOTE,
                ]
            }
        ).to_excel(writer, sheet_name="About", index=False)
    return buffer.getvalue()
