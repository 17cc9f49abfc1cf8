"""The cohort page's reports as tables: needs at entry, who is not in the figures, and
the numbers behind each chart ("Chart data").

Each takes figures already suppressed (service) or published by
``tracker.measures.cohort``, so a table shows ``*`` wherever the figures hide one and a
chart's data is exactly what the chart was drawn from.
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.excluded import REASONS
from tracker.measures.cohort.snapshot import Snapshot
from tracker.measures.cohort.window import uk_date
from tracker.render.cohort_charts import significant
from tracker.render.cohort_tables import (
    breakdown_table,
    domain_table,
    figure_text,
    over_time_table,
    rounded_columns,
)
from tracker.render.downloads import SUPPRESSED

SCORED = "Families scored at baseline"
IN_NEED = "Families at a need band"
SHARE_IN_NEED = "% of those scored"
HOW_MANY = "How many"
SNAPSHOT_COLUMNS = {
    "Area": "One area of the assessment.",
    SCORED: "Families with a baseline in this view who were scored in this area then, "
    "those still awaiting a review included.",
    "Each band": "How many of them were at that band at baseline, and their share (%).",
}
TOP_NEEDS_COLUMNS = {
    "Rank": "1 is the area where the largest share of families was at a need band.",
    "Area": "One area of the assessment.",
    IN_NEED: "Families at a band counted as a need at baseline (see above).",
    SHARE_IN_NEED: "Their share of the families scored in this area at baseline.",
}
EXCLUDED_COLUMNS = {
    "Reason": "Why these families are not in the change figures.",
    "What it means": "The rule, in a line.",
    HOW_MANY: "Families, or journeys in the later journeys row.",
}
LIST_COLUMNS = {
    "Family": "The family's reference, and the short name its key worker gave it.",
    "Reason": "Why it is not in the figures.",
    "Baseline on": "Its first baseline; for a later journey, when that journey began.",
}


def _labels(instrument: Instrument) -> dict[str, str]:
    return {domain.key: domain.label for domain in instrument.domains}


def snapshot_data(shown: Snapshot, instrument: Instrument) -> pd.DataFrame:
    """The numbers behind the needs-at-entry chart and table: per area, the families
    scored and, per band in scale order, the families there and their share."""
    rows = []
    for domain, bands in shown.bands.groupby("domain", sort=False):
        row = {"Area": _labels(instrument)[domain], SCORED: bands["n"].iloc[0]}
        for band in bands.itertuples(index=False):
            row[f"{band.band}: families"] = band.families
            row[f"{band.band}: %"] = band.pct
        rows.append(row)
    table = pd.DataFrame(rows)
    shares = [column for column in table.columns if column.endswith(": %")]
    return rounded_columns(table, {SCORED: 0, **dict.fromkeys(shares, 0)})


def snapshot_table(shown: Snapshot, instrument: Instrument) -> pd.DataFrame:
    """For the screen: one column per band, "count (share%)", so it fits a tablet."""
    data = snapshot_data(shown, instrument)
    table = data.loc[:, ["Area", SCORED]]
    for band in (band.label for band in instrument.bands):
        table[band] = [
            _count_share(count, share)
            for count, share in zip(data[f"{band}: families"], data[f"{band}: %"], strict=True)
        ]
    return table


def _count_share(count, share) -> str:
    if count == SUPPRESSED:
        return SUPPRESSED
    return f"{count} ({figure_text(share, '%')})" if count else "0"


def top_needs_table(shown: Snapshot, instrument: Instrument) -> pd.DataFrame:
    top = shown.top_needs()
    table = pd.DataFrame(
        {
            "Rank": range(1, len(top) + 1),
            "Area": top["domain"].map(_labels(instrument)),
            IN_NEED: top["families"],
            SHARE_IN_NEED: top["pct"],
        }
    )
    return rounded_columns(table, {IN_NEED: 0, SHARE_IN_NEED: 0})


def excluded_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The reasons and how many each: counts only, as every audience may see them."""
    return pd.DataFrame(
        {
            "Reason": counts["name"],
            "What it means": counts["meaning"],
            HOW_MANY: counts["count"].astype(object),
        }
    )


def excluded_list_table(listed: pd.DataFrame) -> pd.DataFrame:
    """The families left out, by reference: for managers only, never published."""
    return pd.DataFrame(
        {
            "Family": listed["family"],
            "Reason": listed["reason"].map(lambda key: REASONS[key].name),
            "Baseline on": listed["baseline_on"].map(lambda day: uk_date(pd.Timestamp(day))),
        }
    )


def star_data(result: dict, instrument: Instrument) -> pd.DataFrame:
    """What the cohort star draws: each area's mean at baseline and at the latest review."""
    return domain_table(result, instrument).loc[
        :, ["Area", "Families", "Mean at baseline", "Mean at latest"]
    ]


def change_by_area_data(result: dict, instrument: Instrument) -> pd.DataFrame:
    """What the change-by-area bars draw: % worse, same and improved per area, and ◆."""
    table = domain_table(result, instrument).loc[
        :, ["Area", "Families", "% worse", "% same", "% improved"]
    ]
    hidden = table["Families"] == SUPPRESSED
    marks = ["yes" if significant(row) else "no" for row in result["domains"]]
    table["◆ more improved than chance"] = [
        SUPPRESSED if gone else mark for gone, mark in zip(hidden, marks, strict=True)
    ]
    return table


def movement_data(cells: pd.DataFrame) -> pd.DataFrame:
    """What the movement heatmap draws: families per band at baseline and at latest."""
    return pd.DataFrame(
        {
            "Band at baseline": cells["baseline_band"],
            "Band at latest": cells["latest_band"],
            "Families": [
                SUPPRESSED if n is None or n == SUPPRESSED or pd.isna(n) else int(n)
                for n in cells["families"]
            ],
        }
    )


def breakdown_data(groups: pd.DataFrame, dimension_label: str) -> pd.DataFrame:
    """What the breakdown chart draws: mean change with its interval, % reliably improved."""
    return breakdown_table(groups, dimension_label).drop(columns=["% improved"])


def over_time_data(points: pd.DataFrame, *, scores: bool) -> pd.DataFrame:
    """What the over-time chart draws: the change, or the same families' mean scores."""
    table = over_time_table(points)
    drawn = (
        ["Same families: mean at baseline", "Same families: mean at that month"]
        if scores
        else ["Mean change from baseline (+ is better)"]
    )
    return table.loc[:, ["Group", "Months since baseline", "Families", *drawn]]


def scatter_data(dots: pd.DataFrame) -> pd.DataFrame:
    """What the reliable change scatter draws: one row per family, no reference, in the
    chart's shuffled order. For managers only, never published."""
    table = pd.DataFrame(
        {
            "Overall score at baseline": dots["baseline"],
            "Overall score at the latest review": dots["latest"],
            "Reliable change": dots["classification"],
        }
    )
    return rounded_columns(table, dict.fromkeys(table.columns[:2], 2))
