"""A measure's value in one period, and how it is hidden when it rests on too few families.

Every measure returns a ``Value``; the service card passes each through ``suppress`` before
anyone sees it, by the same small-number rule as the cohort page, and the published card
through ``published.publish``. ``*`` means one thing, "hidden to protect families"; a
value that is simply not there (no cost entered, nobody reviewed) says so in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from tracker.measures.cohort.suppression import suppress_count
from tracker.measures.disclosure import SUPPRESSED, SUPPRESSED_MEANS

NOT_ENOUGH_DATA = "Not enough data"
NO_COST_ENTERED = "No cost entered"
NO_FAMILIES_REVIEWED = "No families reviewed"


@dataclass
class Value:
    """A measure's value in one period, before suppression.

    ``families`` is how many families the value rests on; ``number`` is the count behind
    a percentage and ``base`` the count it is a percentage of, when both are counts of
    independent things (families, reviews, questionnaires), so the percentage has the
    noise of a proportion; ``se`` is the standard error of a value estimated from families
    (a mean, say); ``parts`` is a breakdown of counts. A value with neither ``base`` nor
    ``se`` is a tally of what was recorded, with no sampling noise.

    Once suppressed or published, a hidden count (``families``, a part) is ``*``; a part
    with nothing to show is None. ``missing`` is what is said in place of a value that is
    not there; ``cost`` and ``per`` are what a cost per is worked out from, so that the
    published card can divide the cost by the published count.
    """

    value: float | None
    families: int | str
    number: float | None = None
    parts: dict[str, int | float | str | None] = field(default_factory=dict)
    note: str = ""
    base: float | None = None
    se: float | None = None
    hidden: bool = False  # suppressed: shown as *
    missing: str = NOT_ENOUGH_DATA
    cost: float | None = None
    per: float | None = None
    pending: int | str = 0  # due dates not yet counted, named in the note

    @property
    def reason(self) -> str | None:
        """Why there is no figure: hidden, or the words for what is missing; None with one."""
        if self.hidden:
            return SUPPRESSED_MEANS
        return self.missing if self.value is None else None


def hidden_note(min_group: int) -> str:
    return f"{SUPPRESSED} {SUPPRESSED_MEANS}: fewer than {min_group} families."


def hide(value: Value, min_group: int, families: int | str) -> Value:
    """The value with every figure in it hidden."""
    return Value(
        None,
        families,
        None,
        dict.fromkeys(value.parts, SUPPRESSED),
        note=hidden_note(min_group),
        hidden=True,
        missing=value.missing,
    )


def suppress(value: Value, min_group: int) -> Value:
    """Hide what could identify families, as on the cohort page (the service card).

    A value resting on 1 to min_group-1 families is hidden with its parts; so is a
    percentage whose count is that small (the count and the base would give it away);
    and so are small counts in the parts, with their percentages.
    """
    if 0 < value.families < min_group or (
        value.number is not None and 0 < value.number < min_group
    ):
        return hide(value, min_group, value.families)
    parts = {
        key: (_hidden_count(part, min_group) if isinstance(part, int) else part)
        for key, part in value.parts.items()
    }
    for key in list(parts):
        if key.endswith(" (%)") and parts.get(key.removesuffix(" (%)")) == SUPPRESSED:
            parts[key] = SUPPRESSED
    return Value(
        value.value,
        value.families,
        value.number,
        parts,
        value.note,
        value.base,
        value.se,
        missing=value.missing,
        cost=value.cost,
        per=value.per,
        pending=value.pending,
    )


def _hidden_count(count: int, min_group: int) -> int | str:
    shown = suppress_count(count, min_group)
    return SUPPRESSED if shown is None else shown


def standard_error(values: pd.Series) -> float | None:
    """The standard error of the mean, SD (ddof 1) ÷ √n; None below two values."""
    values = values.dropna()
    if len(values) < 2:
        return None
    return float(values.std(ddof=1) / math.sqrt(len(values)))
