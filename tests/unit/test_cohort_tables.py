"""The cohort's figures as tables: numbers where shown, ``*`` where suppressed.

A tiny taf-dtt cohort is built in code and every expected value is worked out by hand below.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.helpers import frames
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import breakdown, build_cohort, change_by_month, figures, transitions
from tracker.render.cohort_tables import (
    BREAKDOWN_COLUMNS,
    DOMAIN_COLUMNS,
    MOVEMENT_COLUMNS,
    OVER_TIME_COLUMNS,
    breakdown_meanings,
    breakdown_table,
    column_meanings,
    domain_table,
    meanings_list,
    over_time_table,
    transition_table,
)

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better, r = 0.80, 22 areas
STAR = get_instrument("family-outcomes-10")

H = "housing"
I = "income_employment_finance"  # noqa: E741
M = "mental_health_wellbeing"
MIN_GROUP = 3
BANDS = ["None", "Minor", "Moderate", "Significant", "Critical / complex"]
FIGURE_COLUMNS = [
    "Families",
    "Mean at baseline",
    "Mean at latest",
    "Mean change (+ is better)",
    "Median change",
    "% improved",
    "% same",
    "% worse",
    "Sign test p",
    "p allowing for every area (Holm)",
]


# --------------------------------------------------------------------------------------
# Hand-worked cohort (change = baseline - latest). Baselines 10 Jan 2025, reviews 10 Apr 2025
# (90 days: month 3). min_group = 3.
#
# fam area   baseline        latest          domain changes     overall b -> l   change
#  1  North  H5 I5           H4 I5           H+1 I 0            5.0 -> 4.5       +0.5
#  2  North  H5 I3 M4        H4 I4 M4        H+1 I-1 M0         4.0 -> 4.0        0.0
#  3  South  H5 I1           H4 I5           H+1 I-4            3.0 -> 4.5       -1.5
#  4  North  H4 I4           H3 I3           H+1 I+1            4.0 -> 3.0       +1.0
#  5  North  H5 I5           H3 I5           H+2 I 0            5.0 -> 4.0       +1.0
#  6  South  H3 I3           H1 I2           H+2 I+1            3.0 -> 1.5       +1.5
#
# Housing n 6: baseline 27/6 = 4.5, latest 19/6 = 3.17, change 8/6 = 1.33, median 1,
#   100% improved, 0% same, 0% worse, sign test p = 2/2^6 = 0.03125 -> 0.0312 (4 places);
#   Holm over the 2 areas shown: 2 x 0.03125 = 0.0625.
# Income n 6: baseline 21/6 = 3.5, latest 24/6 = 4.0, change -3/6 = -0.5, median of
#   -4,-1,0,0,1,1 = 0, 33% improved / same / worse; sign test 2 up, 2 down: p = 1, Holm 1.
# Mental health n 1 and the 19 unscored areas n 0: suppressed.
# --------------------------------------------------------------------------------------

PLAN = {
    1: ("North", {H: 5, I: 5}, {H: 4, I: 5}),
    2: ("North", {H: 5, I: 3, M: 4}, {H: 4, I: 4, M: 4}),
    3: ("South", {H: 5, I: 1}, {H: 4, I: 5}),
    4: ("North", {H: 4, I: 4}, {H: 3, I: 3}),
    5: ("North", {H: 5, I: 5}, {H: 3, I: 5}),
    6: ("South", {H: 3, I: 3}, {H: 1, I: 2}),
}


@pytest.fixture
def cohort():
    rows, families = [], []
    for family, (area, baseline, latest) in PLAN.items():
        rows.append((family * 10, family, "baseline", "2025-01-10", "worker", baseline))
        rows.append((family * 10 + 1, family, "review", "2025-04-10", "worker", latest))
        families.append((family, area, "tier 2", "Health", None, "GP", False))
    assessments, scores = frames(rows)
    family_frame = pd.DataFrame(
        families,
        columns=[
            "family_id",
            "area",
            "tier_of_need",
            "key_worker_type",
            "age_group",
            "referral_source",
            "closed",
        ],
    )
    return build_cohort(assessments, scores, TAF, families=family_frame)


# --------------------------------------------------------------------------------------
# domain_table
# --------------------------------------------------------------------------------------


def test_domain_table_areas_from_the_instrument_in_order(cohort):
    table = domain_table(figures(cohort, min_group=MIN_GROUP), TAF)
    assert list(table.columns) == ["Area", *FIGURE_COLUMNS]
    assert table["Area"].tolist() == [domain.label for domain in TAF.domains]
    assert table["Area"].iloc[0] == "Housing"
    assert table["Area"].iloc[1] == "Income, employment and finance"


def test_domain_table_numbers_for_shown_domains(cohort):
    table = domain_table(figures(cohort, min_group=MIN_GROUP), TAF).set_index("Area")
    housing = table.loc["Housing"]
    assert housing["Families"] == 6
    assert housing["Mean at baseline"] == pytest.approx(4.5)
    assert housing["Mean at latest"] == pytest.approx(3.17)  # 3.1667 rounded to 2 places
    assert housing["Mean change (+ is better)"] == pytest.approx(1.33)
    assert housing["Median change"] == pytest.approx(1.0)
    assert (housing["% improved"], housing["% same"], housing["% worse"]) == (100, 0, 0)
    assert housing["Sign test p"] == pytest.approx(0.0312, abs=1e-4)
    assert housing["p allowing for every area (Holm)"] == pytest.approx(0.0625)
    income = table.loc["Income, employment and finance"]
    assert income["Families"] == 6
    assert income["Mean at baseline"] == pytest.approx(3.5)
    assert income["Mean at latest"] == pytest.approx(4.0)
    assert income["Mean change (+ is better)"] == pytest.approx(-0.5)
    assert income["Median change"] == pytest.approx(0.0)
    assert (income["% improved"], income["% same"], income["% worse"]) == (33, 33, 33)
    assert income["Sign test p"] == pytest.approx(1.0)
    assert income["p allowing for every area (Holm)"] == pytest.approx(1.0)
    for column in FIGURE_COLUMNS:
        for value in (housing[column], income[column]):
            assert not isinstance(value, str), column
            assert not pd.isna(value), column


def test_domain_table_stars_every_figure_of_a_suppressed_domain(cohort):
    table = domain_table(figures(cohort, min_group=MIN_GROUP), TAF).set_index("Area")
    hidden = [label for label in table.index if label not in {"Housing", TAF.domains[1].label}]
    assert len(hidden) == 20
    assert "Mental health and emotional well-being" in hidden
    for label in hidden:
        assert table.loc[label, FIGURE_COLUMNS].tolist() == ["*"] * len(FIGURE_COLUMNS), label


def test_domain_table_families_are_whole_numbers(cohort):
    # A count of families is written as 6, never 6.0 (it goes into CSV and Excel downloads).
    table = domain_table(figures(cohort, min_group=MIN_GROUP), TAF)
    shown = table.loc[table["Families"] != "*", "Families"]
    assert [str(value) for value in shown] == ["6", "6"]


def test_domain_table_with_nothing_suppressed_has_no_star():
    # family-outcomes-10, wellbeing 3 -> 6, 4 -> 4, 5 -> 7 with min_group 1: wellbeing shown,
    # but the 9 unscored areas (n 0) are still below min_group 1 and starred.
    rows = []
    for family, (before, after) in enumerate([(3, 6), (4, 4), (5, 7)], start=1):
        rows.append(
            (family * 10, family, "baseline", "2025-01-10", "worker", {"wellbeing": before})
        )
        rows.append(
            (family * 10 + 1, family, "review", "2025-04-10", "worker", {"wellbeing": after})
        )
    cohort = build_cohort(*frames(rows), STAR)
    table = domain_table(figures(cohort, min_group=1), STAR).set_index("Area")
    wellbeing = table.loc["Parent's own well-being"]
    assert "*" not in wellbeing.tolist()
    assert wellbeing["Mean at baseline"] == pytest.approx(4.0)
    assert wellbeing["Mean at latest"] == pytest.approx(5.67)  # 17/3
    assert wellbeing["Mean change (+ is better)"] == pytest.approx(1.67)  # 5/3
    assert wellbeing["% improved"] == 67  # 2 of 3
    assert (table.drop(index="Parent's own well-being")["Families"] == "*").all()


# --------------------------------------------------------------------------------------
# breakdown_table
# --------------------------------------------------------------------------------------


def test_breakdown_table_shows_groups_and_stars_suppressed(cohort):
    # North (fams 1, 2, 4, 5): changes 0.5, 0, 1, 1 -> mean 0.625 -> round(0.625, 2) = 0.62;
    #   75% improved; none reliably (threshold 1.108743). South: n 2 < 3 -> suppressed.
    groups = breakdown(cohort, "area", min_group=MIN_GROUP)
    table = breakdown_table(groups, "Area")
    assert list(table.columns) == [
        "Area",
        "Families",
        "Mean change (+ is better)",
        "95% interval from",
        "95% interval to",
        "% improved",
        "% reliably improved",
    ]
    assert table["Area"].tolist() == ["North", "South"]
    north, south = table.iloc[0], table.iloc[1]
    assert north["Families"] == 4
    assert north["Mean change (+ is better)"] == pytest.approx(0.62)
    # 0.625 -/+ 0.761740 (t interval worked in test_cohort_charts.py)
    assert north["95% interval from"] == pytest.approx(-0.14, abs=1e-9)
    assert north["95% interval to"] == pytest.approx(1.39, abs=1e-9)
    assert north["% improved"] == 75
    assert north["% reliably improved"] == 0
    assert "*" not in north.tolist()
    assert south["Area"] == "South"
    assert south.iloc[1:].tolist() == ["*"] * 6


def test_breakdown_table_families_are_whole_numbers(cohort):
    # breakdown() gives n as a float column (South's n is null), but a count is written as 4.
    table = breakdown_table(breakdown(cohort, "area", min_group=MIN_GROUP), "Area")
    assert [str(value) for value in table["Families"]] == ["4", "*"]


def test_breakdown_table_marks_by_the_suppressed_flag():
    # The flag decides, even for a group whose figures happen to be present.
    groups = pd.DataFrame(
        {
            "group": ["A", "B"],
            "n": [8, 2],
            "mean_change": [0.123, 0.5],
            "ci_low": [-0.456, 0.1],
            "ci_high": [0.789, 0.9],
            "pct_improved": [62.5, 50.0],
            "pct_reliable_improvement": [12.5, None],
            "suppressed": [False, True],
        }
    )
    table = breakdown_table(groups, "Tier of need")
    assert table.columns[0] == "Tier of need"
    assert table.iloc[0].tolist() == ["A", 8, 0.12, -0.46, 0.79, 62, 12]
    assert table.iloc[1].tolist() == ["B", "*", "*", "*", "*", "*", "*"]


# --------------------------------------------------------------------------------------
# transition_table
# --------------------------------------------------------------------------------------


def test_transition_table_band_order_stars_and_ints(cohort):
    # Housing: Critical -> Significant 3 (fams 1, 2, 3) shown; Critical -> Moderate (5),
    # Significant -> Moderate (4) and Moderate -> None (6) are single families: "*".
    table = transition_table(transitions(cohort, H, min_group=MIN_GROUP), TAF)
    first = table.columns[0]
    assert table[first].tolist() == BANDS
    assert list(table.columns[1:]) == BANDS
    grid = table.set_index(first)
    assert grid.loc["Critical / complex", "Significant"] == 3
    starred = {
        ("Critical / complex", "Moderate"),
        ("Significant", "Moderate"),
        ("Moderate", "None"),
    }
    for baseline in BANDS:
        for latest in BANDS:
            value = grid.loc[baseline, latest]
            if (baseline, latest) in starred:
                assert value == "*", (baseline, latest)
            else:
                assert isinstance(value, int), (baseline, latest, value)
                expected = 3 if (baseline, latest) == ("Critical / complex", "Significant") else 0
                assert value == expected, (baseline, latest)


def test_transition_table_reorders_shuffled_cells():
    # Cells in reverse band order; Minor -> None holds 6 families, None -> Minor is suppressed.
    special = {("Minor", "None"): 6, ("None", "Minor"): None}
    cells = pd.DataFrame(
        [
            (baseline, latest, special.get((baseline, latest), 0))
            for baseline in reversed(BANDS)
            for latest in reversed(BANDS)
        ],
        columns=["baseline_band", "latest_band", "families"],
    )
    table = transition_table(cells, TAF)
    first = table.columns[0]
    assert table[first].tolist() == BANDS
    assert list(table.columns[1:]) == BANDS
    grid = table.set_index(first)
    assert grid.loc["Minor", "None"] == 6
    assert grid.loc["None", "Minor"] == "*"
    assert grid.loc["None", "None"] == 0


def test_transition_table_whole_table_hidden(cohort):
    table = transition_table(transitions(cohort, M, min_group=MIN_GROUP), TAF)  # n 1
    assert table.iloc[:, 1:].to_numpy().tolist() == [["*"] * 5] * 5


# --------------------------------------------------------------------------------------
# over_time_table
# --------------------------------------------------------------------------------------


def test_over_time_table_stars_suppressed_points(cohort):
    # North (fams 1, 2, 4, 5) month 0: each family is its own baseline, change 0; baseline
    # means 5, 4, 4, 5 -> 4.5 both columns. Month 3: changes +0.5, 0, +1, +1 -> 0.625;
    # scores 4.5, 4, 3, 4 -> 3.875; baselines 4.5. Python rounds halves to even: 0.625 ->
    # 0.62, 3.875 -> 3.88. South: 2 families each month -> suppressed.
    table = over_time_table(change_by_month(cohort, min_group=MIN_GROUP, dimension="area"))
    assert list(table.columns) == [
        "Group",
        "Months since baseline",
        "Families",
        "Mean change from baseline (+ is better)",
        "Same families: mean at baseline",
        "Same families: mean at that month",
    ]
    assert table["Group"].tolist() == ["North", "North", "South", "South"]
    assert table["Months since baseline"].tolist() == [0, 3, 0, 3]
    north = table[table["Group"] == "North"]
    assert north["Families"].tolist() == [4, 4]
    assert north["Mean change from baseline (+ is better)"].tolist() == pytest.approx([0, 0.62])
    assert north["Same families: mean at baseline"].tolist() == pytest.approx([4.5, 4.5])
    assert north["Same families: mean at that month"].tolist() == pytest.approx([4.5, 3.88])
    south = table[table["Group"] == "South"]
    for column in table.columns[2:]:
        assert south[column].tolist() == ["*", "*"], column
    # the group and month of a suppressed point are still shown
    assert south["Months since baseline"].tolist() == [0, 3]


def test_over_time_table_families_are_whole_numbers(cohort):
    table = over_time_table(change_by_month(cohort, min_group=MIN_GROUP, dimension="area"))
    shown = table.loc[table["Families"] != "*", "Families"]
    assert [str(value) for value in shown] == ["4", "4"]


# --------------------------------------------------------------------------------------
# Whole numbers and what the columns mean
# --------------------------------------------------------------------------------------


def test_a_whole_number_change_is_written_without_a_decimal_point(cohort):
    # Housing's median change is 1 and its mean at baseline 4.5; North's over-time change
    # at month 0 is 0. In a CSV they read 1, 4.5 and 0, never 1.0 or 0.0.
    table = domain_table(figures(cohort, min_group=MIN_GROUP), TAF).set_index("Area")
    assert type(table.loc["Housing", "Median change"]) is int
    assert type(table.loc["Housing", "Mean at baseline"]) is float
    housing = table.reset_index().to_csv(index=False).splitlines()[1]
    assert housing.split(",")[:6] == ["Housing", "6", "4.5", "3.17", "1.33", "1"]
    points = over_time_table(change_by_month(cohort, min_group=MIN_GROUP, dimension="area"))
    assert [str(v) for v in points["Mean change from baseline (+ is better)"][:2]] == ["0", "0.62"]


def test_every_column_of_every_table_says_what_it_holds(cohort):
    result = figures(cohort, min_group=MIN_GROUP)
    cells = transitions(cohort, H, min_group=MIN_GROUP)
    tables = [
        (domain_table(result, TAF), DOMAIN_COLUMNS, []),
        (breakdown_table(breakdown(cohort, "area", min_group=1), "Area"), None, []),
        (transition_table(cells, TAF), MOVEMENT_COLUMNS, BANDS),
        (over_time_table(change_by_month(cohort, min_group=1)), OVER_TIME_COLUMNS, []),
    ]
    for table, meanings, bands in tables:
        meanings = meanings or breakdown_meanings("Area")
        explained = [column for column, _ in column_meanings(table, meanings)]
        assert explained == [column for column in table.columns if column not in bands]
        for _, line in column_meanings(table, meanings):
            assert line.endswith(".") and "\n" not in line
    # "Families" is a different count in each table, and says which.
    assert DOMAIN_COLUMNS["Families"] != BREAKDOWN_COLUMNS["Families"]
    assert OVER_TIME_COLUMNS["Families"].startswith("Families assessed that many months")


def test_meanings_are_listed_as_written_not_as_markdown():
    listed = meanings_list([("% improved", "The share *improved*."), ("Families", "Counted.")])
    assert listed.splitlines() == [
        "- **\\% improved**: The share \\*improved\\*\\.",
        "- **Families**: Counted\\.",
    ]
