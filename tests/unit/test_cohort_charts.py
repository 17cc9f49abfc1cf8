"""The cohort dashboard's figures, drawn from suppressed cohort data.

Each chart gets a tiny cohort built in code (or, for edge cases, a hand-built input) and is
checked against figures worked out by hand below. A suppressed value must reach the figure
as a gap (None / NaN) and a ``*`` label, never as a number.
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest
from scipy import stats

from tests.unit.helpers import frames
from tracker.instruments.loader import Reliability, Section, get_instrument
from tracker.measures.cohort import (
    breakdown,
    build_cohort,
    change_by_month,
    figures,
    mean_interval,
    scatter_points,
    transitions,
)
from tracker.render.cohort_charts import (
    band_colours,
    breakdown_chart,
    change_by_domain,
    cohort_star,
    nothing_to_draw,
    over_time_chart,
    reliable_change_scatter,
    significance_legend,
    snapshot_chart,
    transition_heatmap,
)

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better, 22 areas
STAR = get_instrument("family-outcomes-10")  # star 1-10, higher is better, 10 areas

H = "housing"
I = "income_employment_finance"  # noqa: E741
M = "mental_health_wellbeing"
MIN_GROUP = 3
BANDS = ["None", "Minor", "Moderate", "Significant", "Critical / complex"]


# --------------------------------------------------------------------------------------
# The hand-worked taf-dtt cohort (change = baseline - latest, positive = less need).
# Baselines on 10 Jan 2025, reviews on 10 Apr 2025 (90 days = month 3). min_group = 3.
#
# fam area   baseline        latest          domain changes     overall b -> l   change
#  1  North  H5 I5           H4 I5           H+1 I 0            5.0 -> 4.5       +0.5
#  2  North  H5 I3 M4        H4 I4 M4        H+1 I-1 M0         4.0 -> 4.0        0.0
#  3  South  H5 I1           H4 I5           H+1 I-4            3.0 -> 4.5       -1.5
#  4  North  H4 I4           H3 I3           H+1 I+1            4.0 -> 3.0       +1.0
#  5  North  H5 I5           H3 I5           H+2 I 0            5.0 -> 4.0       +1.0
#  6  South  H3 I3           H1 I2           H+2 I+1            3.0 -> 1.5       +1.5
#
# Housing: n 6; baseline 5,5,5,4,5,3 = 27/6 = 4.5; latest 4,4,4,3,3,1 = 19/6 = 3.1667;
#   changes 1,1,1,1,2,2: 100% improved, 0 same, 0 worse. Sign test: 6 of 6 improved,
#   p = 2 / 2^6 = 0.03125; Holm over the 2 areas tested: 2 x 0.03125 = 0.0625, not < 0.05,
#   so housing is NOT marked (it would be without allowing for testing two areas).
# Income: n 6; baseline 5,3,1,4,5,3 = 21/6 = 3.5; latest 5,4,5,3,5,2 = 24/6 = 4.0;
#   changes 0,-1,-4,+1,0,+1: improved 2, same 2, worse 2 -> 33.33% each; sign test p = 1.
# Mental health: only family 2, n 1 < 3 -> suppressed. The 19 unscored areas: n 0 -> suppressed.
#
# Overall baselines 5,4,3,4,5,3: mean 4, deviations 1,0,-1,0,1,-1, squares 4, var 4/5 = 0.8.
#   S_diff = sqrt(0.8) * sqrt(2 * (1 - 0.8)) = sqrt(0.32) = 0.565685; 1.96 * S_diff = 1.108743.
#   Family 6 (+1.5) is reliably better, family 3 (-1.5) reliably worse, the other 4 are not.
# --------------------------------------------------------------------------------------

PLAN = {
    1: ("North", {H: 5, I: 5}, {H: 4, I: 5}),
    2: ("North", {H: 5, I: 3, M: 4}, {H: 4, I: 4, M: 4}),
    3: ("South", {H: 5, I: 1}, {H: 4, I: 5}),
    4: ("North", {H: 4, I: 4}, {H: 3, I: 3}),
    5: ("North", {H: 5, I: 5}, {H: 3, I: 5}),
    6: ("South", {H: 3, I: 3}, {H: 1, I: 2}),
}
# For the scatter: the three areas the families were scored on, with a declared reliability
# of 0.80, so each family has at least half its areas paired and S_diff is worked by hand:
# baselines 5, 4, 3, 4, 5, 3 have SD sqrt(0.8); S_diff = sqrt(0.8) x sqrt(2 x 0.2).
THREE_AREAS = TAF.model_copy(
    update={
        "key": "taf-three-areas",
        "sections": (
            Section(
                key="all",
                label="Three areas",
                domains=tuple(domain for domain in TAF.domains if domain.key in (H, I, M)),
            ),
        ),
        "reliability": Reliability(value=0.8, kind="test-retest", source="a test"),
    }
)
S_DIFF = math.sqrt(0.32)
BAND_WIDTH = 1.96 * S_DIFF  # 1.108743


def six_families(instrument=TAF):
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
    return build_cohort(assessments, scores, instrument, families=family_frame)


@pytest.fixture
def cohort():
    return six_families()


@pytest.fixture
def result(cohort):
    return figures(cohort, min_group=MIN_GROUP)


def star_cohort():
    # family-outcomes-10, wellbeing only (change = latest - baseline):
    #   fam 1: 3 -> 6, fam 2: 4 -> 4, fam 3: 5 -> 7; baseline mean 12/3 = 4, latest 17/3.
    rows = []
    for family, (before, after) in enumerate([(3, 6), (4, 4), (5, 7)], start=1):
        rows.append(
            (family * 10, family, "baseline", "2025-01-10", "worker", {"wellbeing": before})
        )
        rows.append(
            (family * 10 + 1, family, "review", "2025-04-10", "worker", {"wellbeing": after})
        )
    return build_cohort(*frames(rows), STAR)


def domain_row(key: str, n, pct_worse, pct_same, pct_improved, p=None, sign_p=None) -> dict:
    """A hand-built (already suppressed) domain figure for change_by_domain; ``p`` is the
    Holm-adjusted p, ``sign_p`` the unadjusted one (the adjusted one when not given)."""
    return {
        "domain": key,
        "n": n,
        "pct_worse": pct_worse,
        "pct_same": pct_same,
        "pct_improved": pct_improved,
        "sign_test_p": p if sign_p is None else sign_p,
        "p_holm": p,
    }


def as_json(figure) -> dict:
    return json.loads(figure.to_json())


# --------------------------------------------------------------------------------------
# cohort_star
# --------------------------------------------------------------------------------------


def test_cohort_star_has_two_closed_traces_in_instrument_order(result):
    figure = cohort_star(result["domains"], TAF)
    assert [trace.type for trace in figure.data] == ["scatterpolar", "scatterpolar"]
    labels = [domain.label for domain in TAF.domains]
    assert labels[0] == "Housing" and len(labels) == 22
    for trace in figure.data:
        assert list(trace.theta) == [*labels, labels[0]]
        assert len(trace.r) == 23
        assert trace.r[-1] == trace.r[0]


def test_cohort_star_baseline_dashed_latest_filled(result):
    baseline, latest = cohort_star(result["domains"], TAF).data
    assert baseline.name == "Mean at baseline"
    assert baseline.line.dash == "dash"
    assert baseline.fill is None
    assert latest.name == "Mean at latest review"
    assert latest.line.dash == "solid"
    assert latest.fill == "toself"


def test_cohort_star_values_are_the_means_with_none_for_suppressed(result):
    baseline, latest = cohort_star(result["domains"], TAF).data
    position = {key: index for index, key in enumerate(TAF.domain_keys)}
    # Housing (position 0) and income (1) shown; mental health (20) and the rest suppressed.
    assert baseline.r[position[H]] == pytest.approx(4.5)
    assert baseline.r[position[I]] == pytest.approx(3.5)
    assert latest.r[position[H]] == pytest.approx(19 / 6)
    assert latest.r[position[I]] == pytest.approx(4.0)
    assert baseline.r[-1] == pytest.approx(4.5)  # the closing point repeats housing
    for index in range(2, 22):
        assert baseline.r[index] is None, TAF.domain_keys[index]
        assert latest.r[index] is None, TAF.domain_keys[index]
    assert baseline.r[position[M]] is None
    # and in the JSON the gaps are nulls, not numbers
    data = as_json(cohort_star(result["domains"], TAF))["data"]
    assert data[0]["r"][position[M]] is None
    assert data[1]["r"][position[M]] is None


def test_cohort_star_radial_axis_reversed_on_need_scale_only(result):
    need = cohort_star(result["domains"], TAF)
    assert list(need.layout.polar.radialaxis.range) == [5, 1]
    star = cohort_star(figures(star_cohort(), min_group=3)["domains"], STAR)
    assert list(star.layout.polar.radialaxis.range) == [1, 10]
    baseline, latest = star.data
    wellbeing = STAR.domain_keys.index("wellbeing")
    assert baseline.r[wellbeing] == pytest.approx(4.0)
    assert latest.r[wellbeing] == pytest.approx(17 / 3)
    assert baseline.theta[wellbeing] == "Parent's own well-being"


def test_cohort_star_says_further_out_is_better(result):
    for figure in (
        cohort_star(result["domains"], TAF),
        cohort_star(figures(star_cohort(), min_group=3)["domains"], STAR),
    ):
        notes = [annotation.text for annotation in figure.layout.annotations]
        assert any("Further out is better" in note for note in notes), notes


# --------------------------------------------------------------------------------------
# change_by_domain
# --------------------------------------------------------------------------------------


def test_change_by_domain_has_worse_same_improved_bars(result):
    figure = change_by_domain(result["domains"], TAF)
    assert [trace.type for trace in figure.data] == ["bar"] * 3
    assert [trace.name for trace in figure.data] == ["Worse", "Same", "Improved"]
    assert all(trace.orientation == "h" for trace in figure.data)


def test_change_by_domain_most_improved_is_last_and_marked_only_after_holm(result):
    worse, same, improved = change_by_domain(result["domains"], TAF).data
    names = list(worse.y)
    # 20 suppressed areas first, then income (33% improved), then housing (100%) at the top.
    assert len(names) == 22
    # Housing's sign test p is 0.03125, but 0.0625 after allowing for two areas: no ◆.
    housing = next(row for row in result["domains"] if row["domain"] == H)
    assert housing["sign_test_p"] == pytest.approx(0.03125)
    assert housing["p_holm"] == pytest.approx(0.0625)
    assert names[-2:] == ["Income, employment and finance (n=6)", "Housing (n=6)"]
    assert list(same.y) == names and list(improved.y) == names
    assert improved.x[-1] == pytest.approx(100.0)
    assert improved.x[-2] == pytest.approx(100 / 3)


def test_change_by_domain_marks_on_the_adjusted_p_not_the_raw_one():
    rows = [
        domain_row(H, 10, 0.0, 0.0, 100.0, p=0.2, sign_p=0.01),
        domain_row(I, 10, 0.0, 0.0, 90.0, p=0.04, sign_p=0.02),
    ]
    names = list(change_by_domain(rows, TAF).data[0].y)
    assert names == ["Income, employment and finance (n=10) ◆", "Housing (n=10)"]


def test_significance_legend_counts_the_areas_tested(result):
    # Housing and income were tested; mental health (n 1) and the 19 unscored were not.
    legend = significance_legend(result["domains"])
    assert "after allowing for testing 2 areas" in legend
    assert legend.startswith("◆") and "sign test" in legend
    rows = [domain_row(key, 10, 0.0, 0.0, 50.0, p=0.5) for key in TAF.domain_keys]
    assert "testing 22 areas" in significance_legend(rows)


def test_change_by_domain_sorts_shown_rows_by_pct_improved():
    rows = [
        domain_row(H, 10, 10.0, 20.0, 70.0, p=0.2),
        domain_row(I, 10, 30.0, 20.0, 50.0, p=0.01),
        domain_row(M, 10, 0.0, 10.0, 90.0, p=0.3),
        domain_row("aspirations", 8, 50.0, 40.0, 10.0, p=None),
    ]
    (worse, _same, improved) = change_by_domain(rows, TAF).data
    assert list(worse.y) == [
        "Aspirations (n=8)",
        "Income, employment and finance (n=10) ◆",
        "Housing (n=10)",
        "Mental health and emotional well-being (n=10)",
    ]
    assert list(improved.x) == [10.0, 50.0, 70.0, 90.0]


def test_change_by_domain_diamond_only_strictly_below_point_05():
    rows = [
        domain_row(H, 10, 0.0, 0.0, 100.0, p=0.049),
        domain_row(I, 10, 0.0, 0.0, 90.0, p=0.05),
        domain_row(M, 10, 0.0, 0.0, 80.0, p=None),
        domain_row("aspirations", 10, 0.0, 0.0, 70.0, p=0.5),
    ]
    names = list(change_by_domain(rows, TAF).data[0].y)
    assert names == [
        "Aspirations (n=10)",
        "Mental health and emotional well-being (n=10)",
        "Income, employment and finance (n=10)",
        "Housing (n=10) ◆",
    ]


def test_change_by_domain_suppressed_domains_are_starred_with_no_bars(result):
    worse, same, improved = change_by_domain(result["domains"], TAF).data
    names = list(worse.y)
    assert "Mental health and emotional well-being *" in names
    hidden = [index for index, name in enumerate(names) if name.endswith(" *")]
    assert len(hidden) == 20
    assert not any("(n=" in names[index] for index in hidden)
    for trace in (worse, same, improved):
        assert all(trace.x[index] is None for index in hidden), trace.name
        assert all(trace.base[index] is None for index in hidden), trace.name
    # and in JSON they are null
    data = as_json(change_by_domain(result["domains"], TAF))["data"]
    mental = names.index("Mental health and emotional well-being *")
    assert [trace["x"][mental] for trace in data] == [None, None, None]


def test_change_by_domain_bars_diverge_around_half_the_same_share():
    # Housing: 20% worse, 30% same, 50% improved. Same spans -15..+15, worse -15..-35,
    # improved +15..+65.
    (worse, same, improved) = change_by_domain([domain_row(H, 10, 20.0, 30.0, 50.0)], TAF).data
    assert worse.x[0] == pytest.approx(-20.0)
    assert worse.base[0] == pytest.approx(-15.0)
    assert same.x[0] == pytest.approx(30.0)
    assert same.base[0] == pytest.approx(-15.0)
    assert improved.x[0] == pytest.approx(50.0)
    assert improved.base[0] == pytest.approx(15.0)
    # the worse share is still shown positive on hover
    assert worse.customdata[0] == pytest.approx(20.0)


def test_change_by_domain_bars_from_the_cohort(result):
    # Income: 33.33% of each; housing 0 worse, 0 same, 100 improved.
    (worse, same, improved) = change_by_domain(result["domains"], TAF).data
    third = 100 / 3
    assert worse.x[-2] == pytest.approx(-third)
    assert worse.base[-2] == pytest.approx(-third / 2)
    assert improved.base[-2] == pytest.approx(third / 2)
    assert same.x[-2] == pytest.approx(third)
    assert worse.x[-1] == pytest.approx(0.0)
    assert improved.base[-1] == pytest.approx(0.0)


# --------------------------------------------------------------------------------------
# transition_heatmap
# --------------------------------------------------------------------------------------


def test_transition_heatmap_grid_in_band_order_with_suppressed_cells(cohort):
    # Housing bands, baseline -> latest: Critical -> Significant x3 (fams 1, 2, 3),
    # Critical -> Moderate (5), Significant -> Moderate (4), Moderate -> None (6).
    # With min_group 3 the three single-family cells are suppressed; zeros stay 0.
    cells = transitions(cohort, H, min_group=MIN_GROUP)
    (heatmap,) = transition_heatmap(cells, TAF, H).data
    assert heatmap.type == "heatmap"
    assert list(heatmap.x) == BANDS
    assert list(heatmap.y) == BANDS
    z = [list(row) for row in heatmap.z]
    text = [list(row) for row in heatmap.text]
    critical, significant, moderate, none = 4, 3, 2, 0
    assert z[critical][significant] == 3.0
    assert text[critical][significant] == "3"
    for row, column in ((critical, moderate), (significant, moderate), (moderate, none)):
        assert math.isnan(z[row][column]), (row, column)
        assert text[row][column] == "*"
    shown = [
        (row, column)
        for row in range(5)
        for column in range(5)
        if (row, column) not in {(critical, moderate), (significant, moderate), (moderate, none)}
    ]
    assert len(shown) == 22
    for row, column in shown:
        if (row, column) != (critical, significant):
            assert z[row][column] == 0.0
            assert text[row][column] == "0"
    assert "Housing" in heatmap_title(transition_heatmap(cells, TAF, H))


def heatmap_title(figure) -> str:
    return figure.layout.title.text


def test_transition_heatmap_reorders_shuffled_cells_into_band_order():
    # Cells given in reverse order: the grid still runs None .. Critical.
    cells = pd.DataFrame(
        [
            (baseline, latest, 7 if (baseline, latest) == ("Minor", "None") else 0)
            for baseline in reversed(BANDS)
            for latest in reversed(BANDS)
        ],
        columns=["baseline_band", "latest_band", "families"],
    )
    (heatmap,) = transition_heatmap(cells, TAF, H).data
    assert list(heatmap.y) == BANDS
    assert heatmap.z[1][0] == 7.0  # row Minor, column None
    assert heatmap.text[1][0] == "7"
    assert heatmap.z[0][1] == 0.0


def test_transition_heatmap_whole_table_hidden(cohort):
    cells = transitions(cohort, M, min_group=MIN_GROUP)  # mental health: 1 family
    (heatmap,) = transition_heatmap(cells, TAF, M).data
    assert all(math.isnan(value) for row in heatmap.z for value in row)
    assert all(value == "*" for row in heatmap.text for value in row)


# --------------------------------------------------------------------------------------
# breakdown_chart
# --------------------------------------------------------------------------------------


def test_breakdown_chart_labels_and_plain_values(cohort):
    # North = fams 1, 2, 4, 5: changes 0.5, 0, 1, 1 -> n 4, mean 2.5/4 = 0.625,
    #   none of them reliably improved (0%). South = fams 3, 6: n 2 < 3 -> suppressed.
    groups = breakdown(cohort, "area", min_group=MIN_GROUP)
    figure = breakdown_chart(groups, "Area")
    mean, reliable = figure.data
    assert list(mean.y) == ["North (n=4)", "South *"]
    assert list(reliable.y) == ["North (n=4)", "South *"]
    data = as_json(figure)["data"]
    assert data[0]["x"] == [pytest.approx(0.625), None]
    assert isinstance(data[0]["x"], list)
    assert data[1]["x"] == [pytest.approx(0.0), None]
    assert isinstance(data[1]["x"], list)
    assert figure.layout.title.text == "By area"


def test_breakdown_chart_error_bars_are_distances_from_the_mean(cohort):
    # mean_interval([0.5, 0, 1, 1]): mean 0.625, squares of deviations 0.6875, var 0.229167,
    # SD 0.478714, SE 0.239357, t(0.975, 3) = 3.182446 -> half-width 0.761740.
    groups = breakdown(cohort, "area", min_group=MIN_GROUP)
    low, high = mean_interval(pd.Series([0.5, 0.0, 1.0, 1.0]))
    half = stats.t.ppf(0.975, 3) * math.sqrt(0.6875 / 3) / 2
    assert half == pytest.approx(0.761740, abs=1e-6)
    assert (low, high) == pytest.approx((0.625 - half, 0.625 + half))
    error = as_json(breakdown_chart(groups, "Area"))["data"][0]["error_x"]
    assert error["array"] == [pytest.approx(half), None]
    assert error["arrayminus"] == [pytest.approx(half), None]
    assert error["symmetric"] is False


def test_breakdown_chart_asymmetric_interval_and_float_n():
    # Hand-built groups: n comes as floats (a column with a gap is float in pandas).
    groups = pd.DataFrame(
        {
            "group": ["Agency", "Health", "School"],
            "n": [5.0, None, 12.0],
            "mean_change": [1.0, None, -0.5],
            "ci_low": [0.25, None, -1.5],
            "ci_high": [2.5, None, 0.0],
            "pct_improved": [60.0, None, 25.0],
            "pct_reliable_improvement": [40.0, None, float("nan")],
            "suppressed": [False, True, False],
        }
    )
    figure = breakdown_chart(groups, "Key worker type")
    labels = list(figure.data[0].y)
    assert labels == ["Agency (n=5)", "Health *", "School (n=12)"]
    assert not any(".0)" in label for label in labels)
    data = as_json(figure)["data"]
    assert data[0]["x"] == [1.0, None, -0.5]
    assert data[0]["error_x"]["array"] == [1.5, None, 0.5]  # ci_high - mean
    assert data[0]["error_x"]["arrayminus"] == [0.75, None, 1.0]  # mean - ci_low
    assert data[1]["x"] == [40.0, None, None]
    text = figure.to_json()
    assert "NaN" not in text and "bdata" not in text


# --------------------------------------------------------------------------------------
# over_time_chart
# --------------------------------------------------------------------------------------


def test_over_time_chart_one_line_per_group_with_gaps(cohort):
    # By area, min_group 3. North (fams 1, 2, 4, 5): month 0 is each baseline, change 0;
    # at month 3 the changes are +0.5, 0, +1, +1 -> 2.5/4 = 0.625. South has 2 families
    # at each month -> suppressed.
    points = change_by_month(cohort, min_group=MIN_GROUP, dimension="area")
    figure = over_time_chart(points, TAF)
    assert [trace.name for trace in figure.data] == ["North", "South"]
    north, south = figure.data
    assert list(north.x) == [0, 3]
    assert list(north.y) == pytest.approx([0.0, 0.625])
    assert list(north.text) == ["n=4", "n=4"]
    assert list(south.y) == [None, None]
    assert list(south.text) == ["*", "*"]
    data = as_json(figure)["data"]
    assert data[1]["y"] == [None, None]
    assert north.connectgaps is False
    assert figure.layout.yaxis.range is None  # change: + is better on either scale


def test_over_time_chart_scores_of_the_same_families(cohort):
    # North at month 3: scores then 4.5, 4, 3, 4 -> 3.875; the same families' baselines
    # (over the same areas) 5, 4, 4, 5 -> 4.5. Need scale: the axis runs high to low.
    points = change_by_month(cohort, min_group=MIN_GROUP, dimension="area")
    figure = over_time_chart(points, TAF, scores=True)
    names = [trace.name for trace in figure.data]
    assert names == [
        "North: at that month",
        "North: same families at baseline",
        "South: at that month",
        "South: same families at baseline",
    ]
    at_month, at_baseline = figure.data[0], figure.data[1]
    assert list(at_month.y) == pytest.approx([4.5, 3.875])
    assert list(at_baseline.y) == pytest.approx([4.5, 4.5])
    assert at_baseline.line.dash == "dash"
    assert list(figure.layout.yaxis.range) == [5, 1]
    assert all(value is None for trace in figure.data[2:] for value in trace.y)


def test_over_time_chart_on_a_star_scale(cohort):
    (line,) = over_time_chart(change_by_month(cohort, min_group=MIN_GROUP), TAF).data
    assert line.name == "All families"
    assert list(line.text) == ["n=6", "n=6"]
    # Star: wellbeing 3 -> 6, 4 -> 4, 5 -> 7: changes 3, 0, 2 -> 5/3; scores 4 -> 17/3.
    star_points = change_by_month(star_cohort(), min_group=3)
    assert list(over_time_chart(star_points, STAR).data[0].y) == pytest.approx([0, 5 / 3])
    star = over_time_chart(star_points, STAR, scores=True)
    assert list(star.layout.yaxis.range) == [1, 10]
    assert list(star.data[0].y) == pytest.approx([4.0, 17 / 3])
    assert list(star.data[1].y) == pytest.approx([4.0, 4.0])


# --------------------------------------------------------------------------------------
# reliable_change_scatter
# --------------------------------------------------------------------------------------


def test_reliable_change_scatter_band_diagonal_and_classes():
    cohort = six_families(THREE_AREAS)
    assert cohort.s_diff == pytest.approx(S_DIFF)
    points = scatter_points(cohort, min_group=MIN_GROUP)
    figure = reliable_change_scatter(points, cohort.s_diff, TAF)
    names = [trace.name for trace in figure.data]
    assert names == [
        "Change too small to be reliable",
        "No change",
        "Reliably better",
        "No reliable change",
        "Reliably worse",
    ]
    band, diagonal, better, none, worse = figure.data
    assert band.fill == "toself"
    assert list(band.x) == [1, 5, 5, 1]
    offsets = [y - x for x, y in zip(band.x, band.y, strict=True)]
    assert offsets == pytest.approx([BAND_WIDTH, BAND_WIDTH, -BAND_WIDTH, -BAND_WIDTH])
    width = 1.96 * cohort.s_diff
    assert width == pytest.approx(1.108743, abs=1e-6)
    assert list(diagonal.x) == [1, 5] and list(diagonal.y) == [1, 5]
    assert diagonal.line.dash == "dash"
    assert diagonal.mode == "lines"
    # Family 6 (3 -> 1.5) better, family 3 (3 -> 4.5) worse, the other four not reliable.
    assert (len(better.x), len(none.x), len(worse.x)) == (1, 4, 1)
    assert (better.x[0], better.y[0]) == (3.0, 1.5)
    assert (worse.x[0], worse.y[0]) == (3.0, 4.5)
    assert sorted(zip(none.x, none.y, strict=True)) == [
        (4.0, 3.0),
        (4.0, 4.0),
        (5.0, 4.0),
        (5.0, 4.5),
    ]
    assert all(trace.mode == "markers" for trace in (better, none, worse))


def test_reliable_change_scatter_without_s_diff_has_no_band():
    points = pd.DataFrame(
        {"baseline": [2.0, 3.0], "latest": [1.0, 3.0], "classification": ["Reliably better"] * 2}
    )
    figure = reliable_change_scatter(points, None, TAF)
    names = [trace.name for trace in figure.data]
    assert "Change too small to be reliable" not in names
    assert names == ["No change", "Reliably better", "No reliable change", "Reliably worse"]
    assert [len(trace.x) for trace in figure.data[1:]] == [2, 0, 0]


def test_reliable_change_scatter_axes_reversed_on_need_scale_only():
    points = pd.DataFrame(columns=["baseline", "latest", "classification"])
    need = reliable_change_scatter(points, 0.5, TAF)
    assert list(need.layout.xaxis.range) == [5, 1]
    assert list(need.layout.yaxis.range) == [5, 1]
    star = reliable_change_scatter(points, 0.5, STAR)
    assert list(star.layout.xaxis.range) == [1, 10]
    assert list(star.layout.yaxis.range) == [1, 10]
    band = star.data[0]
    assert list(band.y) == pytest.approx([1.98, 10.98, 9.02, 0.02])  # 1.96 * 0.5 = 0.98


def test_reliable_change_scatter_carries_no_family_identifiers(cohort):
    points = scatter_points(cohort, min_group=MIN_GROUP)
    assert set(points.columns) == {"baseline", "latest", "classification"}
    # Even if a caller leaves an identifier column in the frame, it must not reach the figure.
    refs = [f"FAMREF-{family:04d}" for family in range(6)]
    tagged = points.assign(family_ref=refs, family_id=[9101, 9202, 9303, 9404, 9505, 9606])
    figure = reliable_change_scatter(tagged, cohort.s_diff, TAF)
    text = figure.to_json()
    for ref in refs:
        assert ref not in text
    for family_id in ("9101", "9202", "9303", "9404", "9505", "9606"):
        assert family_id not in text
    for trace in figure.data:
        assert trace.customdata is None, trace.name
        assert trace.ids is None, trace.name
        assert trace.text is None, trace.name
        template = trace.hovertemplate or ""
        assert "customdata" not in template and "text" not in template, trace.name


def test_reliable_change_scatter_draws_no_dot_but_the_families():
    # The band is a filled outline: drawn with markers (plotly's default for a short
    # trace) it put stray dots at its corners, two of them inside the axes.
    cohort = six_families(THREE_AREAS)
    points = scatter_points(cohort, min_group=MIN_GROUP)
    figure = reliable_change_scatter(points, cohort.s_diff, TAF)
    band, diagonal = figure.data[:2]
    assert band.mode == "lines" and diagonal.mode == "lines"
    dots = [trace for trace in figure.data if "markers" in (trace.mode or "lines+markers")]
    assert sum(len(trace.x) for trace in dots) == len(points) == 6


def test_breakdown_chart_reads_top_down_in_the_groups_order():
    groups = pd.DataFrame(
        {
            "group": ["0-4", "5-10", "11-15", "16-19"],
            "n": [5, 6, 7, 8],
            "mean_change": [1.0, 0.5, 0.25, 0.0],
            "ci_low": [0.5, 0.0, -0.25, -0.5],
            "ci_high": [1.5, 1.0, 0.75, 0.5],
            "pct_improved": [60.0, 50.0, 40.0, 30.0],
            "pct_reliable_improvement": [20.0, 10.0, 0.0, 0.0],
            "suppressed": [False] * 4,
        }
    )
    figure = breakdown_chart(groups, "Age of youngest child")
    assert list(figure.data[0].y) == ["0-4 (n=5)", "5-10 (n=6)", "11-15 (n=7)", "16-19 (n=8)"]
    # Plotly draws the first category at the bottom unless the axis is reversed.
    assert figure.layout.yaxis.autorange == "reversed"
    assert figure.layout.yaxis2.autorange == "reversed"


def test_over_time_chart_keeps_the_groups_order():
    points = pd.DataFrame(
        {
            "group": ["5-10", "5-10", "11-15", "11-15"],
            "month": [0, 3, 0, 3],
            "n": [5, 5, 6, 6],
            "mean_change": [0.0, 1.0, 0.0, 0.5],
            "mean_baseline": [4.0, 4.0, 3.0, 3.0],
            "mean_at_month": [4.0, 3.0, 3.0, 2.5],
            "suppressed": [False] * 4,
        }
    )
    assert [trace.name for trace in over_time_chart(points, TAF).data] == ["5-10", "11-15"]


def test_hover_numbers_drop_trailing_zeros():
    # "%{y:.2~f}" shows a change of 1 as "1", not "1.00"; 1.25 stays 1.25.
    cohort = six_families(THREE_AREAS)
    charts = [
        cohort_star(figures(cohort, min_group=MIN_GROUP)["domains"], TAF),
        breakdown_chart(breakdown(cohort, "area", min_group=MIN_GROUP), "Area"),
        over_time_chart(change_by_month(cohort, min_group=MIN_GROUP), TAF),
        reliable_change_scatter(scatter_points(cohort, min_group=MIN_GROUP), cohort.s_diff, TAF),
    ]
    templates = [trace.hovertemplate or "" for chart in charts for trace in chart.data]
    assert any(".2~f" in template for template in templates)
    assert not any(re.search(r":\.[1-9]f}", template) for template in templates)


@pytest.mark.parametrize(
    ("counts", "empty"),
    [([None, "*", float("nan")], True), ([], True), ([None, 0], False), (["*", 5], False)],
)
def test_nothing_to_draw_when_every_count_is_hidden(counts, empty):
    assert nothing_to_draw(counts) is empty


def test_band_colours_run_from_the_worse_end_to_the_better_whichever_way_a_scale_points():
    red, blue = "rgb(178, 24, 43)", "rgb(33, 102, 172)"  # WORSE_TO_BETTER's two ends
    # TAF: band 0 is "None", no need (the better end); the star's band 0 is "Stuck".
    assert (band_colours(TAF)[0], band_colours(TAF)[-1]) == (blue, red)
    assert (band_colours(STAR)[0], band_colours(STAR)[-1]) == (red, blue)
    assert band_colours(TAF) == band_colours(STAR)[::-1]
    assert len(set(band_colours(TAF))) == len(TAF.bands)


def test_the_needs_at_entry_bars_take_each_bands_colour():
    bands = pd.DataFrame(
        [
            {"domain": domain.key, "band": band.label, "n": 10, "families": 2, "pct": 20.0}
            for domain in STAR.domains
            for band in STAR.bands
        ]
    )
    figure = snapshot_chart(bands, STAR)
    assert [trace.name for trace in figure.data] == [band.label for band in STAR.bands]
    assert [trace.marker.color for trace in figure.data] == band_colours(STAR)
