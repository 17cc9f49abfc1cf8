"""The published card: every figure through ``PublishedRule`` (docs/disclosure.md).

Counts are rounded to 5 with 1 to ``min_group - 1`` hidden, percentages are worked out from
the rounded counts, means and medians are rounded to a step that hides one family, and a
cost per is the cost over the *published* count, hidden whenever that count is. Trends and
forecasts are then worked out from these published figures alone, so neither an arrow nor
a forecast can say more than the figures do.

How far one family's value can range (``width``) sets a magnitude's step:

- a mean change of score: 2 × the instrument's scale span (a family can move from one end
  of the scale to the other, either way);
- a mean rating with a range of its own (satisfaction, 1-5): that range (4);
- median days from referral to baseline, or to first contact: ``DAYS_WIDTH``, half a
  year. Families wait days or weeks; a family waiting longer moves a median no more than
  one waiting half a year, since a median moves by one place whatever the value;
- a share of hours: 100 points.

Hours of service are a count of hours: rounded to 5 and hidden on fewer than ``min_group``
families, like any count (a known limit: one family's hours are not bounded).
"""

from __future__ import annotations

from tracker.instruments.loader import Instrument
from tracker.measures.disclosure import SUPPRESSED, PublishedRule, magnitude_step
from tracker.measures.reportcard.effect_measures import cost_per_count_se
from tracker.measures.reportcard.effort_measures import waiting_note
from tracker.measures.reportcard.registry import MeasureSpec
from tracker.measures.reportcard.value import Value, hide

DAYS_WIDTH = 180
SHARE_WIDTH = 100
NOT_FOR_PUBLICATION = "service: not for publication"


def width(spec: MeasureSpec, instrument: Instrument) -> float:
    """How far one family's value of the measure can range (the module's list)."""
    if spec.unit == "score":
        low, high = spec.value_range or (None, None)
        return high - low if low is not None else 2 * instrument.scale_span
    if spec.unit == "days":
        return DAYS_WIDTH
    return SHARE_WIDTH


def publish(value: Value, spec: MeasureSpec, rule: PublishedRule, instrument: Instrument) -> Value:
    """The value as the published card shows it (the module's rules)."""
    families = rule.count(value.families)
    if families == SUPPRESSED:
        return hide(value, rule.min_group, SUPPRESSED)
    if spec.unit in ("count", "hours"):
        published = _counted(value, rule, families)
    elif spec.unit == "money":
        published = _cost_per(value, rule, families)
    elif spec.unit == "rate":
        published = _share(value, rule, families, base=value.families)
    elif value.base is not None:
        published = _share(value, rule, families, base=value.base)
    else:
        published = _magnitude(value, rule, families, width(spec, instrument))
    if published.hidden:
        return published
    published.parts = _parts(value, rule, families, width(spec, instrument))
    if _pins_a_part(value, published, rule):
        return hide(value, rule.min_group, families)
    if value.pending:
        published.note = value.note.replace(
            waiting_note(value.pending), waiting_note(rule.count(value.pending))
        )
    return published


def _like(value: Value, shown: float | None, families: int | str, **figures) -> Value:
    return Value(shown, families, note=value.note, missing=value.missing, **figures)


def _counted(value: Value, rule: PublishedRule, families: int | str) -> Value:
    shown = rule.count(value.value)
    if shown == SUPPRESSED:
        return hide(value, rule.min_group, families)
    return _like(value, shown, families)


def _share(value: Value, rule: PublishedRule, families: int | str, base: float) -> Value:
    """A percentage (or rate per 100) of two counts, from the rounded counts."""
    number, whole = rule.count(value.number), rule.count(base)
    if SUPPRESSED in (number, whole):
        return hide(value, rule.min_group, families)
    shown = rule.percent(value.number, base)
    return _like(
        value, shown, families, number=number, base=whole if value.base is not None else None
    )


def _magnitude(value: Value, rule: PublishedRule, families: int, width: float) -> Value:
    """A mean or median, and its standard error, rounded to the step that hides one
    family; an error that rounds to nothing is half a step, the rounding's own."""
    shown = rule.magnitude(value.value, value.families, width)
    se = rule.magnitude(value.se, value.families, width)
    if se is not None:
        se = max(se, magnitude_step(value.families, width) / 2)
    return _like(value, shown, families, se=se)


def _cost_per(value: Value, rule: PublishedRule, families: int | str) -> Value:
    """The cost over the published count, hidden whenever that count is."""
    if value.cost is None or value.per is None:
        return _like(value, None, families)
    per = rule.count(value.per)
    if per == SUPPRESSED:
        return hide(value, rule.min_group, families)
    if not per:
        return _like(value, None, families, cost=value.cost, per=per)
    shown = value.cost / per
    se = None
    if value.se is not None and families:
        se = cost_per_count_se(shown, min(per, families), families)
    return _like(value, shown, families, se=se, cost=value.cost, per=per)


def _pins_a_part(value: Value, published: Value, rule: PublishedRule) -> bool:
    """Whether the breakdown's rounded counts and their rounded whole leave a hidden part
    one value (a whole of 8 shown as 10, of two hidden parts: both must be 4)."""
    counted = [key for key, part in value.parts.items() if part is not None and "(%)" not in key]
    if not counted:
        return False
    whole = rule.count(int(sum(value.parts[key] for key in counted)))
    return rule.pins_a_part(whole, [published.parts[key] for key in counted])


def _parts(value: Value, rule: PublishedRule, families: int, width: float) -> dict:
    """Counts rounded and small ones hidden; a part's percentage from the rounded counts
    of it and of the whole (``base``), or, with no counts behind it, as a magnitude."""
    parts = {}
    for key, part in value.parts.items():
        if part is None:
            parts[key] = None
        elif not key.endswith(" (%)"):
            parts[key] = rule.count(part)
        elif value.base is not None:
            parts[key] = rule.percent(value.parts.get(key.removesuffix(" (%)")), value.base)
        else:
            parts[key] = rule.magnitude(part, value.families, width)
    return parts
