"""The report card's forecast and trend arrows, checked against statsmodels and by hand.

The forecast's line and 80% prediction band are checked against statsmodels' OLS; the
trend's interval for two percentages against statsmodels' Newcombe interval; and a seeded
null simulation checks that a percentage with no true change rarely gets an arrow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.tools import add_constant

from tracker.measures.reportcard import Value, compare, forecast
from tracker.measures.reportcard.change import NEWCOMBE, NORMAL, TALLY, newcombe_difference

# --------------------------------------------------------------------------- forecast


def test_forecast_of_a_straight_line():
    # 1, 2, 3, 4 at x = 0..3: slope 1, intercept 1 -> x = 4..7 gives 5, 6, 7, 8; the points
    # lie on the line, so the prediction interval has no width.
    projection = forecast([1.0, 2.0, 3.0, 4.0])
    assert projection.values == pytest.approx([5.0, 6.0, 7.0, 8.0])
    assert projection.low == pytest.approx(projection.values)
    assert projection.high == pytest.approx(projection.values)
    assert projection.used == 4
    assert forecast([1.0, 2.0, 3.0, 4.0], ahead=2).values == pytest.approx([5.0, 6.0])
    assert forecast([4.0] * 4).values == pytest.approx([4.0] * 4)


def test_forecast_keeps_the_positions_of_missing_quarters():
    # Known points (1, 2), (3, 4), (4, 5), (6, 7) lie on y = x + 1; the history has 8
    # quarters so the forecast is at x = 8..11: 9, 10, 11, 12. (Closing the gaps would give
    # another slope.)
    history = [None, 2.0, None, 4.0, 5.0, None, 7.0, None]
    assert forecast(history).values == pytest.approx([9.0, 10.0, 11.0, 12.0])


def test_forecast_and_its_80_percent_band_match_statsmodels():
    history = [3.0, None, 7.5, 6.0, None, 9.0, None, 4.0]
    x = np.array([0, 2, 3, 5, 7], dtype=float)
    y = np.array([3.0, 7.5, 6.0, 9.0, 4.0])
    fit = OLS(y, add_constant(x)).fit()
    future = add_constant(np.arange(8, 12, dtype=float))
    frame = fit.get_prediction(future).summary_frame(alpha=0.2)
    projection = forecast(history)
    assert projection.used == 5
    assert projection.values == pytest.approx(list(frame["mean"]))
    assert projection.low == pytest.approx(list(frame["obs_ci_lower"]))
    assert projection.high == pytest.approx(list(frame["obs_ci_upper"]))


def test_forecast_is_clipped_to_the_measures_range():
    # A percentage climbing 70, 80, 90, 100 heads for 110-140%: clipped to 100. A count
    # falling 30, 20, 10, 0 heads below zero: clipped to 0. Noisy points give a band, and
    # it is clipped too.
    assert forecast([70.0, 80.0, 90.0, 100.0], bounds=(0, 100)).values == [100.0] * 4
    assert forecast([30.0, 20.0, 10.0, 0.0], bounds=(0, None)).values == [0.0] * 4
    noisy = forecast([60.0, 90.0, 70.0, 99.0], bounds=(0, 100))
    assert all(
        0 <= low <= value <= high <= 100
        for low, value, high in zip(noisy.low, noisy.values, noisy.high, strict=True)
    )
    assert noisy.high[-1] == 100.0 and noisy.low[-1] < noisy.values[-1]


def test_forecast_needs_four_known_points():
    assert forecast([]) is None
    assert forecast([None] * 8) is None
    # Three points used to be enough: now they are not.
    assert forecast([1.0, 2.0, 3.0]) is None
    assert forecast([None, 1.0, None, 2.0, 3.0, None]) is None
    assert forecast([0.0, None, 0.0, 0.0, 0.0]).values == pytest.approx([0.0] * 4)  # 0 is known


# --------------------------------------------------------------------------- trend


@pytest.mark.parametrize(
    ("current", "earlier", "higher_is_better", "expected"),
    [
        (60.0, 50.0, True, "better"),
        (40.0, 50.0, True, "worse"),
        (60.0, 50.0, False, "worse"),
        (40.0, 50.0, False, "better"),
        (60.0, 50.0, None, "up"),
        (40.0, 50.0, None, "down"),
        (50.0, 50.0, True, "same"),
        (0.1 + 0.2, 0.3, None, "same"),
        (0.0, 0.0, False, "same"),
        # Rounds to +0.0 at the precision hours are shown: no arrow.
        (10.04, 10.0, None, "same"),
        (None, 50.0, True, ""),
        (50.0, None, None, ""),
        (None, None, False, ""),
    ],
)
def test_trend_of_a_tally(current, earlier, higher_is_better, expected):
    # Hours recorded are a tally: no sampling noise, any move that shows is a move.
    change = compare(Value(current, 10), Value(earlier, 10), "hours", higher_is_better)
    assert change.trend == expected
    if expected:
        assert change.method == TALLY and change.low is None


def test_newcombe_interval_matches_statsmodels():
    for counts in ((3, 5, 3, 4), (0, 12, 5, 9), (40, 50, 10, 50), (7, 7, 0, 3)):
        ours = newcombe_difference(*counts)
        theirs = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
        assert ours == pytest.approx(theirs, abs=1e-9), counts


def test_a_percentage_move_within_noise_is_about_the_same():
    # 3 of 5 (60%) against 3 of 4 (75%): -15 percentage points, but the 95% interval of
    # the difference (Newcombe) runs from about -57 to +38, so it is "about the same".
    change = compare(Value(60.0, 5, 3, base=5), Value(75.0, 4, 3, base=4), "pct", True)
    assert change.difference == pytest.approx(-15.0)
    assert change.method == NEWCOMBE
    assert change.low < 0 < change.high
    assert change.trend == "same"
    # 60 of 100 against 30 of 100: +30 points, interval well clear of zero.
    clear = compare(Value(60.0, 100, 60, base=100), Value(30.0, 100, 30, base=100), "pct", True)
    assert 0 < clear.low < clear.high and clear.trend == "better"


def test_a_mean_moves_only_beyond_its_standard_errors():
    # +0.5 with standard errors 0.2 and 0.2: 1.96 × √0.08 = 0.554 > 0.5, about the same;
    # with 0.1 and 0.1 it is 0.277, so better.
    noisy = compare(Value(1.5, 20, se=0.2), Value(1.0, 20, se=0.2), "score", True)
    assert noisy.method == NORMAL and noisy.trend == "same"
    assert noisy.high - noisy.low == pytest.approx(2 * 1.96 * math.sqrt(0.08))
    assert compare(Value(1.5, 20, se=0.1), Value(1.0, 20, se=0.1), "score", True).trend == (
        "better"
    )


def test_null_percentages_rarely_get_an_arrow():
    # Two quarters of 40 families, each better off with the same chance 0.3: no true
    # change. A 95% interval should show an arrow about 5% of the time (5.2% with this
    # seed); the old rule (any difference) showed one whenever the counts differed, over 80%
    # of the time. The rate from 2,000 draws has an SE of √(0.05 × 0.95 / 2000) ≈ 0.5
    # points, so 8% (six SEs above 5%) fails only if the interval is truly too narrow.
    rng = np.random.default_rng(18)
    draws = rng.binomial(40, 0.3, size=(2000, 2))
    arrows = sum(
        compare(
            Value(100 * a / 40, 40, a, base=40), Value(100 * b / 40, 40, b, base=40), "pct", True
        ).trend
        in ("better", "worse")
        for a, b in draws
    )
    assert arrows / 2000 < 0.08
    assert sum(a != b for a, b in draws) / 2000 > 0.8
