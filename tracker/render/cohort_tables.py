"""The cohort's figures as tables for the page and for downloads, with ``*`` where suppressed."""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.render.downloads import SUPPRESSED, mark_suppressed


def _round(frame: pd.DataFrame, digits: dict[str, int]) -> pd.DataFrame:
    """Round each column; whole numbers (and counts, with 0 digits) become ints, not 6.0."""

    def rounded(value, places: int):
        if isinstance(value, str):  # hidden (*) or a p-value's band: shown as it is
            return value
        if value is None or pd.isna(value):
            return None
        return round(float(value)) if places == 0 else round(float(value), places)

    return frame.assign(
        **{
            column: pd.Series(
                [rounded(v, d) for v in frame[column]], index=frame.index, dtype=object
            )
            for column, d in digits.items()
        }
    )


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
    table = _round(
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
    table = _round(
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
    grid.index.name = "Band at baseline \\ at latest"
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
    table = _round(table, {"Families": 0, **dict.fromkeys(figures[1:], 2)})
    return mark_suppressed(table, points["suppressed"], figures)
