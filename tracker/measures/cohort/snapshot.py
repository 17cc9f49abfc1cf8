"""Needs at entry: where the cohort's families stood at their baseline, per area.

Every family with a baseline in the view counts, those awaiting their first review
included: the change figures leave out families with only one reading, and this is the
one view that does not (docs/metrics.md, "Snapshot at entry"). A blank score is not a
band, so each area's share is of the families scored in it at baseline.

Service figures are exact, with an area of fewer than ``min_group`` families hidden and
each cell of 1 to ``min_group - 1`` shown as ``*``; published ones go through
``PublishedRule`` (rounded counts, percentages of the rounded counts), and an area whose
shown total and cells would leave a hidden cell only one value is hidden whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.statistics import percent
from tracker.measures.cohort.suppression import suppress_count
from tracker.measures.disclosure import SUPPRESSED, PublishedRule

BAND_COLUMNS = ["domain", "n", "band", "families", "pct"]
NEED_COLUMNS = ["domain", "n", "families", "pct"]
TOP = 3


def need_bands(instrument: Instrument) -> tuple[str, ...]:
    """The bands that count as a need: the worse half of the instrument's bands, the
    middle one left out (TAF 4 and 5, "Significant" and "Critical / complex"; the star's
    "Stuck" and "Open to help")."""
    worst_first = instrument.bands if instrument.higher_is_better else instrument.bands[::-1]
    needs = worst_first[: len(instrument.bands) // 2]
    return tuple(band.label for band in instrument.bands if band in needs)


def baseline_counts(cohort: Cohort) -> pd.DataFrame:
    """Families per area (rows, the instrument's order) and band at baseline (columns,
    in scale order), over every family with a baseline in the cohort."""
    instrument = cohort.instrument
    labels = [band.label for band in instrument.bands]
    scored = cohort.scores.dropna(subset=["value"])
    at_baseline = cohort.pairs[["family_id", "baseline_id"]].merge(
        scored[scored["domain"].isin(instrument.domain_keys)],
        left_on="baseline_id",
        right_on="assessment_id",
    )
    bands = at_baseline["value"].map(lambda value: instrument.band_for(value).label)
    counts = at_baseline.assign(band=bands).groupby(["domain", "band"]).size()
    grid = counts.unstack(fill_value=0) if not counts.empty else pd.DataFrame()
    return grid.reindex(index=list(instrument.domain_keys), columns=labels, fill_value=0).astype(
        int
    )


@dataclass(frozen=True)
class Snapshot:
    """Each area's families at each band at baseline, and at a need band, as shown."""

    bands: pd.DataFrame  # BAND_COLUMNS: one row per area and band
    needs: pd.DataFrame  # NEED_COLUMNS: one row per area, families at a need band
    need_bands: tuple[str, ...]

    def top_needs(self) -> pd.DataFrame:
        """The three areas where the largest share of families scored at baseline were at
        a need band, from the figures as shown (a hidden one is never ranked); ties go to
        the larger count, then to the instrument's order."""
        shown = self.needs[
            self.needs["families"].map(lambda count: count not in (0, None, SUPPRESSED))
        ]
        ranked = shown.assign(
            order=range(len(shown)), share=shown["pct"].astype(float), count=shown["families"]
        ).sort_values(["share", "count", "order"], ascending=[False, False, True])
        return ranked.loc[:, NEED_COLUMNS].head(TOP).reset_index(drop=True)


def _rows(domain: str, n, cells: dict, pcts: dict) -> list[dict]:
    return [
        {"domain": domain, "n": n, "band": band, "families": cells[band], "pct": pcts[band]}
        for band in cells
    ]


def _hidden_area(domain: str, labels: list[str]) -> tuple[list[dict], dict]:
    hidden = dict.fromkeys(labels, SUPPRESSED)
    need = {"domain": domain, "n": SUPPRESSED, "families": SUPPRESSED, "pct": SUPPRESSED}
    return _rows(domain, SUPPRESSED, hidden, hidden), need


def _service_area(domain: str, row: pd.Series, needs: tuple[str, ...], min_group: int):
    n = int(row.sum())
    if 0 < n < min_group:
        return _hidden_area(domain, list(row.index))

    def shown(count: int):
        return SUPPRESSED if suppress_count(count, min_group) is None else count

    def share(count: int):
        return SUPPRESSED if shown(count) == SUPPRESSED else percent(count, n)

    cells = {band: shown(int(count)) for band, count in row.items()}
    pcts = {band: share(int(count)) for band, count in row.items()}
    in_need = int(row[list(needs)].sum())
    need = {"domain": domain, "n": n, "families": shown(in_need), "pct": share(in_need)}
    return _rows(domain, n, cells, pcts), need


def _published_area(domain: str, row: pd.Series, needs: tuple[str, ...], rule: PublishedRule):
    n = int(row.sum())
    if 0 < n < rule.min_group:
        return _hidden_area(domain, list(row.index))
    cells = {band: rule.count(int(count)) for band, count in row.items()}
    in_need = int(row[list(needs)].sum())
    shown_n, shown_need = rule.count(n), rule.count(in_need)
    others = [cells[band] for band in row.index if band not in needs]
    if (
        rule.pins_a_part(shown_n, list(cells.values()))
        or rule.pins_a_part(shown_need, [cells[band] for band in needs])
        or rule.pins_a_part(shown_n, [shown_need, *others])
    ):
        # Hidden whole, zeros too: the total less the cells shown would give a hidden one.
        return _hidden_area(domain, list(row.index))
    pcts = {band: rule.percent(int(count), n) for band, count in row.items()}
    need = {
        "domain": domain,
        "n": shown_n,
        "families": shown_need,
        "pct": rule.percent(in_need, n),
    }
    return _rows(domain, shown_n, cells, pcts), need


def _snapshot(cohort: Cohort, area) -> Snapshot:
    needs = need_bands(cohort.instrument)
    rows, need_rows = [], []
    for domain, row in baseline_counts(cohort).iterrows():
        bands, need = area(domain, row, needs)
        rows += bands
        need_rows.append(need)
    return Snapshot(
        bands=pd.DataFrame(rows, columns=BAND_COLUMNS),
        needs=pd.DataFrame(need_rows, columns=NEED_COLUMNS),
        need_bands=needs,
    )


def snapshot(cohort: Cohort, *, min_group: int) -> Snapshot:
    """Needs at baseline for a manager: exact, small areas and cells hidden as ``*``."""
    return _snapshot(cohort, lambda d, row, needs: _service_area(d, row, needs, min_group))


def published_snapshot(cohort: Cohort, *, min_group: int) -> Snapshot:
    """Needs at baseline for publication: counts rounded, percentages of the rounded
    counts, an area hidden whole when its cells could be worked out from its total."""
    rule = PublishedRule(min_group)
    return _snapshot(cohort, lambda d, row, needs: _published_area(d, row, needs, rule))
