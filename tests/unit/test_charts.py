"""The star chart and the overall line: pure functions from data to a plotly figure.

Outward on the star and upward on the line always mean better, whichever way the
instrument's scale runs, and the chart says so in words.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tracker.instruments.loader import get_instrument
from tracker.render.charts import StarTrace, overall_line, spoke_key, star_chart
from tracker.render.cohort_charts import cohort_star

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better, 22 areas
STAR = get_instrument("family-outcomes-10")  # star 1-10, higher is better, 10 areas

STAR_LABELS = [
    "Health and physical care",
    "Parent's own well-being",
    "Children's emotional needs",
    "Keeping children safe",
    "Support from family, friends and community",
    "School and learning",
    "Boundaries and behaviour",
    "Daily routines",
    "Home and money",
    "Steps towards work or training",
]


def star_values(**overrides: float | None) -> dict[str, float | None]:
    """A full set of star scores, all 5, with some areas changed."""
    values: dict[str, float | None] = dict.fromkeys(STAR.domain_keys, 5.0)
    values.update(overrides)
    return values


# --------------------------------------------------------------------------------------
# star_chart: traces, labels and values
# --------------------------------------------------------------------------------------


def test_one_closed_trace_per_star_trace_and_no_marker_trace_without_highlight():
    traces = [
        StarTrace("Baseline", {"housing": 4.0, "general_health": 3.0}),
        StarTrace("Review 1", {"housing": 2.0, "general_health": 3.0}),
    ]
    figure = star_chart(traces, TAF)
    assert len(figure.data) == 2
    assert [trace.name for trace in figure.data] == ["Baseline", "Review 1"]
    for trace in figure.data:
        assert trace.type == "scatterpolar"
        # 22 areas plus the first one again, to close the shape.
        assert len(trace.theta) == 23
        assert len(trace.r) == 23
        assert trace.theta[-1] == trace.theta[0] == "Housing"
        assert trace.r[-1] == trace.r[0]


def test_theta_labels_follow_the_instrument_order():
    figure = star_chart([StarTrace("Baseline", star_values())], STAR)
    assert list(figure.data[0].theta) == [*STAR_LABELS, "Health and physical care"]

    taf_theta = star_chart([StarTrace("Baseline", {})], TAF).data[0].theta
    # The first section (family profile) comes first; the parent profile comes last.
    assert taf_theta[:4] == (
        "Housing",
        "Income, employment and finance",
        "Family history, relationships and well-being",
        "Social and community links / supports",
    )
    assert taf_theta[4] == "General health"
    assert taf_theta[21] == "Drug or alcohol use"


def test_r_values_are_the_scores_in_order_with_none_for_unscored_areas():
    values = star_values(physical_health=2.0, wellbeing=None, progress_to_work=9.0)
    figure = star_chart([StarTrace("Baseline", values)], STAR)
    r = list(figure.data[0].r)
    assert r == [2.0, None, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0, 2.0]


def test_an_area_missing_from_the_values_is_drawn_as_a_gap():
    figure = star_chart([StarTrace("Baseline", {"housing": 4.0, "drug_alcohol_use": 1.0})], TAF)
    r = list(figure.data[0].r)
    assert r[0] == 4.0  # housing
    assert r[21] == 1.0  # drug or alcohol use, the last area
    assert r[1:21] == [None] * 20
    assert r[22] == 4.0  # closing point repeats housing


def test_a_gap_is_not_bridged_by_a_line_or_a_fill():
    # Wellbeing (the second spoke) is not scored. The outline breaks there, both ways
    # round, and the latest shape is not filled: a filled shape would be closed across
    # the gap by a straight edge that no score drew.
    gappy = star_values(wellbeing=None)
    baseline, latest = star_chart(
        [StarTrace("Baseline", star_values()), StarTrace("Review 1", gappy)], STAR
    ).data
    assert latest.connectgaps is False
    assert list(latest.r)[:3] == [5.0, None, 5.0]
    assert latest.fill != "toself"
    assert latest.line.width == 3  # still the latest, drawn heavier
    assert baseline.fill != "toself"


def test_an_unscored_first_area_leaves_the_closing_stretch_open():
    (only,) = star_chart([StarTrace("Baseline", star_values(physical_health=None))], STAR).data
    r = list(only.r)
    assert r[0] is None and r[-1] is None  # no line from the last spoke back to the first
    assert r[1:-1] == [5.0] * 9


def test_a_not_a_number_score_is_a_gap_too():
    (only,) = star_chart([StarTrace("Baseline", star_values(wellbeing=float("nan")))], STAR).data
    assert list(only.r)[1] is None
    assert only.fill != "toself"


def test_a_whole_latest_shape_is_filled():
    latest = star_chart([StarTrace("Baseline", star_values())] * 2, STAR).data[-1]
    assert latest.fill == "toself"


# --------------------------------------------------------------------------------------
# star_chart: the "views differ" markers
# --------------------------------------------------------------------------------------


def test_highlight_adds_one_marker_trace_at_the_highlighted_areas():
    traces = [
        StarTrace("Baseline", {"housing": 4.0}),
        StarTrace("Review 1", {"housing": 2.0}),
    ]
    # Given out of instrument order on purpose.
    highlight = {"general_health": (4.0, 2.0), "housing": (1.0, 4.0)}
    figure = star_chart(traces, TAF, highlight=highlight)
    assert len(figure.data) == 3
    marker = figure.data[-1]
    assert marker.name == "Views differ by 2 or more"
    assert sorted(marker.theta) == ["General health", "Housing"]
    assert "lines" not in marker.mode


def test_highlight_marker_comes_after_the_score_traces():
    traces = [StarTrace("Baseline", star_values()), StarTrace("Review 1", star_values())]
    figure = star_chart(traces, STAR, highlight={"home_money": (3.0, 8.0)})
    assert [trace.name for trace in figure.data[:2]] == ["Baseline", "Review 1"]
    assert list(figure.data[2].theta) == ["Home and money"]


def test_an_empty_highlight_adds_no_empty_legend_entry():
    # views_differ() returns {} when the views agree; that must not add a marker trace.
    figure = star_chart([StarTrace("Baseline", star_values())], STAR, highlight={})
    assert len(figure.data) == 1


# --------------------------------------------------------------------------------------
# star_chart: orientation, outward is better
# --------------------------------------------------------------------------------------


def test_need_scale_reverses_the_radial_axis_so_outward_is_better():
    figure = star_chart([StarTrace("Baseline", {"housing": 3.0})], TAF)
    # 1 (no need) at the rim, 5 (critical) at the centre.
    assert list(figure.layout.polar.radialaxis.range) == [5, 1]


def test_star_scale_keeps_the_radial_axis_the_right_way_round():
    figure = star_chart([StarTrace("Baseline", star_values())], STAR)
    assert list(figure.layout.polar.radialaxis.range) == [1, 10]


@pytest.mark.parametrize(
    ("instrument", "best", "not_best"),
    [(TAF, "None", "Critical / complex"), (STAR, "Managing well", "Stuck")],
    ids=["need-scale", "star"],
)
def test_the_chart_says_outward_is_better_and_names_the_best_band(instrument, best, not_best):
    figure = star_chart([StarTrace("Baseline", {})], instrument)
    texts = " ".join(annotation.text for annotation in figure.layout.annotations)
    assert "Further out is better" in texts
    assert best in texts
    assert not_best not in texts


# --------------------------------------------------------------------------------------
# star_chart: line styles that still differ in greyscale
# --------------------------------------------------------------------------------------


def test_baseline_is_dashed_family_view_dotted_and_the_last_trace_filled():
    traces = [
        StarTrace("Baseline", star_values(wellbeing=3.0)),
        StarTrace("Family's view", star_values(wellbeing=8.0), family_view=True),
        StarTrace("Review 1", star_values(wellbeing=6.0)),
    ]
    baseline, family, latest = star_chart(traces, STAR).data
    assert baseline.line.dash == "dash"
    assert family.line.dash == "dot"
    assert latest.line.dash not in ("dash", "dot")
    assert latest.fill == "toself"
    assert baseline.fill != "toself"
    assert family.fill != "toself"


def test_one_shape_is_still_filled_when_the_family_view_comes_last():
    # The journey page appends the family's own traces after the worker/joint ones, so
    # with the family view switched on the last trace is a family_view trace. The last
    # trace must still be filled (and at most one shape, so the overlay stays readable).
    traces = [
        StarTrace("Baseline", star_values(wellbeing=3.0)),
        StarTrace("Review 1", star_values(wellbeing=6.0)),
        StarTrace("Family's view: Review 1", star_values(wellbeing=8.0), family_view=True),
    ]
    fills = [trace.fill for trace in star_chart(traces, STAR).data]
    assert fills.count("toself") == 1


def test_a_family_view_first_trace_is_not_drawn_as_the_baseline():
    # Showing only the family's own ratings: the first shape is theirs, so dotted.
    traces = [
        StarTrace("Family baseline", star_values(), family_view=True),
        StarTrace("Family review", star_values(wellbeing=7.0), family_view=True),
    ]
    first, second = star_chart(traces, STAR).data
    assert first.line.dash == "dot"
    assert second.line.dash == "dot"


def test_a_single_trace_is_both_the_dashed_baseline_and_the_filled_last_shape():
    (only,) = star_chart([StarTrace("Baseline", star_values())], STAR).data
    assert only.line.dash == "dash"
    assert only.fill == "toself"


# --------------------------------------------------------------------------------------
# overall_line
# --------------------------------------------------------------------------------------


def overall_points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "assessed_on": [date(2025, 2, 1), date(2025, 5, 1), date(2025, 8, 1)],
            "overall": [3.5, 2.75, 2.0],
            "label": ["Baseline", "Review 1", "Closure"],
        }
    )


def test_overall_line_plots_the_points_as_given():
    figure = overall_line(overall_points(), TAF)
    assert len(figure.data) == 1
    line = figure.data[0]
    assert list(line.x) == [date(2025, 2, 1), date(2025, 5, 1), date(2025, 8, 1)]
    assert list(line.y) == [3.5, 2.75, 2.0]
    assert list(line.text) == ["Baseline", "Review 1", "Closure"]


def test_overall_line_reverses_the_y_axis_on_a_need_scale():
    low, high = overall_line(overall_points(), TAF).layout.yaxis.range
    # The bottom of the chart is the worst score (5), the top is the best (1).
    assert low > high
    assert low >= 5
    assert high <= 1


def test_overall_line_keeps_the_y_axis_upright_on_a_star_scale():
    points = overall_points().assign(overall=[4.0, 6.5, 8.0])
    low, high = overall_line(points, STAR).layout.yaxis.range
    assert low < high
    assert low <= 1
    assert high >= 10


def test_overall_line_dates_its_axis_the_uk_way():
    xaxis = overall_line(overall_points(), TAF).layout.xaxis
    assert xaxis.tickformat == "%d %b %Y"  # "01 Feb 2025", never "Feb 1"


@pytest.mark.parametrize("instrument", [STAR, TAF], ids=["10 areas", "22 areas"])
def test_spoke_names_are_wrapped_onto_short_lines_but_keep_every_word(instrument):
    figures = [cohort_star([], instrument)]
    if instrument is STAR:
        figures.append(star_chart([StarTrace("Baseline", {})], instrument))
    for figure in figures:
        axis = figure.layout.polar.angularaxis
        labels = [domain.label for domain in instrument.domains]
        assert list(axis.tickvals) == labels  # the data keep the full names
        for label, text in zip(labels, axis.ticktext, strict=True):
            lines = text.split("<br>")
            assert " ".join(lines) == label
            assert max(len(line) for line in lines) <= 22, text
        assert any("<br>" in text for text in axis.ticktext)  # long names do wrap


def test_a_family_star_with_many_spokes_numbers_them_and_keys_the_numbers():
    # 22 names cannot sit around a star on a tablet without overlapping; numbers can.
    figure = star_chart([StarTrace("Baseline", {"housing": 3.0})], TAF)
    axis = figure.layout.polar.angularaxis
    labels = [domain.label for domain in TAF.domains]
    assert list(axis.ticktext) == [str(n) for n in range(1, 23)]
    assert list(axis.tickvals) == labels  # hover still names the area
    assert figure.layout.margin.l <= 40 and figure.layout.margin.r <= 40
    key = spoke_key(TAF)
    assert key.startswith("1 Housing · 2 Income, employment and finance · ")
    assert key.endswith("22 Drug or alcohol use")
    assert all(f"{n} {label}" in key for n, label in enumerate(labels, start=1))


def test_a_cohort_star_with_many_spokes_is_drawn_taller():
    assert cohort_star([], TAF).layout.height > cohort_star([], STAR).layout.height
