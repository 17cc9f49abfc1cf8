"""The reliable-change rule every figure, chart and report-card measure shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.unit.small_instruments import cut_down
from tracker.instruments.loader import get_instrument
from tracker.measures.reliable_change import (
    NO_RELIABLE_CHANGE,
    RELIABLY_BETTER,
    RELIABLY_WORSE,
    at_caseness,
    class_counts,
    classify,
    min_paired_domains,
    reliably_recovered,
    with_rci,
)

TAF = get_instrument("taf-dtt")  # 22 areas
STAR = get_instrument("family-outcomes-10")  # 10 areas
FOUR = cut_down("taf-dtt", 4)

# Above +1.96 is better, below -1.96 worse; 1.96 itself is not reliable either way.
RCI = pd.Series([2.0, 1.96, 0.0, -1.96, -2.0, np.nan])


def test_classes_at_and_beyond_the_threshold():
    assert classify(RCI).tolist() == [
        RELIABLY_BETTER,
        NO_RELIABLE_CHANGE,
        NO_RELIABLE_CHANGE,
        NO_RELIABLE_CHANGE,
        RELIABLY_WORSE,
        None,
    ]
    assert classify(RCI, unknown=NO_RELIABLE_CHANGE).iloc[-1] == NO_RELIABLE_CHANGE


def test_half_the_domains_rounded_up_must_be_paired():
    assert min_paired_domains(TAF) == 11  # 22 / 2
    assert min_paired_domains(STAR) == 5  # 10 / 2
    assert min_paired_domains(cut_down("taf-dtt", 3)) == 2  # 1.5 rounded up


def test_rci_is_change_over_the_given_s_diff_for_classifiable_families_only():
    # Four areas: two paired is half, so families 1 and 2 are classified; family 3 has
    # one paired area and is not. S_diff 0.5: RCI 2.5/0.5 = 5 and -0.5/0.5 = -1.
    overall = pd.DataFrame(
        {"domains": [2, 4, 1], "baseline": [3.0, 5.0, 4.0], "change": [2.5, -0.5, 3.0]}
    )
    rated = with_rci(overall, 0.5, FOUR)
    assert rated["classifiable"].tolist() == [True, True, False]
    assert rated["rci"].iloc[:2].tolist() == pytest.approx([5.0, -1.0])
    assert np.isnan(rated["rci"].iloc[2])
    assert class_counts(rated) == {
        "reliable_improvement": 1,
        "reliable_deterioration": 0,
        "no_reliable_change": 1,
        "not_classifiable": 1,
    }
    unknown = with_rci(overall, None, FOUR)
    assert unknown["rci"].isna().all()
    assert class_counts(unknown)["reliable_improvement"] == 0


def test_counts_leave_out_an_unknown_index_but_count_the_unclassifiable():
    rated = pd.DataFrame({"rci": RCI, "classifiable": [True] * 5 + [False]})
    assert class_counts(rated) == {
        "reliable_improvement": 1,
        "reliable_deterioration": 1,
        "no_reliable_change": 3,
        "not_classifiable": 1,
    }


# Reliable recovery with a caseness threshold of 3 on the overall score.
#   Need scale (lower is better): a case at baseline is >= 3; recovered is < 3 at latest.
#   Star (higher is better): a case is <= 3; recovered is > 3 at latest.
# Every family here is reliably better (RCI 3) unless said otherwise.
def test_reliable_recovery_on_a_need_scale():
    need = cut_down("taf-dtt", 4, caseness=3)
    rated = pd.DataFrame(
        {
            "baseline": [4.0, 3.0, 2.5, 4.0, 4.0],
            "latest": [2.0, 2.5, 1.0, 3.0, 2.0],
            "rci": [3.0, 3.0, 3.0, 3.0, 1.0],
        }
    )
    # 1: case (4) -> 2, better: recovered. 2: at the threshold (3) counts as a case -> 2.5:
    # recovered. 3: not a case at baseline (2.5). 4: still at the threshold at latest.
    # 5: across the line but not reliably better.
    assert at_caseness(rated["baseline"], need).tolist() == [True, True, False, True, True]
    assert reliably_recovered(rated, need).tolist() == [True, True, False, False, False]


def test_reliable_recovery_on_a_star_minds_the_direction():
    star = cut_down("family-outcomes-10", 4, caseness=3)
    rated = pd.DataFrame(
        {"baseline": [2.0, 3.0, 4.0, 2.0], "latest": [5.0, 3.0, 8.0, 5.0], "rci": [3.0] * 4}
    )
    # 1: case (2 <= 3) -> 5 > 3: recovered. 2: stays at 3, still a case. 3: never a case.
    # 4 as 1 but reliably worse: not recovered.
    rated.loc[3, "rci"] = -3.0
    assert at_caseness(rated["baseline"], star).tolist() == [True, True, False, True]
    assert reliably_recovered(rated, star).tolist() == [True, False, False, False]
