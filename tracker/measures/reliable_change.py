"""Reliable change: whether a family's overall change is bigger than the instrument's noise.

Jacobson and Truax's index divides each change by S_diff, the spread that two
readings of an unchanged family would show. The cohort figures, their breakdowns,
the scatter chart and the report card all classify families here, so they agree.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

RELIABLE_CHANGE_Z = 1.96

RELIABLY_BETTER = "Reliably better"
NO_RELIABLE_CHANGE = "No reliable change"
RELIABLY_WORSE = "Reliably worse"
# Keyed as the figures name each count, in the figures' order.
CLASSES = {
    "reliable_improvement": RELIABLY_BETTER,
    "reliable_deterioration": RELIABLY_WORSE,
    "no_reliable_change": NO_RELIABLE_CHANGE,
}


def reliable_change_sd(overall: pd.DataFrame, reliability: float) -> float | None:
    """S_diff = SD(baseline overall, ddof=1) × √(2 × (1 − r)); null when it cannot be had."""
    if len(overall) < 2:
        return None
    s_diff = overall["baseline"].std(ddof=1) * math.sqrt(2 * (1 - reliability))
    return None if not s_diff or math.isnan(s_diff) else float(s_diff)


def with_rci(overall: pd.DataFrame, reliability: float) -> tuple[pd.DataFrame, float | None]:
    """The families' overall changes with their reliable change index, and the S_diff used."""
    s_diff = reliable_change_sd(overall, reliability)
    return overall.assign(rci=overall["change"] / s_diff if s_diff else np.nan), s_diff


def classify(rci: pd.Series, *, unknown: str | None = None) -> pd.Series:
    """Each family's class: reliably better above +1.96, reliably worse below -1.96, else
    no reliable change; ``unknown`` where the index is unknown (no S_diff)."""
    labels = np.select(
        [
            rci > RELIABLE_CHANGE_Z,
            rci < -RELIABLE_CHANGE_Z,
            rci.between(-RELIABLE_CHANGE_Z, RELIABLE_CHANGE_Z),
        ],
        [RELIABLY_BETTER, RELIABLY_WORSE, NO_RELIABLE_CHANGE],
        default=unknown,
    )
    return pd.Series(labels, index=rci.index, dtype=object)


def class_counts(rci: pd.Series) -> dict[str, int]:
    """How many families fall in each class, keyed as ``CLASSES``; a family whose index
    is unknown is in none."""
    classes = classify(rci)
    return {key: int((classes == label).sum()) for key, label in CLASSES.items()}
