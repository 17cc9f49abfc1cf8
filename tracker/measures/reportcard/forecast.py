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

from dataclasses import dataclass

import numpy as np
from scipy import stats

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
    t = stats.t.ppf(0.5 + FORECAST_INTERVAL / 2, n - 2)
    half = t * residual_sd * np.sqrt(1 + 1 / n + (future - x.mean()) ** 2 / spread_x)
    return Projection(
        values=_clip(centre, bounds),
        low=_clip(centre - half, bounds),
        high=_clip(centre + half, bounds),
        used=n,
    )
