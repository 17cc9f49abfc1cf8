"""Reliable change: whether a family's overall change is bigger than the instrument's noise.

Jacobson and Truax's index divides each change by S_diff, the spread that two
readings of an unchanged family would show. S_diff is the service's fixed yardstick
(``tracker.measures.yardstick``), never re-estimated from a filtered group. The cohort
figures, their breakdowns, the scatter chart and the report card all classify
families here, so they agree.

A family's overall score is the mean of its paired domains. Resting on one or two of
twenty-two areas, it is not the instrument's overall score, so a family is classified
only when at least half the instrument's domains are paired; the rest are counted as
not classifiable, never dropped without a word.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tracker.instruments.loader import Instrument

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


def min_paired_domains(instrument: Instrument) -> int:
    """The fewest paired domains a family needs to be classified: half, rounded up."""
    return math.ceil(len(instrument.domain_keys) / 2)


def with_rci(overall: pd.DataFrame, s_diff: float | None, instrument: Instrument) -> pd.DataFrame:
    """The families' overall changes (``domains, baseline, latest, change``) with
    ``classifiable`` (at least half the domains paired) and ``rci`` = change ÷ S_diff,
    unknown where the family is not classifiable or there is no S_diff."""
    classifiable = overall["domains"] >= min_paired_domains(instrument)
    change = overall["change"].astype(float)
    rci = change / s_diff if s_diff else pd.Series(np.nan, index=overall.index)
    return overall.assign(classifiable=classifiable, rci=rci.where(classifiable))


def classify(rci: pd.Series, *, unknown: str | None = None) -> pd.Series:
    """Each family's class: reliably better above +1.96, reliably worse below -1.96, else
    no reliable change; ``unknown`` where the index is unknown."""
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


def class_counts(rated: pd.DataFrame) -> dict[str, int]:
    """How many families fall in each class, keyed as ``CLASSES``, and how many are
    ``not_classifiable`` (too few paired domains), from a ``with_rci`` frame."""
    classes = classify(rated["rci"])
    counts = {key: int((classes == label).sum()) for key, label in CLASSES.items()}
    return {**counts, "not_classifiable": int((~rated["classifiable"].astype(bool)).sum())}


def at_caseness(overall: pd.Series, instrument: Instrument) -> pd.Series:
    """Whether each overall score is at or past the instrument's caseness threshold on
    the bad side (at or above it on a need scale, at or below it on a star)."""
    threshold = instrument.caseness.value
    return overall <= threshold if instrument.higher_is_better else overall >= threshold


def reliably_recovered(rated: pd.DataFrame, instrument: Instrument) -> pd.Series:
    """Reliable recovery: a case at baseline, on the good side of the threshold at the
    latest, and reliably better. Needs the instrument's ``caseness``."""
    return (
        at_caseness(rated["baseline"], instrument)
        & ~at_caseness(rated["latest"], instrument)
        & (classify(rated["rci"]) == RELIABLY_BETTER)
    )
