"""The published rule with hand-worked numbers: counts, percentages, magnitudes, p-values.

The magnitudes' steps are worked by hand for the two instruments' scales: the TAF tool
(1 to 5, span 4: an overall score can range over 4, a change over 8) and the star
(1 to 10, span 9: 9 and 18), at 20, 50 and 100 families. The step is the finest of
0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, … at least 2 × width / (2 × lowest + 1), where
lowest is the smallest n the rounded count allows (n rounded to 5, less 2).
"""

from __future__ import annotations

from datetime import date

import pytest

from tracker.measures.cohort.audience import BASELINE_RULE, stamp, stamp_lines
from tracker.measures.cohort.loading import CohortFilter
from tracker.measures.cohort.published import NET_IMPROVEMENT_WIDTH
from tracker.measures.disclosure import (
    PUBLISHED,
    SUPPRESSED,
    AudienceError,
    PublishedRule,
    check_published_min_group,
    check_whole_months,
    magnitude_step,
    whole_months,
)

RULE = PublishedRule(5)
TAF_SPAN, STAR_SPAN = 4, 9


def could_be(shown, min_group: int = 5) -> set[int]:
    """Every true count that the rule publishes as ``shown``."""
    rule = PublishedRule(min_group)
    if shown == SUPPRESSED:
        return set(range(1, min_group))
    return {n for n in range(max(0, shown - 2), shown + 3) if rule.count(n) == shown}


@pytest.mark.parametrize(
    ("count", "shown"),
    [(None, None), (0, 0), (1, "*"), (4, "*"), (5, 5), (7, 5), (8, 10), (12, 10), (13, 15)],
)
def test_counts_hide_1_to_4_and_round_the_rest_to_5(count, shown):
    assert RULE.count(count) == shown


def test_a_smaller_minimum_group_hides_less_but_rounds_the_same():
    rule = PublishedRule(3)
    assert [rule.count(n) for n in range(9)] == [0, "*", "*", 5, 5, 5, 5, 5, 10]


def test_percentages_come_from_the_rounded_counts():
    # Northfield: 12 of 16 reviewed. Exact: 75%; published: 10 of 15.
    assert RULE.percent(12, 16) == 67.0
    assert RULE.percent(4, 16) == SUPPRESSED  # the part is hidden
    assert RULE.percent(4, 4) == SUPPRESSED  # so is the whole
    assert RULE.percent(0, 16) == 0.0
    assert RULE.percent(0, 0) is None  # nobody to be a percentage of: not hidden


@pytest.mark.parametrize(
    ("n", "width", "step"),
    [
        # TAF: overall score (width 4) and change (width 8).
        (20, 2 * TAF_SPAN / 2, 0.5),  # 2 × 4 / 37 = 0.216 → 0.5
        (20, 2 * TAF_SPAN, 0.5),  # 2 × 8 / 37 = 0.432 → 0.5
        (50, TAF_SPAN, 0.1),  # 2 × 4 / 97 = 0.082 → 0.1
        (50, 2 * TAF_SPAN, 0.2),  # 2 × 8 / 97 = 0.165 → 0.2
        (100, TAF_SPAN, 0.05),  # 2 × 4 / 197 = 0.041 → 0.05
        (100, 2 * TAF_SPAN, 0.1),  # 2 × 8 / 197 = 0.081 → 0.1
        # Star: overall score (width 9) and change (width 18).
        (20, STAR_SPAN, 0.5),  # 2 × 9 / 37 = 0.486 → 0.5
        (20, 2 * STAR_SPAN, 1),  # 2 × 18 / 37 = 0.973 → 1
        (50, STAR_SPAN, 0.2),  # 2 × 9 / 97 = 0.186 → 0.2
        (50, 2 * STAR_SPAN, 0.5),  # 2 × 18 / 97 = 0.371 → 0.5
        (100, STAR_SPAN, 0.1),  # 2 × 9 / 197 = 0.091 → 0.1
        (100, 2 * STAR_SPAN, 0.2),  # 2 × 18 / 197 = 0.183 → 0.2
        # Net improvement: a family counts +100, 0 or −100 points (width 200).
        (20, NET_IMPROVEMENT_WIDTH, 20),  # 400 / 37 = 10.8 → 20
        (50, NET_IMPROVEMENT_WIDTH, 5),  # 400 / 97 = 4.12 → 5
        (100, NET_IMPROVEMENT_WIDTH, 5),  # 400 / 197 = 2.03 → 5
    ],
)
def test_the_magnitude_steps_worked_by_hand(n, width, step):
    assert magnitude_step(n, width) == step
    # Two means a family apart give its value only to ± step × (2 × lowest + 1) / 2, at
    # least the whole width it can range over.
    lowest = n - 2
    assert step * (2 * lowest + 1) / 2 >= width


def test_the_step_depends_only_on_what_the_rounded_count_shows():
    for n in range(5, 200):
        same = [m for m in range(5, 200) if RULE.count(m) == RULE.count(n)]
        assert {magnitude_step(m, 8) for m in same} == {magnitude_step(n, 8)}


def test_magnitudes_round_half_away_from_zero_and_hide_small_groups():
    assert RULE.magnitude(0.25, 20, 8) == 0.5  # step 0.5
    assert RULE.magnitude(-0.25, 20, 8) == -0.5
    assert RULE.magnitude(0.24, 20, 8) == 0.0
    assert str(RULE.magnitude(-0.1, 20, 8)) == "0.0"  # never "-0.0"
    assert RULE.magnitude(0.81, 100, 8) == 0.8
    assert RULE.magnitude(3.0, 4, 8) == SUPPRESSED
    assert RULE.magnitude(None, 20, 8) is None
    assert RULE.magnitude(float("nan"), 20, 8) is None


@pytest.mark.parametrize(
    ("p", "band"),
    [
        (0.0004, "< 0.001"),
        (0.001, "< 0.01"),
        (0.049, "< 0.05"),
        (0.05, "0.05 or more"),
        (None, None),
    ],
)
def test_p_values_are_bands(p, band):
    assert RULE.p_value(p) == band


def test_a_minimum_group_below_3_is_refused_for_published_figures():
    with pytest.raises(AudienceError, match="at least 3"):
        check_published_min_group(2)
    with pytest.raises(AudienceError):
        PublishedRule(1)
    check_published_min_group(3)


def test_a_whole_of_two_hidden_parts_can_pin_them_and_is_caught():
    """Rounding alone: 8 families shown as 10 (8 to 12), split into two hidden parts of
    1 to 4 each, can only be 4 + 4. ``pins_a_part`` finds it; 7 (5, 6 or 7) does not."""
    assert RULE.pins_a_part(10, [SUPPRESSED, SUPPRESSED])
    assert not RULE.pins_a_part(5, [SUPPRESSED, SUPPRESSED])
    assert not RULE.pins_a_part(10, [5, SUPPRESSED])
    # 18 shown as 20 (18 to 22), a part of 12 shown as 10 (8 to 12): the hidden two of a
    # minimum group of 4 (1 to 3 each) can be 6 only as 3 + 3.
    assert PublishedRule(4).pins_a_part(20, [10, SUPPRESSED, SUPPRESSED])
    assert not RULE.pins_a_part(SUPPRESSED, [SUPPRESSED, SUPPRESSED])


def published_split(rule: PublishedRule, whole: int, parts: list[int]) -> list:
    """A whole and its parts as published figures show them: everything ``*`` when the
    whole is hidden or when the parts would pin one of them."""
    shown = [rule.count(whole), *(rule.count(part) for part in parts)]
    if shown[0] == SUPPRESSED or rule.pins_a_part(shown[0], shown[1:]):
        return [SUPPRESSED] * len(shown)
    return shown


@pytest.mark.parametrize("min_group", range(3, 11))
def test_no_whole_and_two_parts_pin_down_a_small_part(min_group):
    """Every whole up to 80 and every split into two parts: from the published whole and
    parts, neither part is pinned to one value from 1 to min_group − 1. A ``*`` is taken
    as 1 to min_group − 1, unless everything is hidden (then it could be anything)."""
    rule = PublishedRule(min_group)
    for whole in range(81):
        for part in range(whole + 1):
            rest = whole - part
            shown = published_split(rule, whole, [part, rest])
            if shown[0] == SUPPRESSED:
                continue  # nothing shown: any split of any whole fits
            options = {
                (b, a - b)
                for a in could_be(shown[0], min_group)
                for b in could_be(shown[1], min_group)
                if a - b in could_be(shown[2], min_group)
            }
            assert (part, rest) in options
            for index, value in enumerate((part, rest)):
                values = {option[index] for option in options}
                assert not (values == {value} and 0 < value < min_group), (whole, part)


def test_whole_months():
    assert whole_months(date(2025, 3, 10), date(2025, 9, 12)) == (
        date(2025, 3, 1),
        date(2025, 9, 30),
    )
    assert whole_months(None, date(2024, 2, 3)) == (None, date(2024, 2, 29))
    check_whole_months(date(2025, 3, 1), date(2024, 2, 29))
    check_whole_months(None, None)
    with pytest.raises(AudienceError, match="1st of a month"):
        check_whole_months(date(2025, 3, 2), None)
    with pytest.raises(AudienceError, match="last day of a month"):
        check_whole_months(None, date(2023, 2, 28 - 1))


def test_a_stamp_says_who_how_which_and_when():
    chosen = CohortFilter(instrument="taf-dtt", area="Northfield", baseline_to=date(2025, 3, 31))
    stamped = stamp(PUBLISHED, 5, chosen, date(2026, 1, 2), instrument_name="TAF tool")
    assert stamped["audience"] == PUBLISHED
    assert stamped["method"] == RULE.method
    assert stamped["baseline_rule"] == BASELINE_RULE
    lines = "\n".join(stamp_lines(stamped))
    assert "Audience: published" in lines
    assert "rounded to the nearest 5" in lines
    assert "* means hidden to protect families" in lines
    assert "Smallest group shown: 5 families" in lines
    assert "area is Northfield" in lines and "Baselines: up to 31 Mar 2025." in lines
    assert "Instrument: TAF tool." in lines and "Made on 02 Jan 2026." in lines
    assert "first journey" in lines
