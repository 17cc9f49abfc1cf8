"""What goes with the cohort's figures: the stamp on every download in plain words, the
typed baseline window, the instrument the page opens on, groups in reading order, each
statistic's plain name and meaning, and the plain "too few families" state.

Expected values are written out by hand, not produced by the code under test.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.unit.helpers import frames
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import (
    STATISTICS,
    CohortFilter,
    WindowError,
    breakdown,
    build_cohort,
    change_by_month,
    describe_window,
    figures,
    filter_choices,
    in_order,
    main_instrument,
    marked_hidden,
    not_shown,
    published_breakdown,
    published_figures,
    rater_view,
    read_window,
    stamp,
    stamp_lines,
)
from tracker.measures.disclosure import PUBLISHED, SERVICE, PublishedRule
from tracker.render.cohort_tables import count_with_pct, figure_text, interval_text
from tracker.store.vocabulary import AGE_GROUPS

TAF = get_instrument("taf-dtt")
TAF_NAME = "Team Around the Family distance-travelled tool"
H = "housing"
I = "income_employment_finance"  # noqa: E741

# --------------------------------------------------------------------------------------
# The stamp every cohort download carries
# --------------------------------------------------------------------------------------


def test_the_stamp_says_instrument_filters_view_period_audience_group_and_day():
    cohort_filter = CohortFilter(
        "taf-dtt",
        area="Northfield",
        tier_of_need="tier 3",
        key_worker_type="social_work",
        age_group="5-10",
        status="open",
        raters=("family",),
        baseline_from=date(2026, 3, 1),
        baseline_to=date(2026, 9, 30),
    )
    stamped = stamp(SERVICE, 5, cohort_filter, date(2026, 5, 24), instrument_name=TAF_NAME)
    assert stamp_lines(stamped) == (
        f"Instrument: {TAF_NAME}.",
        "Whose ratings: The family's own.",
        "Baselines: 01 Mar 2026 to 30 Sep 2026.",
        "Filters: area is Northfield; tier of need is tier 3; key worker type is Social work; "
        "age of youngest child is 5-10; open cases only.",
        "Audience: service: exact figures for people entitled to the families' records.",
        "Method: Exact figures; counts of 1 to 4 families hidden (*). "
        "* means hidden to protect families.",
        "Smallest group shown: 5 families.",
        "Baseline rule: first journey: each family's first baseline, paired with its latest "
        "review before any re-referral.",
        "Made on 24 May 2026.",
    )


def test_the_default_view_is_said_in_words_with_no_key_or_iso_date():
    stamped = stamp(
        PUBLISHED, 5, CohortFilter("taf-dtt"), date(2026, 1, 2), instrument_name=TAF_NAME
    )
    lines = stamp_lines(stamped)
    assert "Whose ratings: Worker and joint." in lines
    assert "Baselines: any date." in lines
    assert "Filters: none (every family)." in lines
    assert lines[-1] == "Made on 02 Jan 2026."
    assert f"Method: {PublishedRule(5).method} * means hidden to protect families." in lines
    text = " ".join(lines)
    assert "taf-dtt" not in text and not re.search(r"\d{4}-\d\d-\d\d", text)
    assert "raters" not in text and "_" not in text


def test_one_end_of_the_window_and_a_key_worker_are_said_plainly():
    cohort_filter = CohortFilter(
        "taf-dtt", key_worker="Amira Ahmed", status="closed", baseline_to=date(2026, 6, 30)
    )
    lines = stamp_lines(
        stamp(SERVICE, 3, cohort_filter, date(2026, 7, 1), instrument_name=TAF_NAME)
    )
    assert "Baselines: up to 30 Jun 2026." in lines
    assert "Filters: key worker is Amira Ahmed; closed cases only." in lines
    assert "Smallest group shown: 3 families." in lines


def test_the_json_stamp_keeps_its_keys_and_adds_the_instruments_name():
    cohort_filter = CohortFilter("taf-dtt", baseline_from=date(2026, 3, 1))
    stamped = stamp(SERVICE, 5, cohort_filter, date(2026, 5, 24), instrument_name=TAF_NAME)
    assert set(stamped) == {
        "audience",
        "method",
        "min_group",
        "instrument_name",
        "filters",
        "baseline_rule",
        "made_on",
    }
    assert stamped["made_on"] == "2026-05-24"  # the JSON stays machine-readable
    assert stamped["filters"]["baseline_from"] == "2026-03-01"
    assert stamped["filters"]["raters"] == ["worker", "joint"]
    assert stamped["instrument_name"] == TAF_NAME


@pytest.mark.parametrize(
    ("raters", "said"),
    [
        (("worker", "joint"), "Worker and joint"),
        (["family"], "The family's own"),
        (("worker",), "Key worker"),
        (("joint",), "Together (agreed)"),
    ],
)
def test_whose_ratings_in_words(raters, said):
    assert rater_view(raters) == said


# --------------------------------------------------------------------------------------
# The baseline window, typed
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "01/03/2026",
        "1/3/2026",
        " 1 Mar 2026 ",
        "1 march 2026",
        "01-03-2026",
        "2026-03-01",
        "1/3/26",
    ],
)
def test_a_typed_date_is_read_day_first(text):
    assert read_window(text, "") == (date(2026, 3, 1), None)
    assert read_window("", text) == (None, date(2026, 3, 1))


def test_empty_ends_leave_the_window_open():
    assert read_window("", "  ") == (None, None)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("31/02/2026", "", 'Baselines from: "31/02/2026" is not a date'),
        ("", "soon", 'Baselines to: "soon" is not a date'),
        ("12/13/2026", "", "for example 01/04/2025"),
        ("01/10/2026", "01/03/2026", "Baselines from (01 Oct 2026) is after baselines to"),
    ],
)
def test_a_wrong_date_names_its_field(start, end, message):
    with pytest.raises(WindowError, match=re.escape(message)):
        read_window(start, end)


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        (date(2026, 3, 1), date(2026, 9, 30), "01 Mar 2026 to 30 Sep 2026"),
        (date(2026, 3, 1), None, "from 01 Mar 2026 onwards"),
        (None, date(2026, 9, 30), "up to 30 Sep 2026"),
        (None, None, "any date"),
    ],
)
def test_the_window_in_words(start, end, said):
    assert describe_window(start, end) == said


# --------------------------------------------------------------------------------------
# The instrument the page opens on
# --------------------------------------------------------------------------------------

KEYS = ["family-outcomes-10", "taf-dtt"]


def test_with_nothing_scored_the_first_instrument_opens(engine):
    with engine.connect() as connection:
        assert main_instrument(connection, KEYS) == "family-outcomes-10"
        assert main_instrument(connection, list(reversed(KEYS))) == "taf-dtt"


def test_the_instrument_most_families_were_scored_on_opens(sample_engine):
    with sample_engine.connect() as connection:
        counted = dict(
            connection.execute(
                sa.text(
                    "SELECT instrument, COUNT(DISTINCT family_id) FROM assessment "
                    "GROUP BY instrument"
                )
            ).all()
        )
        most = max(counted, key=counted.get)
        assert counted[most] > min(counted.values())  # the sample has a clear winner
        assert main_instrument(connection, KEYS) == most
        assert main_instrument(connection, list(reversed(KEYS))) == most


def test_the_setting_names_the_main_instrument_and_an_unknown_one_is_ignored(sample_engine):
    with sample_engine.connect() as connection:
        most = main_instrument(connection, KEYS)
        other = next(key for key in KEYS if key != most)
        assert main_instrument(connection, KEYS, other) == other
        assert main_instrument(connection, KEYS, "no-such-tool") == most


# --------------------------------------------------------------------------------------
# Groups in reading order
# --------------------------------------------------------------------------------------


def test_age_groups_read_youngest_first_and_not_recorded_last():
    shuffled = ["Not recorded", "16-19", "5-10", "11-15", "0-4", "5-10"]
    assert in_order("age_group", shuffled) == ["0-4", "5-10", "11-15", "16-19", "Not recorded"]
    assert in_order("tier_of_need", ["tier 3", "tier 2", "tier 2-3"]) == [
        "tier 2",
        "tier 2-3",
        "tier 3",
    ]
    assert in_order("area", ["Riverside", "Not recorded", "Eastgate"]) == [
        "Eastgate",
        "Riverside",
        "Not recorded",
    ]


def test_the_age_filter_offers_age_order(sample_engine):
    with sample_engine.connect() as connection:
        ages = filter_choices(connection)["age_group"]
    assert ages == [age for age in AGE_GROUPS if age in ages]
    assert len(ages) >= 3  # the sample spans the ages, so the order is tested


def ages_cohort():
    """Eight families, two per age group plus none recorded, listed oldest first so that
    any order taken from the data would be wrong. Each family's housing goes 4 -> 3."""
    ages = ["16-19", "16-19", "11-15", "11-15", "5-10", "5-10", "0-4", None]
    rows = []
    for family in range(1, len(ages) + 1):
        rows.append((family * 10, family, "baseline", "2025-01-10", "worker", {H: 4, I: 4}))
        rows.append((family * 10 + 1, family, "review", "2025-04-10", "worker", {H: 3, I: 4}))
    families = pd.DataFrame(
        {
            "family_id": range(1, len(ages) + 1),
            "area": "North",
            "tier_of_need": "tier 2",
            "key_worker_type": "Health",
            "age_group": ages,
            "referral_source": "GP",
            "closed": False,
        }
    )
    return build_cohort(*frames(rows), TAF, families=families)


AGE_ORDER = ["0-4", "5-10", "11-15", "16-19", "Not recorded"]


def test_breakdowns_and_lines_by_age_come_youngest_first():
    cohort = ages_cohort()
    assert list(breakdown(cohort, "age_group", min_group=1)["group"]) == AGE_ORDER
    assert list(published_breakdown(cohort, "age_group", min_group=3)["group"]) == AGE_ORDER
    points = change_by_month(cohort, min_group=1, dimension="age_group")
    assert list(dict.fromkeys(points["group"])) == AGE_ORDER
    assert list(points[points["group"] == "0-4"]["month"]) == [0, 3]


# --------------------------------------------------------------------------------------
# Plain names, one line each
# --------------------------------------------------------------------------------------


def test_every_statistic_is_a_figure_with_a_plain_name_and_one_line():
    result = figures(ages_cohort(), min_group=1)
    for key, statistic in STATISTICS.items():
        assert key in result or key in result["overall"] or key == "reliable_recovery", key
        assert statistic.meaning.endswith(".") and "\n" not in statistic.meaning, key
        assert len(statistic.meaning) < 240, key  # a line, not a paragraph
        assert "_" not in statistic.name and "_" not in statistic.meaning, key
    names = [statistic.name for statistic in STATISTICS.values()]
    assert len(set(names)) == len(names)


# --------------------------------------------------------------------------------------
# Figures on tiles
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "options", "text"),
    [
        (1.0, {"digits": 2}, "1"),
        (-2.0, {"digits": 2}, "-2"),
        (0.5, {"digits": 2}, "0.50"),
        (0.8333, {"digits": 2}, "0.83"),
        (0.999, {"digits": 2}, "1"),
        (33.3, {"suffix": "%"}, "33%"),
        (16, {}, "16"),
        ("*", {"digits": 2}, "*"),
        (None, {"digits": 2}, "–"),
    ],
)
def test_a_whole_number_has_no_decimals_on_a_tile(value, options, text):
    assert figure_text(value, **options) == text


def test_counts_and_intervals_on_tiles():
    assert count_with_pct(16, 33.333) == "16 (33%)"
    assert count_with_pct("*", "*") == "*"
    assert interval_text(0.54, 1.0, 2) == "0.54 to 1"
    assert interval_text("*", "*", 2) is None
    assert interval_text(None, 1.2, 2) is None


# --------------------------------------------------------------------------------------
# Too few families to show
# --------------------------------------------------------------------------------------


def test_too_few_families_is_said_plainly():
    cohort = ages_cohort()  # eight families, all reviewed
    assert not_shown(marked_hidden(figures(cohort, min_group=8)), 8) is None
    message = not_shown(marked_hidden(figures(cohort, min_group=9)), 9)
    assert message.startswith("Too few families to show:")
    assert "fewer than 9 families" in message
    published = marked_hidden(published_figures(cohort, min_group=9))
    assert not_shown(published, 9).startswith("Too few families to show:")


def test_too_few_reviewed_and_none_reviewed_are_said_plainly():
    rows = [
        (family * 10, family, "baseline", "2025-01-10", "worker", {H: 4}) for family in range(1, 7)
    ]
    rows.append((11, 1, "review", "2025-04-10", "worker", {H: 3}))
    cohort = build_cohort(*frames(rows), TAF)
    message = not_shown(marked_hidden(figures(cohort, min_group=3)), 3)
    assert message.startswith("Too few families to show change:")
    assert "fewer than 3 families" in message
    nobody = build_cohort(*frames(rows[:-1]), TAF)
    assert "no change to show" in not_shown(marked_hidden(figures(nobody, min_group=3)), 3)
    empty = build_cohort(*frames([]), TAF)
    assert not_shown(marked_hidden(figures(empty, min_group=3)), 3).startswith("No families")
