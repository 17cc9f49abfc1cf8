"""Cohort page: every filter and rating view renders, numbers match the CLI, small groups
hide and say so, it opens on the main instrument, ages read in age order, and every
statistic says what it is."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.app.conftest import by_label, open_app
from tracker.cli import main
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import STATISTICS, CohortFilter, load_cohort
from tracker.measures.cohort.snapshot import snapshot
from tracker.render.plain_text import markdown_literal
from tracker.store.vocabulary import AGE_GROUPS

PAGE = "pages/cohort.py"
SELECTS = [
    "Area",
    "Tier of need",
    "Key worker",
    "Key worker type",
    "Age of youngest child",
    "Referral source",
]


def chart_title(chart) -> str:
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]


def metric(app, label: str) -> str:
    return by_label(app.metric, label).value


def name(key: str) -> str:
    return STATISTICS[key].name


def cohort_json(capsys, *options: str, instrument: str = "taf-dtt") -> dict:
    assert main(["cohort", "--instrument", instrument, "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def everything_said(app) -> str:
    """Every piece of text on the page, for checking what it never says."""
    parts = [
        element.value
        for kind in ("caption", "markdown", "info", "warning", "error")
        for element in getattr(app, kind)
    ]
    return " ".join([*parts, *(f"{m.label} {m.value} {m.proto.help}" for m in app.metric)])


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
        if isinstance(value, float) and round(value, digits) == int(round(value, digits)):
            return f"{round(value)}{suffix}"  # a whole number, never 1.00
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
    assert metric(app, name("standardised_response_mean")) == shown(
        overall["standardised_response_mean"], digits=2
    )
    net = overall["net_improvement"]
    assert metric(app, "Net improvement") == ("*" if net is None else f"{net:+.0f} points")
    if overall["reliable_improvement"] is not None:
        assert metric(app, "Reliably worse").startswith(f"{overall['reliable_deterioration']} (")
        assert metric(app, name("not_classifiable")).startswith(f"{overall['not_classifiable']} (")


def test_too_few_families_says_so_and_draws_nothing(manager, monkeypatch):
    """Not tiles of *, "* to *" and an empty star: one plain sentence, and nothing drawn."""
    with_many = open_app(manager, PAGE)
    assert with_many.get("plotly_chart") and with_many.dataframe
    assert not any("Too few families" in info.value for info in with_many.info)
    monkeypatch.setenv("TRACKER_MIN_GROUP", "1000")
    app = open_app(manager, PAGE)
    assert not app.exception
    (info,) = [info for info in app.info if "Too few families" in info.value]
    assert info.value.startswith("Too few families to show:")
    assert "fewer than 1000 families" in info.value
    assert not app.get("plotly_chart") and not app.dataframe and not app.tabs
    assert not app.metric  # the families count itself is hidden, so no tiles at all
    said = everything_said(app)
    assert "* to *" not in said and "– to –" not in said


def test_too_few_reviewed_shows_the_counts_and_says_so(manager, capsys, monkeypatch):
    # A smallest group of exactly the cohort's size: its families show, but fewer than
    # that have a review, so there is no change to show.
    exact = cohort_json(capsys, "--min-group", "0")
    assert 0 < exact["with_review"] < exact["families"]
    monkeypatch.setenv("TRACKER_MIN_GROUP", str(exact["families"]))
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    assert [tile.label for tile in app.metric] == [
        name("families"),
        name("with_review"),
        name("awaiting_review"),
    ]
    assert metric(app, name("families")) == str(exact["families"])
    assert metric(app, name("with_review")) == "*"
    assert any(i.value.startswith("Too few families to show change:") for i in app.info)
    # No change to show, but where families started and why they are left out still show.
    assert [tab.label for tab in app.tabs] == ["Needs at entry", "Not in these figures"]
    assert [chart_title(chart) for chart in app.get("plotly_chart")] == ["Needs at entry"]


def test_it_opens_on_the_instrument_most_families_were_scored_on(manager, sample_engine):
    with sample_engine.connect() as connection:
        counts = dict(
            connection.execute(
                sa.text(
                    "SELECT instrument, COUNT(DISTINCT family_id) FROM assessment "
                    "GROUP BY instrument"
                )
            ).all()
        )
    most = max(counts, key=counts.get)
    assert sorted(counts.values())[-1] > sorted(counts.values())[-2]
    app = open_app(manager, PAGE)
    assert by_label(app.sidebar.selectbox, "Instrument").value == most


def test_it_opens_on_the_main_instrument_the_setting_names(manager, monkeypatch):
    # Unset, the page opens on taf-dtt (most families); the setting names the other one.
    assert by_label(open_app(manager, PAGE).sidebar.selectbox, "Instrument").value == "taf-dtt"
    monkeypatch.setenv("TRACKER_MAIN_INSTRUMENT", "family-outcomes-10")
    app = open_app(manager, PAGE)
    assert by_label(app.sidebar.selectbox, "Instrument").value == "family-outcomes-10"
    assert "Family outcomes star" in app.caption[0].value
    assert not app.sidebar.warning


def test_an_unknown_main_instrument_is_named_and_the_page_still_opens(manager, monkeypatch):
    monkeypatch.setenv("TRACKER_MAIN_INSTRUMENT", "star-v2")
    app = open_app(manager, PAGE)
    assert not app.exception
    (warning,) = app.sidebar.warning
    assert "TRACKER_MAIN_INSTRUMENT" in warning.value and "'star-v2'" in warning.value
    assert by_label(app.sidebar.selectbox, "Instrument").value == "taf-dtt"  # most families


def test_age_groups_read_in_age_order(manager):
    app = open_app(manager, PAGE)
    ages = by_label(app.sidebar.selectbox, "Age of youngest child").options
    assert ages == ["All", *AGE_GROUPS]  # the sample has every age group
    by_label(app.selectbox, "Break down by").set_value("age_group").run()
    table = next(f.value for f in app.dataframe if "Age of youngest child" in f.value.columns)
    assert table["Age of youngest child"].tolist() == list(AGE_GROUPS)
    charts = [json.loads(node.proto.spec) for node in app.get("plotly_chart")]
    bars = next(c for c in charts if c["layout"]["title"]["text"] == "By age of youngest child")
    assert [label.split(" (")[0] for label in bars["data"][0]["y"]] == list(AGE_GROUPS)
    assert bars["layout"]["yaxis"]["autorange"] == "reversed"  # first group at the top
    by_label(app.selectbox, "Lines for").set_value("age_group").run()
    lines = next(f.value for f in app.dataframe if "Months since baseline" in f.value.columns)
    assert list(dict.fromkeys(lines["Group"])) == list(AGE_GROUPS)


def test_every_statistic_has_its_plain_name_and_what_it_is(manager):
    app = open_app(manager, PAGE)
    meanings = {statistic.name: statistic.meaning for statistic in STATISTICS.values()}
    listed = by_label(app.expander, "What is this? Every figure explained").markdown[0].value
    assert len(listed.splitlines()) == len(app.metric)  # a line for each tile shown
    for tile in app.metric:
        assert tile.proto.help.startswith(meanings[tile.label]), tile.label
        assert f"**{markdown_literal(tile.label)}**" in listed, tile.label
    bands = {band.label for band in get_instrument("taf-dtt").bands}
    told = [e.markdown[0].value for e in app.expander if e.label == "What the columns mean"]
    assert len(told) == len(app.dataframe) >= 4  # by area, movement, breakdown, over time
    for frame, lines in zip(app.dataframe, told, strict=True):
        for column in frame.value.columns:
            assert f"**{markdown_literal(column)}**" in lines or column in bands, column


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
    by_label(app.sidebar.text_input, "Baselines from").set_value("10/03/2026").run()
    by_label(app.sidebar.text_input, "Baselines to").set_value("12 Sep 2026").run()
    assert not app.exception
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "whole months" in captions and "01 Mar 2026 to 30 Sep 2026" in captions
    published = published_json(capsys, "--from", "2026-03-01", "--to", "2026-09-30")
    assert published["families"] >= 5
    assert metric(app, "Families in cohort") == str(published["families"])


def test_one_typed_date_applies_alone_and_a_wrong_one_names_its_field(manager, capsys):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    everyone = metric(app, "Families in cohort")
    by_label(app.sidebar.text_input, "Baselines from").set_value("1/6/2026").run()
    since = cohort_json(capsys, "--from", "2026-06-01")
    assert metric(app, "Families in cohort") == str(since["families"]) != everyone
    assert "baselines: from 01 Jun 2026 onwards" in app.caption[0].value
    by_label(app.sidebar.text_input, "Baselines to").set_value("31/02/2026").run()
    assert not app.exception
    (error,) = app.sidebar.error
    assert error.value.startswith('Baselines to: "31/02/2026" is not a date.')
    assert metric(app, "Families in cohort") == everyone  # until it is put right


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


@pytest.fixture
def files(monkeypatch) -> dict:
    """Each download the page offers, by file name, made as a click would make it."""
    made = {}
    add_deferred = MediaFileManager.add_deferred

    def kept(self, data, mimetype, coordinates, file_name=None, **options):
        made[file_name] = data
        return add_deferred(self, data, mimetype, coordinates, file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", kept)
    return made


def csv_of(files: dict, name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(files[name]()), comment="#", encoding="utf-8-sig")


def in_tab(app, label: str):
    return by_label(app.tabs, label)


def frame_with(elements, column: str) -> pd.DataFrame:
    return next(f.value for f in elements.dataframe if column in f.value.columns)


def chart_in(elements, title: str) -> dict:
    charts = [json.loads(node.proto.spec) for node in elements.get("plotly_chart")]
    return next(chart for chart in charts if chart["layout"]["title"]["text"] == title)


def test_needs_at_entry_shows_every_family_with_a_baseline(manager, sample_engine):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    tab = in_tab(app, "Needs at entry")
    table = frame_with(tab, "Families scored at baseline")
    taf = get_instrument("taf-dtt")
    with sample_engine.connect() as connection:
        cohort = load_cohort(connection, CohortFilter(instrument="taf-dtt"), taf)
    exact = snapshot(cohort, min_group=5).bands.query("domain == 'housing'")
    housing = table[table["Area"] == "Housing"].iloc[0]
    # Families awaiting review are in it: the whole cohort was scored on housing.
    assert int(housing["Families scored at baseline"]) == len(cohort.pairs) > cohort.with_review
    for band in exact.itertuples():
        shown = housing[band.band]
        assert shown == "*" if band.families == "*" else shown.startswith(f"{band.families}")
    top = frame_with(tab, "Families at a need band")
    assert top["Rank"].tolist() == ["1", "2", "3"] or top["Rank"].tolist() == [1, 2, 3]
    assert any('"Significant" or "Critical / complex"' in c.value for c in tab.caption)
    assert chart_in(tab, "Needs at entry")["data"][0]["name"] == "None"  # scale order


def test_a_manager_sees_who_is_left_out_by_reference(manager):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    tab = in_tab(app, "Not in these figures")
    counts = frame_with(tab, "How many").set_index("Reason")["How many"]
    listed = frame_with(tab, "Family")
    assert listed["Family"].str.startswith("FAM-").all()
    awaiting = (listed["Reason"] == "Awaiting review").sum()
    assert str(awaiting) == str(counts["Awaiting review"]) == metric(app, "Awaiting review")
    assert any("For managers only" in c.value for c in tab.caption)


def everything_shown(app) -> str:
    frames = " ".join(frame.value.to_csv() for frame in app.dataframe)
    charts = " ".join(node.proto.spec for node in app.get("plotly_chart"))
    return " ".join([everything_said(app), frames, charts])


def test_a_commissioner_sees_counts_only_and_no_reference_anywhere(commissioner, files):
    app = open_app(commissioner, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    tab = in_tab(app, "Not in these figures")
    counts = frame_with(tab, "How many")["How many"]
    assert all(value in ("*", "0") or int(value) % 5 == 0 for value in counts.astype(str))
    assert not any(frame.value.columns.isin(["Family"]).any() for frame in app.dataframe)
    assert "FAM-" not in everything_shown(app)
    for name, make in files.items():
        assert b"FAM-" not in make(), name
    assert "not-in-these-figures.csv" in files and not any("families" in n for n in files)


CHARTS = {  # tab: (file name of its chart data, the chart's title)
    "Star": ("cohort-star", "Cohort star: average at baseline and latest review"),
    "By area": ("change-by-area", "Change by area"),
    "Movement": ("movement-housing", "Movement: Housing"),
    "Breakdowns": ("breakdown-area", "By area"),
    "Over time": ("over-time", "Change from baseline, month by month"),
    "Needs at entry": ("needs-at-entry", "Needs at entry"),
    "Reliable change": ("reliable-change", "Reliable change"),
}


def test_every_chart_has_chart_data_that_matches_it(manager, files):
    app = open_app(manager, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    for label, (name, title) in CHARTS.items():
        tab = in_tab(app, label)
        chart_in(tab, title)  # the chart is there
        buttons = {b.label: b.proto.help for b in tab.get("download_button")}
        assert buttons["Chart data CSV"].startswith("The numbers"), label
        assert "About this table" in buttons["Chart data Excel"], label
        assert f"{name}-chart-data.xlsx" in files, label
        data = csv_of(files, f"{name}-chart-data.csv")
        assert len(data), label
        said = files[f"{name}-chart-data.csv"]().decode("utf-8-sig")
        assert "Instrument: Team Around the Family" in said and "Made on" in said, label
    star = chart_in(in_tab(app, "Star"), CHARTS["Star"][1])
    data = csv_of(files, "cohort-star-chart-data.csv")
    latest = dict(zip(star["data"][1]["theta"], star["data"][1]["r"], strict=False))
    for row in data.itertuples():
        assert latest[row.Area] == pytest.approx(row._4, abs=0.005)
    bars = chart_in(in_tab(app, "By area"), "Change by area")
    trace = bars["data"][2]
    improved = {y.split(" (")[0]: x for y, x in zip(trace["y"], trace["x"], strict=True)}
    data = csv_of(files, "change-by-area-chart-data.csv")
    for row in data.itertuples():
        assert improved[row.Area] == pytest.approx(row._5, abs=0.5)
    entry = chart_in(in_tab(app, "Needs at entry"), "Needs at entry")
    data = csv_of(files, "needs-at-entry-chart-data.csv").set_index("Area")
    for trace in entry["data"]:
        for area, share in zip(trace["y"], trace["x"], strict=True):
            if share is not None:
                assert float(data.loc[area, f"{trace['name']}: %"]) == pytest.approx(share, abs=0.5)
    dots = csv_of(files, "reliable-change-chart-data.csv")
    # One row per dot, no reference: as many reliably better as the tile counts.
    kinds = dots["Reliable change"].value_counts()
    assert metric(app, "Better off").startswith(f"{kinds['Reliably better']} (")
    assert metric(app, "Reliably worse").startswith(f"{kinds.get('Reliably worse', 0)} (")
    assert list(dots.columns) == [
        "Overall score at baseline",
        "Overall score at the latest review",
        "Reliable change",
    ]


def test_a_commissioners_chart_data_are_the_published_figures(commissioner, files):
    app = open_app(commissioner, PAGE)
    by_label(app.sidebar.selectbox, "Instrument").set_value("taf-dtt").run()
    assert "Reliable change" not in [tab.label for tab in app.tabs]
    assert not any(name.startswith("reliable-change") for name in files)
    for label, (name, _) in CHARTS.items():
        if label == "Reliable change":
            continue
        data = csv_of(files, f"{name}-chart-data.csv")
        said = files[f"{name}-chart-data.csv"]().decode("utf-8-sig")
        assert "Audience: published" in said, label
        counted = [c for c in data.columns if c == "Families" or c.endswith("families")]
        counted += ["Families scored at baseline"] if label == "Needs at entry" else []
        for column in counted:
            shown = data[column].astype(str)
            assert all(v in ("*", "0") or int(float(v)) % 5 == 0 for v in shown), (label, column)
