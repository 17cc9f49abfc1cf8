"""Cohort page: every filter and rating view renders, numbers match the CLI, small groups hide."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.app.conftest import by_label, open_app
from tracker.cli import main

PAGE = "pages/cohort.py"
SELECTS = [
    "Area",
    "Tier of need",
    "Key worker",
    "Key worker type",
    "Age of youngest child",
    "Referral source",
]


def metric(app, label: str) -> str:
    return by_label(app.metric, label).value


@pytest.mark.parametrize("label", SELECTS)
def test_each_filter_renders(manager, label):
    app = open_app(manager, PAGE)
    box = by_label(app.sidebar.selectbox, label)
    box.select_index(1).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.metric


@pytest.mark.parametrize(
    ("label", "value"),
    [("Cases", "Open"), ("Cases", "Closed"), ("Whose ratings", "The family's own")],
)
def test_each_case_status_and_rating_view_renders(manager, label, value):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.radio, label).set_value(value).run()
    assert not app.exception, [e.value for e in app.exception]
    assert "family's own" in app.caption[0].value or value != "The family's own"


def test_the_first_journey_and_the_yardstick_are_said_and_no_baseline_switch(manager, capsys):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    # The "worse of the first two" switch is gone; the one switch is for publication.
    assert [toggle.label for toggle in app.sidebar.toggle] == ["For publication"]
    captions = " ".join(caption.value for caption in app.caption)
    assert "first baseline" in app.caption[0].value
    assert main(["cohort", "--instrument", "taf-dtt", "--json"]) == 0
    yardstick = json.loads(capsys.readouterr().out)["yardstick"]
    assert f"±1.96 × S_diff = ±{1.96 * yardstick['s_diff']:.2f} points" in captions
    assert f"reliability {yardstick['reliability']:.2f}" in captions
    assert "small changes are within measurement error" in captions
    assert "hidden need coming to light" in captions


@pytest.mark.parametrize(
    ("sidebar", "cli"),
    [
        ({}, []),
        ({"Area": "Northfield"}, ["--area", "Northfield"]),
        ({"Whose ratings": "The family's own"}, ["--rater", "family"]),
        ({"Tier of need": "tier 3"}, ["--tier", "tier 3"]),
    ],
)
def test_tiles_match_tracker_cohort_json(manager, capsys, sidebar, cli):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    for label, value in sidebar.items():
        widgets = app.sidebar.radio if label == "Whose ratings" else app.sidebar.selectbox
        by_label(widgets, label).set_value(value).run()
    assert main(["cohort", "--instrument", "taf-dtt", "--json", *cli]) == 0
    expected = json.loads(capsys.readouterr().out)
    overall = expected["overall"]

    def shown(value, suffix="", digits=0):
        if value is None:
            return "*"
        return f"{value:.{digits}f}{suffix}" if isinstance(value, float) else f"{value}"

    assert metric(app, "Families in cohort") == shown(expected["families"])
    assert metric(app, "With a review") == shown(expected["with_review"])
    assert metric(app, "Awaiting review") == shown(expected["awaiting_review"])
    # Better off is reliably better; improved, same and worse are any change.
    better, pct = overall["reliable_improvement"], overall["pct_reliable_improvement"]
    assert metric(app, "Better off") == ("*" if better is None else f"{better} ({shown(pct, '%')})")
    for key in ("improved", "same", "worse"):
        assert metric(app, f"{key.capitalize()} (any change)").startswith(
            "*" if overall[key] is None else f"{overall[key]} ("
        )
    early = expected["early_worsening"]
    assert metric(app, "Worse at first review") == (
        "*" if early is None else f"{early} ({shown(expected['pct_early_worsening'], '%')})"
    )
    assert metric(app, "Mean distance travelled") == shown(overall["mean_change"], digits=2)
    assert metric(app, "Standardised response mean") == shown(
        overall["standardised_response_mean"], digits=2
    )
    net = overall["net_improvement"]
    assert metric(app, "Net improvement") == ("*" if net is None else f"{net:+.0f} points")
    if overall["reliable_improvement"] is not None:
        assert metric(app, "Reliably worse").startswith(f"{overall['reliable_deterioration']} (")
        assert metric(app, "Not classifiable").startswith(f"{overall['not_classifiable']} (")


def test_a_small_group_is_suppressed_everywhere(manager, monkeypatch):
    monkeypatch.setenv("TRACKER_MIN_GROUP", "1000")
    app = open_app(manager, PAGE)
    assert not app.exception
    for tile in app.metric:
        assert tile.value in {"*", "0"}, (tile.label, tile.value)
    charts = [json.loads(node.proto.spec) for node in app.get("plotly_chart")]
    star = charts[0]
    assert all(r is None for trace in star["data"] for r in trace["r"])
    for chart in charts[1:]:
        for trace in chart["data"]:
            for axis in ("x", "y", "z"):
                values = trace.get(axis)
                if trace.get("type") == "bar" and axis == "x" and values is not None:
                    assert all(v is None or v != v for v in values), trace["name"]
    for frame in app.dataframe:
        table = frame.value
        figures = [c for c in table.columns[1:] if c != "Months since baseline"]
        for column in figures:
            assert set(table[column].astype(str)) <= {"*", "", "0"}, column
    assert any("Hidden: fewer than 1000 families" in info.value for info in app.info)


def test_practitioners_cannot_open_the_cohort(practitioner):
    app = open_app(practitioner)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(PAGE)
    assert not any(m.label == "Families in cohort" for m in app.metric)


def published_json(capsys, *options: str) -> dict:
    assert (
        main(["cohort", "--instrument", "taf-dtt", "--json", "--audience", "published", *options])
        == 0
    )
    return json.loads(capsys.readouterr().out)


def test_a_commissioner_sees_the_published_figures(commissioner, capsys):
    app = open_app(commissioner, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    published = published_json(capsys)
    overall = published["overall"]
    assert metric(app, "Families in cohort") == str(published["families"])
    assert published["families"] % 5 == 0
    assert metric(app, "Awaiting review") == str(published["awaiting_review"])
    assert metric(app, "Better off") == (
        f"{overall['reliable_improvement']} ({overall['pct_reliable_improvement']:.0f}%)"
    )
    assert metric(app, "Mean distance travelled") == f"{overall['mean_change']:.2f}"
    assert any("Published figures" in info.value for info in app.info)
    assert any("Downloads hold published figures" in c.value for c in app.caption)
    # No switch: a commissioner never gets exact figures, on screen or in a download.
    assert not app.sidebar.toggle
    for frame in app.dataframe:
        if "Families" in frame.value.columns:
            counts = [v for v in frame.value["Families"] if v not in ("*", "", None)]
            assert all(int(v) % 5 == 0 for v in counts)


def test_a_published_window_is_whole_months(commissioner, capsys):
    app = open_app(commissioner, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    app.sidebar.date_input[0].set_value((date(2026, 3, 10), date(2026, 9, 12))).run()
    assert not app.exception
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "whole months" in captions and "01/03/2026" in captions and "30/09/2026" in captions
    published = published_json(capsys, "--from", "2026-03-01", "--to", "2026-09-30")
    assert published["families"] >= 5
    assert metric(app, "Families in cohort") == str(published["families"])


def test_a_managers_screen_stays_exact_and_for_publication_changes_the_downloads(manager, capsys):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    assert main(["cohort", "--instrument", "taf-dtt", "--json"]) == 0
    service = json.loads(capsys.readouterr().out)
    assert metric(app, "Families in cohort") == str(service["families"])
    assert any("exact service figures, not for publication" in c.value for c in app.caption)
    by_label(app.sidebar.toggle, "For publication").set_value(True).run()
    assert not app.exception
    assert metric(app, "Families in cohort") == str(service["families"])
    assert any("Downloads hold published figures" in c.value for c in app.caption)
    tab_labels = [tab.label for tab in app.tabs]
    scatter = app.tabs[tab_labels.index("Reliable change")]
    assert any("Not for publication" in c.value for c in scatter.caption)
