"""The statistics behind the cohort figures: intervals, signed-rank tests, percentages.

Each is the textbook (or scipy's default) definition named in docs/metrics.md, and
each gives null rather than NaN or infinity, so every figure can go straight to JSON.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

# At or below this many pairs, scipy's default Wilcoxon enumerates every sign flip.
EXACT_WILCOXON_MAX_N = 13


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
    """Two-sided p over all 2^n sign flips of the non-zero changes, as scipy's default does.

    scipy gets there by calling the statistic once per flip (up to 8,192
    times); the rank sums of every flip can be counted directly instead. The
    ranks of |change| are the same under any flip and are whole or half
    numbers, so doubling them makes the count exact.
    """
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
    """scipy's Wilcoxon signed-rank p (default settings), or null when every change is 0."""
    values = changes.to_numpy(dtype=float)
    if values.size == 0 or not np.any(values != 0):
        return None
    if values.size <= EXACT_WILCOXON_MAX_N:
        return json_number(_sign_flip_p(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return json_number(stats.wilcoxon(values).pvalue)


def mean_interval(values: pd.Series, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """Student's t interval for the mean: mean ± t(n-1) × SD / √n; null below two values."""
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
