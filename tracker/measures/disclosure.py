"""Published figures: rounded and suppressed so that no output, or pair of outputs, gives
back a family.

Service figures (a manager's own screens) are exact, with groups of 1 to ``min_group - 1``
shown as ``*``. Figures that leave the people entitled to individual records (everything a
commissioner sees, board downloads, published report cards) follow NHS England's
convention for small numbers, extended to magnitudes (docs/disclosure.md):

- a count of 1 to ``min_group - 1`` is ``*``; every other count is rounded to the nearest
  5 (0 stays 0), so a complement, a total minus its parts or two date windows a family
  apart leave an unknown of up to ±4;
- a percentage is worked out from the rounded counts, never from the exact ones;
- a mean, median or interval of ``n`` families is rounded to a step at least
  ``2 × width / (2n + 1)``, ``width`` being how far one family's value can range: a family
  added to or taken from the group then moves the rounded figure by less than the
  rounding hides, so differencing two groups gives back nothing about it;
- a p-value is published only as a band (< 0.001, < 0.01, < 0.05, 0.05 or more);
- where a shown whole and its rounded parts leave a hidden part only one value
  (``pins_a_part``), the output hides more.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

SERVICE = "service"
PUBLISHED = "published"
AUDIENCES = {
    SERVICE: "service: exact figures for people entitled to the families' records",
    PUBLISHED: "published: counts rounded to 5 and small ones hidden, for boards and commissioners",
}
SUPPRESSED = "*"
SUPPRESSED_MEANS = "hidden to protect families"
ROUND_COUNTS_TO = 5
MIN_PUBLISHED_GROUP = 3
# Rounding steps for magnitudes, finest first; the published step is the finest one that
# hides a single family (``magnitude_step``).
STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
P_BANDS = ((0.001, "< 0.001"), (0.01, "< 0.01"), (0.05, "< 0.05"))
METHOD = (
    "Counts of 1 to {below} hidden (*), other counts rounded to the nearest 5, percentages "
    "from the rounded counts, means and intervals rounded to steps that hide one family, "
    "p-values in bands (NHS England's small-number convention; docs/disclosure.md)."
)


class AudienceError(ValueError):
    """A published output was asked for with settings that cannot protect families."""


def check_published_min_group(min_group: int) -> None:
    if min_group < MIN_PUBLISHED_GROUP:
        raise AudienceError(
            f"Published figures need a minimum group of at least {MIN_PUBLISHED_GROUP}; "
            f"{min_group} would show groups small enough to identify a family."
        )


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """The window widened to whole months: from the 1st of ``start``'s month to the last
    day of ``end``'s."""
    return (
        None if start is None else start.replace(day=1),
        None if end is None else month_end(end),
    )


def check_whole_months(start: date | None, end: date | None) -> None:
    """Published windows and periods are whole months: two a day apart would otherwise
    differ by a family or two, and their difference would be that family's figures."""
    if start is not None and start.day != 1:
        raise AudienceError(
            f"Published figures cover whole months: the start, {start.isoformat()}, must be "
            f"the 1st of a month (say {start.replace(day=1).isoformat()})."
        )
    if end is not None and end != month_end(end):
        raise AudienceError(
            f"Published figures cover whole months: the end, {end.isoformat()}, must be the "
            f"last day of a month (say {month_end(end).isoformat()})."
        )


def _half_up(value: float, step: float) -> float:
    """``value`` rounded to a multiple of ``step``, halves away from zero (as people do)."""
    units = Decimal(str(value)) / Decimal(str(step))
    # + 0.0 turns a rounded -0.0 into 0.0: a sign on nothing would say which side it was.
    return float(units.quantize(Decimal(1), rounding=ROUND_HALF_UP) * Decimal(str(step))) + 0.0


@dataclass(frozen=True)
class PublishedRule:
    """The published rounding and suppression for one ``min_group``."""

    min_group: int

    def __post_init__(self) -> None:
        check_published_min_group(self.min_group)

    @property
    def method(self) -> str:
        return METHOD.format(below=self.min_group - 1)

    def count(self, value: int | None) -> int | str | None:
        """0 stays 0; 1 to ``min_group - 1`` is ``*``; the rest to the nearest 5."""
        if value is None:
            return None
        if value == 0:
            return 0
        if value < self.min_group:
            return SUPPRESSED
        return int(_half_up(value, ROUND_COUNTS_TO))

    def percent(self, part: int | None, whole: int | None) -> float | str | None:
        """A whole-number percentage of the *rounded* counts; ``*`` when either is hidden."""
        shown_part, shown_whole = self.count(part), self.count(whole)
        if shown_part is None or shown_whole is None:
            return None
        if SUPPRESSED in (shown_part, shown_whole):
            return SUPPRESSED
        if shown_whole == 0:
            return None
        return _half_up(100 * shown_part / shown_whole, 1)

    def magnitude(self, value: float | None, n: int | None, width: float) -> float | str | None:
        """A mean, median or interval bound of ``n`` families, each of whose values can
        range over ``width``: ``*`` for a hidden group, else rounded to ``magnitude_step``."""
        if value is None or n is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if n < self.min_group:
            return SUPPRESSED
        return _half_up(value, magnitude_step(n, width))

    def could_be(self, shown: int | str) -> tuple[int, int]:
        """The true counts a published count allows: ``*`` is 1 to ``min_group - 1``."""
        if shown == SUPPRESSED:
            return 1, self.min_group - 1
        if shown == 0:
            return 0, 0
        return max(self.min_group, shown - ROUND_COUNTS_TO // 2), shown + ROUND_COUNTS_TO // 2

    def pins_a_part(self, whole: int | str, parts: list[int | str]) -> bool:
        """Whether the published ``whole`` and its published ``parts`` (which add up to it)
        leave some hidden part only one value. Rounding alone allows it: a whole shown as
        10 (8 to 12) of two hidden parts (1 to 4 each) makes both 4. An output where this
        happens must hide more (the whole, and so all of it)."""
        if whole == SUPPRESSED:
            return False
        low, high = self.could_be(whole)
        ranges = [self.could_be(part) for part in parts]
        lowest, highest = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        for part, (part_low, part_high) in zip(parts, ranges, strict=True):
            if part != SUPPRESSED:
                continue
            can_low = max(part_low, low - (highest - part_high))
            can_high = min(part_high, high - (lowest - part_low))
            if can_low >= can_high:
                return True
        return False

    @staticmethod
    def p_value(p: float | None) -> str | None:
        if p is None or (isinstance(p, float) and math.isnan(p)):
            return None
        for limit, band in P_BANDS:
            if p < limit:
                return band
        return "0.05 or more"


def magnitude_step(n: int, width: float) -> float:
    """The finest step in ``STEPS`` at least ``2 × width / (2n + 1)``.

    Two published means, of ``n`` families and of the same ``n`` plus one, give that one
    family's value as ``(n + 1) × m₂ − n × m₁``; each mean is only known to ± step / 2, so
    the value is only known to ± step × (2n + 1) / 2, which this step makes at least the
    whole range ``width`` a family's value can take. ``n`` here is the smallest the group's
    published (rounded) count allows, so the step never tells more than the count does.
    """
    lowest = max(1, int(_half_up(n, ROUND_COUNTS_TO)) - ROUND_COUNTS_TO // 2)
    needed = 2 * width / (2 * lowest + 1)
    return next((step for step in STEPS if step >= needed), STEPS[-1])
