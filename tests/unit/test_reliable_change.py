"""The reliable-change rule every figure, chart and report-card measure shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tracker.measures.reliable_change import (
    NO_RELIABLE_CHANGE,
    RELIABLY_BETTER,
    RELIABLY_WORSE,
    class_counts,
    classify,
    with_rci,
)

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


def test_counts_leave_out_an_unknown_index():
    assert class_counts(RCI) == {
        "reliable_improvement": 1,
        "reliable_deterioration": 1,
        "no_reliable_change": 3,
    }


def test_rci_is_change_over_s_diff_and_unknown_without_spread():
    # Baselines 3 and 5: SD sqrt(2); r = 0.75 gives S_diff = sqrt(2) x sqrt(0.5) = 1.
    overall = pd.DataFrame({"baseline": [3.0, 5.0], "change": [2.5, -0.5]})
    rated, s_diff = with_rci(overall, 0.75)
    assert s_diff == pytest.approx(1.0)
    assert rated["rci"].tolist() == pytest.approx([2.5, -0.5])
    alone, none = with_rci(overall.iloc[:1], 0.75)
    assert none is None and alone["rci"].isna().all()
