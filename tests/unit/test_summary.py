"""The one-page family summary: a self-contained A4 HTML page with an inline SVG star."""

from __future__ import annotations

import math
import re
from datetime import date
from html import escape

import pandas as pd

from tracker.instruments.loader import get_instrument
from tracker.measures.journey import Progress
from tracker.render.charts import StarTrace
from tracker.render.summary import SCORED_BY, family_summary_html, star_svg
from tracker.store.vocabulary import RATERS

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better
STAR = get_instrument("family-outcomes-10")  # star 1-10, higher is better
CENTRE = (210.0, 210.0)  # the SVG is 420 x 420

GOAL_COLUMNS = ["id", "text", "domain", "status", "set_on", "status_on"]


def goals_frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """A goals()-shaped frame from ``(text, status)`` pairs."""
    return pd.DataFrame(
        [
            (number, text, None, status, date(2025, 2, 1), None)
            for number, (text, status) in enumerate(rows, start=1)
        ],
        columns=GOAL_COLUMNS,
    )


def summary(**overrides) -> str:
    arguments = {
        "family_ref": "NF-0042",
        "first_name": "Ann",
        "instrument": TAF,
        "traces": [
            StarTrace("Baseline", {"housing": 4.0, "general_health": 3.0, "aspirations": 3.0}),
            StarTrace("Review 1", {"housing": 2.0, "general_health": 3.0, "aspirations": 2.0}),
        ],
        "trace_dates": ["01 Feb 2025", "01 May 2025"],
        "trace_raters": ["worker", "worker"],
        "progress": Progress(
            better=["Housing", "Aspirations"], harder=[], still_working_on=["General health"]
        ),
        "goals": goals_frame([("Keep the rent paid", "open")]),
        "today": date(2025, 5, 2),
    }
    arguments.update(overrides)
    return family_summary_html(**arguments)


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match, "the page has no <h1>"
    return match.group(1)


def section_after(html: str, title: str) -> str:
    """The markup between an <h2> with this title and the next heading."""
    match = re.search(rf"<h2>{re.escape(title)}</h2>(.*?)(?:<h2>|$)", html, re.S)
    assert match, f"no <h2>{title}</h2> on the page"
    return match.group(1)


def polygons(svg: str, tag: str = "polygon") -> list[list[tuple[float, float]]]:
    shapes = []
    for points in re.findall(rf'<{tag} points="([^"]*)"', svg):
        pairs = (pair.split(",") for pair in points.split())
        shapes.append([(float(x), float(y)) for x, y in pairs])
    return shapes


def distance(point: tuple[float, float]) -> float:
    return math.dist(point, CENTRE)


def spoke_of(point: tuple[float, float], count: int) -> int:
    """Which spoke a point lies on: spoke 0 points up, the rest follow clockwise."""
    angle = math.degrees(math.atan2(point[1] - CENTRE[1], point[0] - CENTRE[0])) + 90
    return round(angle / (360 / count)) % count


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def test_summary_is_a_complete_html_document_sized_for_a4():
    html = summary()
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<html" in html
    assert re.search(r"<body( class=\"crowded\")?>", html)
    assert html.rstrip().endswith("</html>")
    assert "@page { size: A4" in html


def test_summary_shows_the_family_reference_and_first_name():
    html = summary(family_ref="NF-0042", first_name="Ann")
    assert "NF-0042" in html
    assert "Ann" in heading(html)


def test_first_name_is_html_escaped():
    html = summary(first_name="<b>Ann</b>")
    assert "<b>Ann</b>" not in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html


def test_a_blank_first_name_leaves_no_name_in_the_greeting():
    named = heading(summary(first_name="Ann"))
    blank = heading(summary(first_name="   "))
    assert blank.startswith("Here")
    assert "," not in blank  # no "<name>, here"
    assert "Ann" not in blank
    assert named != blank


def test_summary_has_the_plain_language_headings():
    html = summary()
    assert "<h2>What has got better</h2>" in html
    assert "<h2>What we are still working on</h2>" in html


def test_progress_lists_appear_under_their_headings():
    html = summary(
        progress=Progress(
            better=["Housing", "Aspirations"], harder=[], still_working_on=["General health"]
        )
    )
    better = section_after(html, "What has got better")
    working = section_after(html, "What we are still working on")
    assert re.findall(r"<li>(.*?)</li>", better) == ["Housing", "Aspirations"]
    assert re.findall(r"<li>(.*?)</li>", working) == ["General health"]


def test_empty_lists_get_friendly_text_instead_of_an_empty_list():
    html = summary(progress=Progress(better=[], harder=[], still_working_on=[]))
    for title in ("What has got better", "What we are still working on"):
        section = section_after(html, title)
        assert "<li>" not in section, title
        text = re.sub(r"<[^>]+>", " ", section).split()
        assert len(text) >= 3, f"{title}: no explanation shown"


def test_a_short_record_keeps_the_roomy_layout_and_a_full_one_gets_the_compact_one():
    labels = [domain.label for domain in TAF.domains]
    short = summary()
    full = summary(
        progress=Progress(better=[], harder=labels, still_working_on=labels),
        goals=goals_frame([(f"Goal {n}", "open") for n in range(8)]),
    )
    assert "<body>" in short
    assert '<body class="crowded">' in full
    # The compact layout hides nothing: every harder area is still listed.
    harder = section_after(full, "Things that have been harder lately")
    assert re.findall(r"<li>(.*?)</li>", harder) == [escape(label) for label in labels]


def test_each_goal_is_shown_escaped_with_its_status_label():
    goals = goals_frame(
        [
            ("Get to school on time <every day>", "partially_achieved"),
            ("Fix the boiler & the damp", "open"),
            ("Join a parents' group", "wholly_achieved"),
        ]
    )
    html = summary(goals=goals)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", html)
    assert rows == [
        ("Get to school on time &lt;every day&gt;", "Partially achieved"),
        ("Fix the boiler &amp; the damp", "Open"),
        ("Join a parents&#x27; group", "Wholly achieved"),
    ]
    assert "<every day>" not in html


def test_no_goals_gets_friendly_text():
    html = summary(goals=goals_frame([]))
    table = re.search(r"<table>(.*?)</table>", html, re.S)
    assert table, "the goals table is missing"
    words = re.sub(r"<[^>]+>", " ", table.group(1)).split()
    assert len(words) >= 3


# --------------------------------------------------------------------------------------
# The inline star
# --------------------------------------------------------------------------------------


def test_summary_embeds_one_svg_with_a_closed_shape_only_for_a_whole_trace():
    whole = dict.fromkeys(STAR.domain_keys, 5.0)
    traces = [
        StarTrace("Baseline", whole),
        # Well-being (spoke 2) not scored: a gap, so no closed shape but one line
        # from spoke 3 round to spoke 1 (nine areas), never across the gap.
        StarTrace("Review 1", whole | {"wellbeing": None}),
        StarTrace("Review 2", {}),  # nothing scored: nothing drawn
    ]
    html = summary(
        instrument=STAR,
        traces=traces,
        trace_dates=["1 Feb", "1 May", "1 Aug"],
        trace_raters=["worker"] * 3,
    )
    assert html.count("<svg") == 1
    assert "</svg>" in html
    assert [len(shape) for shape in polygons(html)] == [10]
    (line,) = polygons(html, "polyline")
    assert len(line) == 9
    assert [spoke_of(point, 10) for point in line] == [2, 3, 4, 5, 6, 7, 8, 9, 0]


def test_lone_scores_between_gaps_are_dots_not_lines():
    # Housing, general health and aspirations are spokes 1, 5 and 16 of 22: no two
    # are neighbours, so each is a dot and no line joins them.
    svg = star_svg(
        [StarTrace("Baseline", {"housing": 4.0, "general_health": 3.0, "aspirations": 3.0})],
        TAF,
    )
    assert "<polygon" not in svg and "<polyline" not in svg
    assert len(re.findall(r'<circle [^>]*r="3.5"', svg)) == 3


def test_need_scale_draws_the_best_score_further_out_than_the_worst():
    # housing 1 (no need, best), income 5 (critical, worst), family history 3.
    svg = star_svg(
        [
            StarTrace(
                "Baseline",
                {
                    "housing": 1.0,
                    "income_employment_finance": 5.0,
                    "family_history_relationships_wellbeing": 3.0,
                },
            )
        ],
        TAF,
    )
    (shape,) = polygons(svg, "polyline")  # three neighbouring areas of 22
    best, worst, middle = (distance(point) for point in shape)
    assert best > middle > worst


def test_need_scale_score_of_one_sits_on_the_outer_ring():
    svg = star_svg([StarTrace("All fine", dict.fromkeys(TAF.domain_keys, 1.0))], TAF)
    rings = [float(r) for r in re.findall(r'<circle [^>]*r="([\d.]+)"', svg)]
    (shape,) = polygons(svg)
    assert len(shape) == 22
    for point in shape:
        assert math.isclose(distance(point), max(rings), abs_tol=0.2)


def test_need_scale_whole_shape_moves_outward_as_need_falls():
    high_need = StarTrace("Baseline", dict.fromkeys(TAF.domain_keys, 5.0))
    low_need = StarTrace("Review 1", dict.fromkeys(TAF.domain_keys, 2.0))
    first, second = polygons(star_svg([high_need, low_need], TAF))
    for before, after in zip(first, second, strict=True):
        assert distance(after) > distance(before)


def test_star_scale_draws_a_higher_score_further_out():
    svg = star_svg([StarTrace("Baseline", {"physical_health": 10.0, "wellbeing": 1.0})], STAR)
    (shape,) = polygons(svg, "polyline")
    high, low = (distance(point) for point in shape)
    assert high > low


# --------------------------------------------------------------------------------------
# Who gave the scores
# --------------------------------------------------------------------------------------


def test_every_rater_has_a_phrase_for_the_family():
    assert set(SCORED_BY) == set(RATERS)


def test_scores_all_given_by_the_key_worker_say_so_once():
    html = summary(trace_raters=["worker", "worker"])
    assert "<p>Scored by your key worker.</p>" in html
    assert html.count("scored by your key worker") == 0  # not again beside each shape
    assert "agreed together" not in html


def test_scores_given_together_say_so():
    html = summary(trace_raters=["joint", "joint"])
    assert "<p>Scored together.</p>" in html
    assert "key worker" not in html


def test_a_familys_own_scores_are_called_theirs():
    assert "<p>Your own scores.</p>" in summary(trace_raters=["family", "family"])


def test_mixed_raters_are_named_beside_each_shape_in_the_key():
    html = summary(trace_raters=["worker", "joint"])
    key = re.search(r'<ul class="key">(.*?)</ul>', html, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", key)
    assert items[0].endswith("Baseline &middot; 01 Feb 2025 &middot; scored by your key worker")
    assert items[1].endswith("Review 1 &middot; 01 May 2025 &middot; scored together")
    assert "<p>Scored" not in html
