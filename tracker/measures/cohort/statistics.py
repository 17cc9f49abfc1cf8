"""The statistics behind the cohort figures: tests, intervals, effect sizes, percentages.

Each is the textbook definition named in docs/metrics.md, with every scipy setting
stated rather than left to a default, and each gives null rather than NaN or
infinity, so every figure can go straight to JSON.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

# Each function imports scipy.stats itself: it takes a second to load, and most commands
# (and the report card) never need it.

# At or below this many pairs, scipy's Wilcoxon (method "auto", scipy 1.15 on)
# enumerates every sign flip when there are ties or zeros.
EXACT_WILCOXON_MAX_N = 13
# A test is "significant" (the ◆ marker) below this p, after Holm's adjustment.
SIGNIFICANCE = 0.05
# The two-sided 95% normal quantile, as the contract writes it for the SRM's interval.
Z_95 = 1.96
SRM_NOTE = (
    "The standardised response mean divides the mean change by the spread of the "
    "changes, not of the scores, so it is not comparable with Cohen's benchmarks for "
    "effect sizes (0.2 small, 0.5 medium, 0.8 large)."
)
NET_IMPROVEMENT_METHOD = (
    "Newcombe (1998) method 10: Wilson score intervals for the paired difference of proportions"
)


def json_number(value) -> float | None:
    """A JSON-safe float: NaN and infinities become null."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def percent(part: int, whole: int) -> float | None:
    """``100 × part / whole``, or null when there is no whole."""
    return json_number(100 * part / whole) if whole else None


def _sign_flip_p(values: np.ndarray) -> float:
    """Two-sided p over all 2^n sign flips of the non-zero changes, as scipy does it.

    scipy gets there by calling the statistic once per flip (up to 8,192
    times); the rank sums of every flip can be counted directly instead. The
    ranks of |change| are the same under any flip and are whole or half
    numbers, so doubling them makes the count exact.
    """
    from scipy import stats

    nonzero = values[values != 0]
    doubled = np.rint(stats.rankdata(np.abs(nonzero)) * 2).astype(int)
    observed = int(doubled[nonzero > 0].sum())
    ways = np.zeros(int(doubled.sum()) + 1)
    ways[0] = 1
    for rank in doubled:
        ways[rank:] = ways[rank:] + ways[: len(ways) - rank].copy()
    ways /= ways.sum()
    return float(min(1.0, 2 * min(ways[: observed + 1].sum(), ways[observed:].sum())))


def wilcoxon_p(changes: pd.Series) -> float | None:
    """Two-sided Wilcoxon signed-rank p of the changes; null when every change is 0.

    Zeros are dropped (``zero_method="wilcox"``), as the sign test drops ties, and
    ``method="auto"``, which from scipy 1.15 means: the exact distribution for up to 50
    changes with no ties or zeros; every sign flip counted for up to 13 changes with
    them (done here directly, with the same p-values); otherwise the normal
    approximation with the tie correction and no continuity correction.
    """
    from scipy import stats

    values = changes.to_numpy(dtype=float)
    if values.size == 0 or not np.any(values != 0):
        return None
    if values.size <= EXACT_WILCOXON_MAX_N:
        return json_number(_sign_flip_p(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.wilcoxon(
            values,
            zero_method="wilcox",
            correction=False,
            alternative="two-sided",
            method="auto",
        )
    return json_number(result.pvalue)


def sign_test_p(changes: pd.Series) -> float | None:
    """Exact two-sided sign test of improved against worse, ties dropped; null with none.

    It asks only whether more families improved than got worse, more than chance would
    give, which suits ordinal scores with many ties.
    """
    from scipy import stats

    improved, worse = int((changes > 0).sum()), int((changes < 0).sum())
    if improved + worse == 0:
        return None
    return json_number(stats.binomtest(improved, improved + worse, 0.5).pvalue)


def holm_adjusted(p_values: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the p-values given; a null p is not a test.

    The k-th smallest of m p-values is multiplied by m − k + 1, each is raised to the
    largest before it so the order is kept, and capped at 1. It holds the chance of
    any false finding among the m tests at the level chosen, whatever their dependence.
    """
    tested = sorted((p, index) for index, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[index] = running
    return adjusted


def standardised_response_mean(changes: pd.Series) -> dict:
    """Mean change ÷ SD of change (ddof 1), with SRM ± 1.96 × √(1/n + SRM²/(2n)).

    Divided by the spread of change, not of scores, it is not on the scale of
    Cohen's d, and his "small, medium, large" benchmarks do not apply to it.
    """
    n = len(changes)
    sd = float(changes.std(ddof=1)) if n >= 2 else math.nan
    if not sd or math.isnan(sd):
        return dict.fromkeys(
            (
                "standardised_response_mean",
                "standardised_response_mean_ci_low",
                "standardised_response_mean_ci_high",
            )
        )
    srm = float(changes.mean()) / sd
    half = Z_95 * math.sqrt(1 / n + srm**2 / (2 * n))
    return {
        "standardised_response_mean": json_number(srm),
        "standardised_response_mean_ci_low": json_number(srm - half),
        "standardised_response_mean_ci_high": json_number(srm + half),
    }


def _wilson(successes: int, n: int) -> tuple[float, float]:
    from scipy import stats

    interval = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def paired_difference_interval(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Newcombe's (1998) method 10: a 95% interval for p1 − p2 from paired yes/no data.

    ``a`` both yes, ``b`` first only, ``c`` second only, ``d`` neither; p1 = (a + b)/n,
    p2 = (a + c)/n. It combines the Wilson score interval of each proportion, allowing
    for their correlation φ; when ad − bc is positive, φ's numerator is first reduced
    by n/2 (to no less than 0), as in the paper.
    """
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    (low1, high1), (low2, high2) = _wilson(a + b, n), _wilson(a + c, n)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    numerator = max(cross - n / 2, 0) if cross > 0 else cross
    phi = numerator / math.sqrt(margins) if margins else 0.0
    below = math.sqrt((p1 - low1) ** 2 - 2 * phi * (p1 - low1) * (high2 - p2) + (high2 - p2) ** 2)
    above = math.sqrt((high1 - p1) ** 2 - 2 * phi * (high1 - p1) * (p2 - low2) + (p2 - low2) ** 2)
    return p1 - p2 - below, p1 - p2 + above


def net_improvement(changes: pd.Series) -> dict:
    """% improved − % worse (any change), in percentage points, with its 95% interval.

    Each family's one overall change makes it one pair (improved?, worse?), never both,
    so the paired table is a = 0, b = improved, c = worse, d = same, and p1 − p2 is
    exactly (improved − worse) / n. Newcombe's method 10 is built for such paired
    proportions, and allows for improved and worse being negatively correlated; with
    ad − bc = −improved × worse never positive, φ needs no reduction.
    """
    improved, worse = int((changes > 0).sum()), int((changes < 0).sum())
    same = int((changes == 0).sum())
    n = improved + same + worse
    figures = dict.fromkeys(
        ("net_improvement", "net_improvement_ci_low", "net_improvement_ci_high")
    )
    if n:
        low, high = paired_difference_interval(0, improved, worse, same)
        figures = {
            "net_improvement": json_number(100 * (improved - worse) / n),
            "net_improvement_ci_low": json_number(100 * low),
            "net_improvement_ci_high": json_number(100 * high),
        }
    return {**figures, "net_improvement_method": NET_IMPROVEMENT_METHOD}


def mean_interval(values: pd.Series, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """Student's t interval for the mean: mean ± t(n-1) × SD / √n; null below two values."""
    from scipy import stats

    n = len(values)
    if n < 2:
        return None, None
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n)
    return json_number(mean - half), json_number(mean + half)


def direction_counts(changes: pd.Series) -> dict:
    """How many changes are positive (better), zero and negative, and as percentages."""
    improved = int((changes > 0).sum())
    same = int((changes == 0).sum())
    worse = int((changes < 0).sum())
    n = improved + same + worse
    return {
        "improved": improved,
        "same": same,
        "worse": worse,
        "pct_improved": percent(improved, n),
        "pct_same": percent(same, n),
        "pct_worse": percent(worse, n),
    }
