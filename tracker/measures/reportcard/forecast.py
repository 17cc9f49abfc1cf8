"""The "turn the curve" forecast: where a measure is heading if nothing changes, and how
sure that is.

A straight least-squares line through the known quarters, projected ahead, with the 80%
prediction interval of that same fit: for a future quarter x₀,

    ŷ₀ ± t(0.90, n − 2) × s × √(1 + 1/n + (x₀ − x̄)² / Σ(x − x̄)²),

where s² is the residual variance (n − 2 degrees of freedom). A line through three points
has one degree of freedom left and an interval too wide to say anything, so at least
four known quarters are needed. Quarters keep their places: a suppressed or missing
quarter is a gap, not a reason to close up the line. The line and its band are clipped
to the values the measure can take (0-100 for a percentage, 0 or more for a count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FORECAST_QUARTERS = 4
MIN_FORECAST_POINTS = 4
FORECAST_INTERVAL = 0.80


@dataclass(frozen=True)
class Projection:
    """The forecast for the quarters ahead: the line and its prediction interval, and how
    many known quarters it was drawn from."""

    values: list[float]
    low: list[float]
    high: list[float]
    used: int


def _central_share(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t on a whole number of degrees of freedom, by the exact
    finite sums of Abramowitz and Stegun 26.7.3 and 26.7.4."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    term = total = math.cos(theta) if df % 2 else 1.0
    for k in range(3 if df % 2 else 2, df - 1, 2):
        term *= cos2 * (k - 1) / k
        total += term
    if df % 2 == 0:
        return math.sin(theta) * total
    return 2 / math.pi * (theta + (math.sin(theta) * total if df > 1 else 0))


def t_quantile(share: float, df: int) -> float:
    """The ``share`` quantile (above one half) of Student's t on ``df`` degrees of freedom:
    scipy's ``t.ppf``, found by halving, so the command line need not load scipy."""
    wanted, low, high = 2 * share - 1, 0.0, 1.0
    while _central_share(high, df) < wanted:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if _central_share(middle, df) < wanted else (low, middle)
        if high - low < 1e-13 * high:
            break
    return (low + high) / 2


def _clip(values: np.ndarray, bounds: tuple[float | None, float | None]) -> list[float]:
    lowest, highest = bounds
    return [float(value) for value in np.clip(values, lowest, highest)]


def forecast(
    history: list[float | None],
    ahead: int = FORECAST_QUARTERS,
    *,
    bounds: tuple[float | None, float | None] = (None, None),
) -> Projection | None:
    """The line over the known points of ``history`` (by position), projected ``ahead``
    quarters past its end with its 80% prediction interval, clipped to ``bounds``; None
    with fewer than ``MIN_FORECAST_POINTS`` known points."""
    known = [(index, value) for index, value in enumerate(history) if value is not None]
    if len(known) < MIN_FORECAST_POINTS:
        return None
    x = np.array([index for index, _ in known], dtype=float)
    y = np.array([value for _, value in known], dtype=float)
    n = len(x)
    slope, intercept = np.polyfit(x, y, 1)
    residual_sd = np.sqrt(np.sum((y - (intercept + slope * x)) ** 2) / (n - 2))
    spread_x = np.sum((x - x.mean()) ** 2)
    future = np.arange(len(history), len(history) + ahead, dtype=float)
    centre = intercept + slope * future
    t = t_quantile(0.5 + FORECAST_INTERVAL / 2, n - 2)
    half = t * residual_sd * np.sqrt(1 + 1 / n + (future - x.mean()) ** 2 / spread_x)
    return Projection(
        values=_clip(centre, bounds),
        low=_clip(centre - half, bounds),
        high=_clip(centre + half, bounds),
        used=n,
    )
