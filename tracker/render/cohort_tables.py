"""The cohort's figures as tables for the page and for downloads, with ``*`` where suppressed.

Also the figures as a tile shows them, and a line on what each table's columns hold.
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.render.downloads import SUPPRESSED, mark_suppressed
from tracker.render.plain_text import markdown_literal

NOT_AVAILABLE = "–"


def whole_or_rounded(value: float, places: int) -> int | float:
    """``value`` to ``places`` decimals, and a whole number as an int: a change of 1 reads
    "1", never "1.0", in the page's tables and in a downloaded CSV alike."""
    rounded = round(float(value), places)
    return int(rounded) if rounded.is_integer() else rounded


def figure_text(value, suffix: str = "", digits: int = 0) -> str:
    """A figure for a tile: ``*`` when hidden, a dash when there is none to show, a whole
    number without decimals."""
    if value == SUPPRESSED:
        return SUPPRESSED
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, float):
        value = whole_or_rounded(value, digits)
    return f"{value:.{digits}f}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


def count_with_pct(count, pct) -> str:
    """A count and its percentage for a tile, "16 (33%)"; the count alone when hidden."""
    if count in (None, SUPPRESSED):
        return figure_text(count)
    return f"{count} ({figure_text(pct, '%')})"


def interval_text(low, high, digits: int = 0) -> str | None:
    """A 95% interval as "low to high", or None when either end is hidden or missing."""
    if any(end is None or end == SUPPRESSED for end in (low, high)):
        return None
    return f"{figure_text(low, digits=digits)} to {figure_text(high, digits=digits)}"


def rounded_columns(frame: pd.DataFrame, digits: dict[str, int]) -> pd.DataFrame:
    """Round each column; whole numbers (and counts, with 0 digits) become ints, not 6.0."""

    def rounded(value, places: int):
        if isinstance(value, str):  # hidden (*) or a p-value's band: shown as it is
            return value
        if value is None or pd.isna(value):
            return None
        return whole_or_rounded(value, places)

    return frame.assign(
        **{
            column: pd.Series(
                [rounded(v, d) for v in frame[column]], index=frame.index, dtype=object
            )
            for column, d in digits.items()
        }
    )


# What each table's columns hold, a line each, for the page's "What the columns mean";
# the wording follows docs/metrics.md. "Families" differs by table, so each has its own.
CHANGE = "+ means better"
DOMAIN_COLUMNS = {
    "Area": "One area of the assessment.",
    "Families": "Families scored in this area at both their baseline and their latest review.",
    "Mean at baseline": "Their average score in this area at baseline.",
    "Mean at latest": "Their average score in this area at their latest review.",
    "Mean change (+ is better)": f"The average change from baseline to latest; {CHANGE}.",
    "Median change": "The middle change, with families' changes in order: a few large "
    "changes move it less than the mean.",
    "% improved": "The share of these families whose score in this area got better.",
    "% same": "The share whose score in this area did not change.",
    "% worse": "The share whose score in this area got worse.",
    "Sign test p": "How likely a split of improved against worse at least this uneven "
    "would be by chance, if families were as likely to get better as worse (no change "
    "left out); small means unlikely.",
    "p allowing for every area (Holm)": "The same chance, allowing for testing every area "
    "at once (Holm's method); below 0.05 earns the area a ◆.",
}
BREAKDOWN_COLUMNS = {
    "Families": "Families in this group with a review, scored in at least one area at "
    "both baseline and latest.",
    "Mean change (+ is better)": "The group's average overall change from baseline to "
    f"latest; {CHANGE}.",
    "95% interval from": "The lower end of the range the group's average change "
    "probably lies in (95% confidence interval).",
    "95% interval to": "The upper end of that range.",
    "% improved": "The share of the group whose overall score got better by any amount.",
    "% reliably improved": "The share of the group reliably better: improved by more than "
    "measurement error, judged against the service's one yardstick.",
}
MOVEMENT_HEADING = "Band at baseline \\ at latest"
MOVEMENT_COLUMNS = {
    MOVEMENT_HEADING: "Each row is a band at baseline, each column a band at "
    "the latest review; a cell counts the families who moved so (the diagonal stayed in "
    "their band).",
}
OVER_TIME_COLUMNS = {
    "Group": "The families the line is for.",
    "Months since baseline": "Whole months from each family's baseline to the assessment.",
    "Families": "Families assessed that many months after their baseline.",
    "Mean change from baseline (+ is better)": "Their average change from their own "
    f"baseline, over the areas scored both times; {CHANGE}.",
    "Same families: mean at baseline": "The same families' average score at their "
    "baseline, over the same areas.",
    "Same families: mean at that month": "Their average score at that month, over the same areas.",
}


def meanings_list(pairs) -> str:
    """Names and their one-line meanings as a Markdown list, every word shown as written."""
    return "\n".join(
        f"- **{markdown_literal(name)}**: {markdown_literal(line)}" for name, line in pairs
    )


def column_meanings(table: pd.DataFrame, meanings: dict[str, str]) -> list[tuple[str, str]]:
    """The columns of ``table`` that ``meanings`` explains, with their lines, in order."""
    return [(column, meanings[column]) for column in table.columns if column in meanings]


def breakdown_meanings(dimension_label: str) -> dict[str, str]:
    return {dimension_label: f"Families grouped by {dimension_label.lower()}.", **BREAKDOWN_COLUMNS}


def domain_table(result: dict, instrument: Instrument) -> pd.DataFrame:
    labels = {domain.key: domain.label for domain in instrument.domains}
    rows = pd.DataFrame(result["domains"])
    table = pd.DataFrame(
        {
            "Area": rows["domain"].map(labels),
            "Families": rows["n"],
            "Mean at baseline": rows["mean_baseline"],
            "Mean at latest": rows["mean_latest"],
            "Mean change (+ is better)": rows["mean_change"],
            "Median change": rows["median_change"],
            "% improved": rows["pct_improved"],
            "% same": rows["pct_same"],
            "% worse": rows["pct_worse"],
            "Sign test p": rows["sign_test_p"],
            "p allowing for every area (Holm)": rows["p_holm"],
        }
    )
    table = rounded_columns(
        table,
        {
            "Families": 0,
            "Mean at baseline": 2,
            "Mean at latest": 2,
            "Mean change (+ is better)": 2,
            "Median change": 2,
            "% improved": 0,
            "% same": 0,
            "% worse": 0,
            "Sign test p": 4,
            "p allowing for every area (Holm)": 4,
        },
    )
    figures = [column for column in table.columns if column != "Area"]
    return mark_suppressed(table, rows["n"].isna() | (rows["n"] == SUPPRESSED), figures)


def breakdown_table(groups: pd.DataFrame, dimension_label: str) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            dimension_label: groups["group"],
            "Families": groups["n"],
            "Mean change (+ is better)": groups["mean_change"],
            "95% interval from": groups["ci_low"],
            "95% interval to": groups["ci_high"],
            "% improved": groups["pct_improved"],
            "% reliably improved": groups["pct_reliable_improvement"],
        }
    )
    table = rounded_columns(
        table,
        {
            "Families": 0,
            "Mean change (+ is better)": 2,
            "95% interval from": 2,
            "95% interval to": 2,
            "% improved": 0,
            "% reliably improved": 0,
        },
    )
    return mark_suppressed(table, groups["suppressed"], list(table.columns[1:]))


def transition_table(cells: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    order = [band.label for band in instrument.bands]
    grid = cells.assign(
        families=cells["families"].map(
            lambda n: SUPPRESSED if n is None or n == SUPPRESSED or pd.isna(n) else int(n)
        )
    ).pivot(index="baseline_band", columns="latest_band", values="families")
    grid = grid.reindex(index=order, columns=order)
    grid.index.name = MOVEMENT_HEADING
    return grid.reset_index()


def over_time_table(points: pd.DataFrame) -> pd.DataFrame:
    """Each month's point: the mean change from baseline of the families assessed then,
    and those same families' mean scores at their baseline and at that month."""
    table = pd.DataFrame(
        {
            "Group": points["group"],
            "Months since baseline": points["month"],
            "Families": points["n"],
            "Mean change from baseline (+ is better)": points["mean_change"],
            "Same families: mean at baseline": points["mean_baseline"],
            "Same families: mean at that month": points["mean_at_month"],
        }
    )
    figures = list(table.columns[2:])
    table = rounded_columns(table, {"Families": 0, **dict.fromkeys(figures[1:], 2)})
    return mark_suppressed(table, points["suppressed"], figures)
