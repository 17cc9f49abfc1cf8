"""A measure's value in one period, and how it is hidden when it rests on too few families.

Every measure returns a ``Value``; the card passes each through ``suppress`` before
anyone sees it, by the same small-number rule as the cohort page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from tracker.measures.cohort.suppression import suppress_count


@dataclass
class Value:
    """A measure's value in one period, before suppression.

    ``families`` is how many families the value rests on; ``number`` is the count behind
    a percentage and ``base`` the count it is a percentage of, when both are counts of
    independent things (families, reviews, questionnaires), so the percentage has the
    noise of a proportion; ``se`` is the standard error of a value estimated from families
    (a mean, say); ``parts`` is a breakdown of counts. A value with neither ``base`` nor
    ``se`` is a tally of what was recorded, with no sampling noise.
    """

    value: float | None
    families: int
    number: float | None = None
    parts: dict[str, int | float | None] = field(default_factory=dict)
    note: str = ""
    base: float | None = None
    se: float | None = None
    hidden: bool = False  # suppressed: too few families to show


def suppress(value: Value, min_group: int) -> Value:
    """Hide what could identify families, as on the cohort page.

    A value resting on 1 to min_group-1 families is hidden with its parts; so is a
    percentage whose count is that small (the count and the base would give it away);
    and so are small counts in the parts, with their percentages.
    """
    hidden = f"Fewer than {min_group} families: not shown."
    if 0 < value.families < min_group or (
        value.number is not None and 0 < value.number < min_group
    ):
        return Value(
            None, value.families, None, dict.fromkeys(value.parts), note=hidden, hidden=True
        )
    parts = {
        key: (suppress_count(part, min_group) if isinstance(part, int) else part)
        for key, part in value.parts.items()
    }
    for key in list(parts):
        if key.endswith(" (%)") and parts.get(key.removesuffix(" (%)"), 0) is None:
            parts[key] = None
    return Value(value.value, value.families, value.number, parts, value.note, value.base, value.se)


def standard_error(values: pd.Series) -> float | None:
    """The standard error of the mean, SD (ddof 1) ÷ √n; None below two values."""
    values = values.dropna()
    if len(values) < 2:
        return None
    return float(values.std(ddof=1) / math.sqrt(len(values)))
