"""How a measure moved since the previous period, and whether the move is beyond its noise.

An arrow says something changed. A percentage of a few dozen families moves by several
points from one quarter to the next with nothing changing at all, so a move within the
measure's own noise is "about the same", not an arrow:

- a percentage of counted things (families, reviews, questionnaires) is a proportion:
  the move is within noise when the 95% interval of the difference of two independent
  proportions, Newcombe's hybrid score interval (Newcombe 1998, method 10, built from
  each quarter's Wilson interval), includes zero. The same families are often in both
  quarters; treating the quarters as independent makes the interval wider, so it errs
  towards "about the same";
- a value estimated from families with a standard error (a mean): within noise when
  difference ± 1.96 × √(se₁² + se₂²) includes zero;
- a tally of what was recorded (hours, cases closed, the cost per hour) has no sampling
  noise: any move that shows at the precision it is printed is a move.

A move that rounds to nothing at that precision is never an arrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from tracker.measures.reportcard.value import Value

Z95 = 1.96
# Wilson's interval takes the normal quantile to full precision, as scipy's does.
Z_WILSON = NormalDist().inv_cdf(0.975)
NEWCOMBE = "Newcombe's hybrid score interval for the difference of two proportions (95%)"
NORMAL = "difference ± 1.96 × √(se₁² + se₂²) (95%)"
TALLY = "a tally of what was recorded: no sampling noise"

# The precision each unit's change is printed at; a change that rounds to 0 is no change.
CHANGE_DECIMALS = {"pct": 1, "score": 2, "hours": 1, "days": 0, "count": 0, "money": 2, "rate": 1}
CHANGE_UNITS = {
    "pct": "percentage points",
    "score": "points",
    "hours": "hours",
    "days": "days",
    "count": "",
    "money": "£",
    "rate": "per 100 families",
}


@dataclass(frozen=True)
class Change:
    """The move from the previous period: its size, its 95% interval where the measure has
    noise, how that was judged, and the trend word (better, worse, up, down, same or
    '' when there is nothing to compare)."""

    difference: float | None
    low: float | None
    high: float | None
    method: str
    trend: str

    def as_dict(self, unit: str) -> dict:
        return {
            "difference": self.difference,
            "unit": CHANGE_UNITS[unit],
            "ci_low": self.low,
            "ci_high": self.high,
            "method": self.method,
        }


def wilson(successes: float, n: float) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion, in closed form (no scipy to load, so
    the command line's report card starts quicker): the same as scipy's
    ``binomtest(...).proportion_ci(0.95, method="wilson")``."""
    successes, n = int(successes), int(n)
    share, z2 = successes / n, Z_WILSON**2
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_WILSON * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(
    successes1: float, n1: float, successes2: float, n2: float
) -> tuple[float, float]:
    """Newcombe's (1998) method 10: a 95% interval for p1 − p2, independent samples."""
    p1, p2 = successes1 / n1, successes2 / n2
    (low1, high1), (low2, high2) = wilson(successes1, n1), wilson(successes2, n2)
    difference = p1 - p2
    return (
        difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2),
        difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2),
    )


def _interval(current: Value, earlier: Value, unit: str) -> tuple[float, float, str] | None:
    """The 95% interval of the difference, or None for a tally."""
    if unit == "pct" and current.base and earlier.base:
        low, high = newcombe_difference(current.number, current.base, earlier.number, earlier.base)
        return 100 * low, 100 * high, NEWCOMBE
    if current.se is not None and earlier.se is not None:
        difference = current.value - earlier.value
        half = Z95 * math.sqrt(current.se**2 + earlier.se**2)
        return difference - half, difference + half, NORMAL
    return None


def compare(current: Value, earlier: Value, unit: str, higher_is_better: bool | None) -> Change:
    """The change from ``earlier`` to ``current`` and its trend (see the module's rule)."""
    if current.value is None or earlier.value is None:
        return Change(None, None, None, "", "")
    difference = float(current.value - earlier.value)
    interval = _interval(current, earlier, unit)
    low, high, method = interval if interval is not None else (None, None, TALLY)
    if round(difference, CHANGE_DECIMALS[unit]) == 0 or (interval is not None and low <= 0 <= high):
        trend = "same"
    elif higher_is_better is None:
        trend = "up" if difference > 0 else "down"
    else:
        trend = "better" if (difference > 0) == higher_is_better else "worse"
    return Change(difference, low, high, method, trend)
