"""The family summary stays on one readable A4 sheet however full the family's record is.

Journey 7 prints a sample family through the app; these print the fullest summaries an
instrument allows (every area listed, many reviews and goals, who scored beside each
shape in the key) straight from
``family_summary_html``, in the same Chromium, so a layout change that spills onto a second
sheet fails here even when the sample data would still fit.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.printing import print_a4
from tests.unit.test_summary import goals_frame
from tracker.instruments.loader import get_instrument
from tracker.measures.journey import Progress
from tracker.render.charts import StarTrace
from tracker.render.summary import family_summary_html

pytestmark = pytest.mark.slow


def summary(instrument_key: str, *, better: int, harder: int, reviews: int, goal_count: int):
    instrument = get_instrument(instrument_key)
    labels = [domain.label for domain in instrument.domains]
    span = instrument.scale_max - instrument.scale_min
    traces = [
        StarTrace(
            "Baseline" if n == 0 else f"Review {n}",
            {
                domain.key: float(instrument.scale_min + (n + position) % (span + 1))
                for position, domain in enumerate(instrument.domains)
            },
        )
        for n in range(reviews + 1)
    ]
    progress = Progress(  # each area in one list, as ``progress`` makes them
        better=labels[:better],
        harder=labels[better : better + harder],
        still_working_on=labels[better + harder :],
    )
    html = family_summary_html(
        family_ref="FAM-009999",
        first_name="Sam",
        instrument=instrument,
        traces=traces,
        trace_dates=[f"{n + 1:02d} Mar 2026" for n in range(reviews + 1)],
        trace_raters=["worker" if n % 2 else "joint" for n in range(reviews + 1)],
        progress=progress,
        goals=goals_frame(
            [
                (f"Goal {n}: keep to a calm bedtime routine on school nights", "open")
                for n in range(1, goal_count + 1)
            ]
        ),
        today=date(2026, 11, 23),
    )
    return progress, html


@pytest.mark.parametrize(
    ("instrument_key", "better", "harder", "reviews", "goal_count"),
    [
        pytest.param("taf-dtt", 0, 22, 5, 8, id="need-scale-everything-harder"),
        pytest.param("taf-dtt", 11, 11, 3, 6, id="need-scale-half-and-half"),
        pytest.param("taf-dtt", 0, 3, 1, 3, id="need-scale-like-the-sample"),
        pytest.param("family-outcomes-10", 4, 6, 5, 8, id="star-scale-full"),
    ],
)
def test_a_full_summary_prints_on_one_readable_a4_page(
    browser_context, tmp_path, instrument_key, better, harder, reviews, goal_count
):
    progress, html = summary(
        instrument_key, better=better, harder=harder, reviews=reviews, goal_count=goal_count
    )
    printout = print_a4(browser_context, html)
    (tmp_path / "summary.pdf").write_bytes(printout.pdf)

    assert printout.pages == 1, f"{printout.pages} pages"
    assert printout.is_a4, printout.size
    assert printout.smallest_text_pt >= 8, f"smallest text is {printout.smallest_text_pt:.1f}pt"
    words = printout.words
    assert "FAM-009999" in words
    assert "Things that have been harder lately" in words
    for n in range(1, goal_count + 1):
        assert f"Goal {n}: keep to a calm bedtime routine on school nights" in words
    for label in progress.harder + progress.still_working_on:
        assert label in words, label
    assert words.count("Review") >= reviews
    assert "scored by your key worker" in words and "scored together" in words
