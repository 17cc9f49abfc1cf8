"""The report card's figures and trends in words, the same in every output: the page, the
scorecard, the HTML, the PDF and the Excel export.

A figure is printed at one precision per unit (``decimals``), and ``rounded`` gives the
number a spreadsheet cell holds at that precision, so a download never shows more digits
than the card. ``*`` means hidden to protect families and nothing else; a figure that is
not there says why in words.
"""

from __future__ import annotations

from tracker.measures.disclosure import SUPPRESSED
from tracker.measures.reportcard import (
    CHANGE_DECIMALS,
    CHANGE_UNITS,
    STORY_FIELDS,
    MeasureResult,
    ReportCard,
    Value,
)

# "Is anyone better off?" comes first: it is the question that matters most.
ORDER = ("better_off", "how_much", "how_well", "cost")
NO_VALUE = "—"
TREND_WORDS = {
    "better": "better than",
    "worse": "worse than",
    "same": "about the same as",
    "up": "up on",
    "down": "down on",
    "": "compared with",
}
# The one word the scorecard's trend column gives.
TREND_SHORT = {"better": "better", "worse": "worse", "same": "same", "up": "up", "down": "down"}
# Blue and orange, not green and red, so colour-blind readers can tell them apart; grey
# where neither way is better, or nothing moved beyond noise.
TREND_COLOURS = {"better": "#0072B2", "worse": "#D55E00"}
NEUTRAL_COLOUR = "#666666"
MOVED = ("better", "worse", "up", "down")
NOISE_NOTE = (
    "A move within the measure's own noise (for a percentage, inside the 95% interval of "
    "the difference of two proportions) is shown as about the same, with no arrow."
)
ARROWS_NOTE = (
    "Trend against the previous period: an arrow up or down for a move beyond the "
    "measure's own noise, blue where that is better and orange where it is worse (grey "
    'where neither way is better); "same", with no arrow, is a move within that noise.'
)
SPARK_NOTE = (
    "Last 8 quarters: the measure's history on its chart's scale (from zero for counts and "
    "percentages), the latest quarter marked and the target dotted; a gap is a quarter "
    "hidden or with no value."
)
MEANS_NOTE = (
    "Before/after figures without a comparison group include some improvement that would "
    "have happened anyway (regression to the mean)."
)
NO_STORY = "The story behind the curve has not been written for this period and scope."
UNIT_DECIMALS = {"pct": 0, "count": 0, "hours": 1, "days": 0, "score": 2, "rate": 2}


def decimals(unit: str, value: float) -> int:
    """The decimal places a figure is shown with: pounds to the penny under £100."""
    if unit == "money":
        return 0 if abs(value) >= 100 else 2
    return UNIT_DECIMALS[unit]


def rounded(unit: str, value: float | None) -> float | int | None:
    """The figure as the card shows it, as a number (a whole one at no decimals)."""
    if value is None:
        return None
    places = decimals(unit, value)
    return round(value) if places == 0 else round(value, places)


def format_value(unit: str, value: float | None) -> str:
    """A figure in its unit; "—" for none."""
    if value is None:
        return NO_VALUE
    places = decimals(unit, value)
    if unit == "pct":
        return f"{value:.{places}f}%"
    if unit == "money":
        return f"£{value:,.{places}f}"
    if unit == "hours":
        return f"{value:,.{places}f} h"
    if unit == "days":
        return f"{value:.{places}f} days"
    return f"{value:,.{places}f}"


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


def target_text(result: MeasureResult) -> str:
    return NO_VALUE if result.target is None else format_value(result.spec.unit, result.target)


def stamp_lines(card: ReportCard) -> list[str]:
    """The card's stamp, a line to each item."""
    return [f"{item}: {detail}" for item, detail in card.stamp.items()]


def direction(result: MeasureResult) -> int:
    """+1 or −1 for a move beyond noise; 0 for about the same, or nothing to compare."""
    if result.trend in MOVED:
        return 1 if result.change.difference > 0 else -1
    return 0


def trend_colour(result: MeasureResult) -> str:
    return TREND_COLOURS.get(result.trend, NEUTRAL_COLOUR)


def change_text(result: MeasureResult) -> str:
    """The move since the previous period with its unit ("+5.0 percentage points", "no
    change"), or '' with nothing to compare."""
    difference = result.change.difference
    if difference is None:
        return ""
    unit = result.spec.unit
    places = CHANGE_DECIMALS[unit]
    if round(difference, places) == 0:
        return "no change"
    sign = "+" if difference > 0 else "−"
    size = abs(difference)
    if unit == "money":
        return f"{sign}£{size:,.0f}" if size >= 100 else f"{sign}£{size:,.2f}"
    words = CHANGE_UNITS[unit]
    return f"{sign}{size:,.{places}f}" + (f" {words}" if words else "")


def comparison(result: MeasureResult, card: ReportCard) -> str:
    """ "better than 2024-25 Q4 (60%): +5.0 percentage points", and so on."""
    previous = shown(result.spec.unit, result.previous)
    moved = change_text(result)
    if result.trend == "same" and moved != "no change" and result.change.low is not None:
        moved += ", within noise"
    moved = f": {moved}" if moved else ""
    return f"{TREND_WORDS[result.trend]} {card.previous_period.label} ({previous}){moved}"


def story_told(card: ReportCard) -> list[tuple[str, str]]:
    """The sections of the story that were written, with their headings, in order."""
    return [(STORY_FIELDS[key], text) for key, text in card.story.items() if text.strip()]
