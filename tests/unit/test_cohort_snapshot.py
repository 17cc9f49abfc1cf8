"""Needs at entry and who is not in the figures, on a hand-worked cohort (docs/metrics.md,
"Snapshot at entry" and "Who is not in these figures"), checked against counts made
independently (a pandas crosstab of the baselines written out by hand), and the excluded
list's partition on the sample cohort against a count made in SQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.unit.helpers import frames
from tests.unit.small_instruments import cut_down
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import CohortFilter, build_cohort, figures, load_cohort
from tracker.measures.cohort.excluded import (
    AWAITING_REVIEW,
    FAMILY_REASONS,
    IN_FIGURES,
    NO_PAIRED_AREAS,
    NOT_CLASSIFIABLE,
    OTHER_RATER_ONLY,
    excluded_counts,
    family_reasons,
    other_rater_only,
    others_in_view,
)
from tracker.measures.cohort.snapshot import need_bands, snapshot

TAF4 = cut_down("taf-dtt", 4)  # housing, income, family history, social links
H, M, F, S = TAF4.domain_keys  # M: money (income)
START, END = date(2025, 1, 1), date(2025, 12, 31)
ROWS = [
    # 1: reviewed on every area: in the figures
    (1, 1, "baseline", "2025-01-10", "worker", {H: 5, M: 4, F: 2, S: 1}),
    (2, 1, "review", "2025-04-10", "worker", {H: 3, M: 3, F: 2, S: 1}),
    # 2: one reading only: awaiting review, but in the snapshot
    (3, 2, "baseline", "2025-01-12", "worker", {H: 4, M: 4, F: 3, S: 2}),
    # 3: reviewed, but housing only at baseline and income only at review: no paired area
    (4, 3, "baseline", "2025-01-15", "joint", {H: 4}),
    (5, 3, "review", "2025-04-01", "worker", {M: 2}),
    # 4: one area paired of four (fewer than half): not classifiable
    (6, 4, "baseline", "2025-02-01", "worker", {H: 5, M: 5, F: 4, S: 3}),
    (7, 4, "review", "2025-05-01", "worker", {H: 4}),
    # 5: rated only by the family: other rater only
    (8, 5, "baseline", "2025-02-10", "family", {H: 2}),
    # 6: in the figures, and re-referred: one later journey
    (9, 6, "baseline", "2025-02-11", "worker", {H: 3, M: 4, F: 5, S: 4}),
    (10, 6, "review", "2025-03-11", "worker", {H: 2, M: 3, F: 4, S: 3}),
    (11, 6, "baseline", "2025-06-01", "worker", {H: 5}),
    # 7: started before the window: not in this view
    (12, 7, "baseline", "2024-12-01", "worker", {H: 5}),
    # 8: the worker's baseline before the window, the family's in it: not in this view
    (13, 8, "baseline", "2024-12-15", "worker", {H: 1}),
    (14, 8, "baseline", "2025-01-20", "family", {H: 5}),
]
# Each family's first baseline (worker or joint) in the window, written out by hand.
BASELINES = {
    1: {H: 5, M: 4, F: 2, S: 1},
    2: {H: 4, M: 4, F: 3, S: 2},
    3: {H: 4},
    4: {H: 5, M: 5, F: 4, S: 3},
    6: {H: 3, M: 4, F: 5, S: 4},
}


@pytest.fixture
def hand():
    everyone, scores = frames(ROWS, as_timestamp=True)
    chosen = everyone[everyone["rater"] != "family"]
    cohort = build_cohort(chosen, scores, TAF4, baseline_from=START, baseline_to=END)
    return cohort, everyone


def test_a_need_is_the_worse_two_bands_of_five():
    assert need_bands(get_instrument("taf-dtt")) == ("Significant", "Critical / complex")
    assert need_bands(get_instrument("family-outcomes-10")) == ("Stuck", "Open to help")


def test_the_snapshot_counts_every_baseline_as_a_crosstab_does(hand):
    cohort, _ = hand
    shown = snapshot(cohort, min_group=1)
    long = pd.DataFrame(
        [(domain, value) for values in BASELINES.values() for domain, value in values.items()],
        columns=["domain", "value"],
    )
    labels = [band.label for band in TAF4.bands]
    expected = pd.crosstab(long["domain"], long["value"].map(lambda v: labels[int(v) - 1]))
    expected = expected.reindex(index=list(TAF4.domain_keys), columns=labels, fill_value=0)
    got = shown.bands.pivot(index="domain", columns="band", values="families")
    assert got.reindex(index=expected.index, columns=labels).astype(int).equals(expected)
    # By hand: housing 5 families (3, 4, 4, 5, 5), income 4 (family 3 left it blank).
    housing = shown.bands[shown.bands["domain"] == H].set_index("band")
    assert housing["n"].iloc[0] == 5
    assert housing.loc["Critical / complex", "families"] == 2
    assert housing.loc["Significant", "pct"] == pytest.approx(40)
    assert shown.bands.query("domain == @M")["n"].iloc[0] == 4


def test_the_top_three_needs_by_hand(hand):
    cohort, _ = hand
    top = snapshot(cohort, min_group=1).top_needs()
    # Significant or critical at baseline: income 4 of 4, housing 4 of 5, family history
    # 2 of 4, social links 1 of 4.
    assert top["domain"].tolist() == [M, H, F]
    assert top["families"].tolist() == [4, 4, 2]
    assert top["pct"].tolist() == pytest.approx([100, 80, 50])


def test_small_cells_and_areas_are_hidden_for_a_manager(hand):
    cohort, _ = hand
    shown = snapshot(cohort, min_group=3)
    housing = shown.bands[shown.bands["domain"] == H].set_index("band")
    assert housing.loc["Moderate", "families"] == "*" and housing.loc["Moderate", "pct"] == "*"
    assert housing.loc["None", "families"] == 0
    assert snapshot(cohort, min_group=6).bands["n"].eq("*").all()


def test_every_family_in_the_window_has_one_place_by_hand(hand):
    cohort, everyone = hand
    others = others_in_view(everyone, cohort, START, END)
    reasons = family_reasons(cohort, others).set_index("family_id")["reason"]
    assert reasons.to_dict() == {
        1: IN_FIGURES,
        2: AWAITING_REVIEW,
        3: NO_PAIRED_AREAS,
        4: NOT_CLASSIFIABLE,
        5: OTHER_RATER_ONLY,
        6: IN_FIGURES,
    }
    counts = excluded_counts(cohort, reasons.reset_index(), min_group=1).set_index("reason")
    assert counts.loc["later_journeys", "count"] == 1
    assert counts.loc["every_family", "count"] == 6


VIEWS = [
    CohortFilter(instrument="taf-dtt"),
    CohortFilter(instrument="taf-dtt", raters=("family",)),
    CohortFilter(instrument="family-outcomes-10", tier_of_need="tier 3"),
    CohortFilter(
        instrument="taf-dtt", baseline_from=date(2025, 6, 1), baseline_to=date(2026, 5, 31)
    ),
]


def first_baselines(connection, view: CohortFilter, raters) -> dict[int, date]:
    """Each filtered family's first baseline by ``raters``, straight from SQL."""
    tier = "AND f.tier_of_need = :tier" if view.tier_of_need else ""
    rows = connection.execute(
        sa.text(
            "SELECT a.family_id, MIN(a.assessed_on) FROM assessment a "
            "JOIN family f ON f.id = a.family_id "
            f"WHERE a.instrument = :instrument AND a.occasion = 'baseline' {tier} "
            f"AND a.rater IN ({', '.join(repr(r) for r in raters)}) GROUP BY a.family_id"
        ),
        {"instrument": view.instrument, "tier": view.tier_of_need},
    )
    return {family: date.fromisoformat(str(day)[:10]) for family, day in rows}


@pytest.mark.parametrize("view", VIEWS)
def test_every_family_in_the_window_has_one_place_on_the_sample(sample_engine, view):
    instrument = get_instrument(view.instrument)
    with sample_engine.connect() as connection:
        cohort = load_cohort(connection, view, instrument)
        reasons = family_reasons(cohort, other_rater_only(connection, view, cohort))
        chosen = first_baselines(connection, view, view.raters)
        anyone = first_baselines(connection, view, ("worker", "joint", "family"))

    def inside(day: date) -> bool:
        return (view.baseline_from or date.min) <= day <= (view.baseline_to or date.max)

    expected = {f for f, day in chosen.items() if inside(day)} | {
        f for f, day in anyone.items() if f not in chosen and inside(day)
    }
    assert reasons["family_id"].is_unique
    assert set(reasons["family_id"]) == expected
    assert set(reasons["reason"]) <= {IN_FIGURES, *FAMILY_REASONS}
    exact = figures(cohort, min_group=1)
    told = reasons["reason"].value_counts()
    assert told.get(AWAITING_REVIEW, 0) == exact["awaiting_review"]
    assert told.get(IN_FIGURES, 0) + told.get(NOT_CLASSIFIABLE, 0) == exact["overall"]["n"]
    if exact["overall"]["not_classifiable"] is not None:
        assert told.get(NOT_CLASSIFIABLE, 0) == exact["overall"]["not_classifiable"]
