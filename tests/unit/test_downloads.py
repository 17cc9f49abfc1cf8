"""Downloads: tables as CSV and Excel with the suppression footnote, charts as PNG or HTML.

A download must show exactly what the page shows: suppressed figures as ``*`` and a
footnote that says why. It also carries its context (the ``notes``): comment rows at the
top of a CSV, an "About this table" sheet in Excel, lines under a chart.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from tracker.render.downloads import (
    ABOUT_SHEET,
    browser_available,
    figure_html,
    figure_png,
    footnote,
    mark_suppressed,
    stamped_figure,
    table_csv,
    table_xlsx,
)

BOM = "\ufeff".encode()
# What the cohort page passes: the instrument, whose ratings, the period, the filters,
# the audience, the smallest group and the day it was made.
NOTES = (
    "Instrument: Team Around the Family distance-travelled tool.",
    "Whose ratings: Worker and joint.",
    "Baselines: 01 Apr 2026 to 30 Jun 2026.",
    "Filters: area is Northfield, Eastgate's edge; tier of need is tier 3.",
    "Audience: service: exact figures for people entitled to the families' records.",
    "Smallest group shown: 5 families.",
    "Made on 30 Nov 2026.",
)


def suppressed_table() -> pd.DataFrame:
    """Three areas; the middle one is suppressed. An accent checks the encoding."""
    frame = pd.DataFrame(
        {
            "Area": ["Housing", "Café and community", "Income"],
            "Families": [6, 2, 7],
            "Mean change": [1.33, 0.5, -0.25],
        }
    )
    return mark_suppressed(frame, pd.Series([False, True, False]), ["Families", "Mean change"])


def a_figure() -> go.Figure:
    figure = go.Figure(go.Bar(x=["Worse", "Same", "Improved"], y=[20, 30, 50]))
    figure.update_layout(title={"text": "Change in Café area ◆"}, height=300)
    return figure


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (bytes 16-24)."""
    return struct.unpack(">II", png[16:24])


# --------------------------------------------------------------------------------------
# mark_suppressed and footnote
# --------------------------------------------------------------------------------------


def test_mark_suppressed_changes_only_flagged_rows_and_listed_columns():
    frame = pd.DataFrame(
        {
            "Area": ["A", "B", "C"],
            "Families": [6, 2, 7],
            "Mean": [1.5, 0.25, -0.5],
            "Note": ["x", "y", "z"],
        }
    )
    before = frame.copy()
    marked = mark_suppressed(frame, pd.Series([False, True, False]), ["Families", "Mean"])
    assert marked.iloc[0].tolist() == ["A", 6, 1.5, "x"]
    assert marked.iloc[1].tolist() == ["B", "*", "*", "y"]
    assert marked.iloc[2].tolist() == ["C", 7, -0.5, "z"]
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed


def test_mark_suppressed_is_positional_whatever_the_index():
    # The frame's index and the flags' index differ; the flags go by position.
    frame = pd.DataFrame({"Group": ["A", "B", "C"], "n": [5, 1, 9]}, index=[10, 20, 30])
    flags = pd.Series([True, False, False])
    marked = mark_suppressed(frame, flags, ["n"])
    assert marked["n"].tolist() == ["*", 1, 9]
    assert marked["Group"].tolist() == ["A", "B", "C"]
    assert list(marked.index) == [10, 20, 30]


def test_mark_suppressed_with_nothing_flagged_keeps_every_value():
    frame = pd.DataFrame({"Group": ["A", "B"], "n": [5, 6], "mean": [0.5, 1.0]})
    marked = mark_suppressed(frame, pd.Series([False, False]), ["n", "mean"])
    assert marked.values.tolist() == [["A", 5, 0.5], ["B", 6, 1.0]]
    assert "*" not in marked.values.ravel().tolist()


def test_footnote_names_min_group():
    assert footnote(5) == "* suppressed: fewer than 5 families, to protect their privacy."
    assert "fewer than 10 families" in footnote(10)


# --------------------------------------------------------------------------------------
# table_csv
# --------------------------------------------------------------------------------------


def test_table_csv_starts_with_a_bom_and_is_utf8():
    data = table_csv(suppressed_table(), min_group=5)
    assert isinstance(data, bytes)
    assert data.startswith(BOM)
    assert not data.startswith(BOM + BOM)
    text = data.decode("utf-8-sig")
    assert text.startswith("#,")
    assert '"Area","Families","Mean change"\n' in text
    assert "Café and community" in text


def test_table_csv_round_trips_through_pandas_skipping_its_notes():
    frame = suppressed_table()
    data = table_csv(frame, min_group=5, notes=NOTES)
    read = pd.read_csv(io.BytesIO(data), comment="#")
    assert list(read.columns) == ["Area", "Families", "Mean change"]
    assert len(read) == 3
    assert read.astype(str).values.tolist() == [
        ["Housing", "6", "1.33"],
        ["Café and community", "*", "*"],
        ["Income", "7", "-0.25"],
    ]


def test_table_csv_opens_with_its_context_and_the_footnote_as_comment_rows():
    data = table_csv(suppressed_table(), min_group=7, notes=NOTES)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    told = [row for row in rows if row[0] == "#"]
    assert [row[1] for row in told] == [*NOTES, footnote(7)]
    assert all(len(row) == 2 for row in told)  # each note whole in one cell, commas and all
    assert rows[: len(told)] == told  # all of them before the table
    assert rows[len(told)] == ["Area", "Families", "Mean change"]
    assert rows[len(told) + 2] == ["Café and community", "*", "*"]
    assert "fewer than 5" not in data.decode("utf-8-sig")


def test_table_csv_keeps_a_hash_inside_a_cell_and_guards_formulas_in_notes_and_cells():
    frame = pd.DataFrame({"Area": ["Flat #3, North", "=HYPERLINK()"], "Families": [6, 5]})
    data = table_csv(frame, min_group=5, notes=("=cmd|' /C calc'!A0", "Made on 30 Nov 2026."))
    read = pd.read_csv(io.BytesIO(data), comment="#")
    assert read["Area"].tolist() == ["Flat #3, North", "'=HYPERLINK()"]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["#", "'=cmd|' /C calc'!A0"]


# --------------------------------------------------------------------------------------
# table_xlsx
# --------------------------------------------------------------------------------------


def test_table_xlsx_has_clean_figures_and_an_about_sheet():
    data = table_xlsx(suppressed_table(), min_group=5, notes=NOTES)
    assert data.startswith(b"PK")  # an xlsx file is a zip archive
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Figures", ABOUT_SHEET]
    assert workbook.active.title == "Figures"
    rows = list(workbook["Figures"].iter_rows(values_only=True))
    assert rows == [
        ("Area", "Families", "Mean change"),
        ("Housing", 6, 1.33),
        ("Café and community", "*", "*"),
        ("Income", 7, -0.25),
    ]
    about = [row[0] for row in workbook[ABOUT_SHEET].iter_rows(values_only=True)]
    assert about == [ABOUT_SHEET, *NOTES, footnote(5)]


def test_table_xlsx_sheet_name_is_cut_to_excels_limit():
    long_name = "Distance travelled by key worker type and area"
    data = table_xlsx(suppressed_table(), min_group=3, sheet=long_name)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == [long_name[:31], ABOUT_SHEET]
    cells = [row[0] for row in workbook[ABOUT_SHEET].iter_rows(values_only=True)]
    assert footnote(3) in cells


def test_table_xlsx_guards_a_note_that_looks_like_a_formula():
    data = table_xlsx(suppressed_table(), min_group=5, notes=("=1+1",))
    about = openpyxl.load_workbook(io.BytesIO(data))[ABOUT_SHEET]
    assert about["A2"].value == "'=1+1"


# --------------------------------------------------------------------------------------
# stamped_figure
# --------------------------------------------------------------------------------------


def test_a_stamped_chart_says_its_context_under_it_in_lines_that_fit():
    long = "Filters: " + "; ".join(f"area is Place number {n}" for n in range(12)) + "."
    stamped = stamped_figure(a_figure(), (*NOTES, long))
    text = stamped.layout.annotations[-1].text
    lines = text.split("<br>")
    assert all(len(line) <= 150 for line in lines)
    assert len(lines) > len(NOTES) + 1  # the long filter line was wrapped, not cut
    assert " ".join(lines).replace("  ", " ").count("Place number") == 12
    for note in NOTES:
        assert note in text
    assert stamped.layout.height == 300 + 16 * len(lines)
    assert stamped_figure(a_figure(), ()).layout.height == 300


# --------------------------------------------------------------------------------------
# browser_available
# --------------------------------------------------------------------------------------


def test_browser_available_true_when_browser_path_exists(tmp_path, monkeypatch):
    browser = tmp_path / "chrome"
    browser.write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(browser))
    assert browser_available() is True


def test_browser_available_false_when_browser_path_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    assert browser_available() is False


def test_browser_available_falls_back_to_path(tmp_path, monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert browser_available() is False
    with_chromium = tmp_path / "bin"
    with_chromium.mkdir()
    fake = with_chromium / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(with_chromium))
    assert browser_available() is True


# --------------------------------------------------------------------------------------
# figure_html and figure_png
# --------------------------------------------------------------------------------------


def test_figure_html_is_a_self_contained_page():
    data = figure_html(a_figure())
    assert isinstance(data, bytes)
    text = data.decode("utf-8")
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert "<html" in text
    assert 'charset="utf-8"' in text
    assert text.rstrip().endswith("</html>")
    assert "<head" in text and "<body" in text
    assert "plotly" in text.lower()
    # the library itself is inlined: no script is fetched from a CDN or anywhere else
    assert re.search(r"<script[^>]*\bsrc=", text) is None
    assert len(data) > 1_000_000
    # the figure's own data is embedded (plotly may write the accents as JSON escapes)
    title = "Change in Café area ◆"
    assert title in text or json.dumps(title)[1:-1] in text


def test_figure_png_returns_png_bytes():
    if not browser_available() and os.environ.get("CI") != "true":
        pytest.skip(
            "no Chromium for kaleido (set BROWSER_PATH or put chromium on PATH); "
            "on CI (CI=true) this test runs and fails instead"
        )
    png = figure_png(a_figure(), width=400)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # exported at scale 1.5: 400 x 300 (the figure's own height) -> 600 x 450 pixels
    assert png_size(png) == (600, 450)
