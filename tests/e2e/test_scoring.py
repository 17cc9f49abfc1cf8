"""A key worker scores all 22 TAF areas by tapping, on a desktop and on a tablet, and the
star's stages fit a tablet.

Every tap is timed in the page (see ``tests/e2e/scoring.py``); the figures are printed
and written to ``test-artifacts/e2e/scoring-timing.json``. At 820 × 1180 every control
the form needs (each scale's N/A, each Note, the comparison table) must be visible and
inside the screen's width, not only present. The typo guard's browser test is journey 2.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import statistics
import time
from datetime import date

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.browser import SIZES
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.scoring import (
    area_box,
    choose_family,
    families_to_score,
    one_better,
    scale_button,
    tap,
    timed_run,
)
from tracker.instruments.loader import get_instrument
from tracker.render.scoring import NOT_APPLICABLE

pytestmark = pytest.mark.slow

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")
TIMINGS = ARTIFACTS / "scoring-timing.json"
# The targets on a quiet machine: no tap reruns for longer than 0.3 s, and the
# whole form takes under a minute of interaction.
MAX_RERUN_MS = 300
MAX_TOTAL_S = 60


def inside(locator: Locator, width: int) -> None:
    """Visible, within the screen's width, and not cut short inside its own box."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
    assert locator.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), "its text is cut off"


def contention(loads: list[float]) -> float:
    """Runnable processes per core while timing (1 on a quiet machine): this machine is
    shared, and a tap waits its turn for the CPU like everything else."""
    return max(1.0, max(loads) / (os.cpu_count() or 1))


def write_timings(size: str, taps: list, total_s: float, full_ms: list, loads: list) -> dict:
    reruns = sorted(t.rerun_ms for t in taps)
    shown = [t.shown_ms for t in taps]
    figures = {
        "taps": len(taps),
        "total_interaction_s": round(total_s, 2),
        "rerun_ms": {
            "max": round(reruns[-1]),
            "p90": round(reruns[int(0.9 * (len(reruns) - 1))]),
            "median": round(statistics.median(reruns)),
        },
        "until_description_shows_ms": {
            "max": round(max(shown)),
            "median": round(statistics.median(shown)),
        },
        "whole_page_rerun_ms": {"each": [round(ms) for ms in full_ms]},
        "load_average": {"cores": os.cpu_count(), "during": [round(x, 2) for x in loads]},
        "each_tap": [{"area": t.area, "tap": t.label, "rerun_ms": round(t.rerun_ms)} for t in taps],
    }
    figures["whole_page_rerun_ms"]["median"] = round(statistics.median(full_ms))
    everything = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    everything[size] = figures
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps(everything, indent=2) + "\n")
    print(
        f"\n{size}: {len(taps)} taps in {total_s:.1f} s; tap rerun median "
        f"{figures['rerun_ms']['median']} ms, p90 {figures['rerun_ms']['p90']} ms, "
        f"max {figures['rerun_ms']['max']} ms; whole-page rerun median "
        f"{figures['whole_page_rerun_ms']['median']} ms; load average {loads} on "
        f"{os.cpu_count()} cores"
    )
    return figures


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_a_key_worker_scores_every_area_by_tapping(browser, store, size):
    """22 taps, one of them N/A, each timed; every control visible within the screen;
    the save shows what was saved, with Correct it opening that assessment."""
    b = browser
    b.sign_in("demo-practitioner")
    b.go("Record scores")
    # Each size saves a review dated today, so each takes a family without one.
    family_ref, previous = next(families_to_score(store, "demo-practitioner", TAF))
    choose_family(b, family_ref)
    b.choose(b.main, "Instrument", TAF.name)
    expect(b.main.get_by_role("combobox", name="Occasion", exact=True)).to_have_value("Review")
    viewport = SIZES[size]
    b.page.set_viewport_size(viewport)

    # What a whole-page run costs here and now (changing who gave the scores reruns it
    # all), reported beside the taps for comparison.
    raters = b.main.get_by_test_id("stRadio").filter(has_text="Who gave the scores?")
    loads = [os.getloadavg()[0]]
    full_ms = [
        timed_run(b, raters.get_by_text(rater, exact=True).click)
        for rater in ("Together (agreed)", "Key worker", "Together (agreed)", "Key worker")
    ]

    planned = {d.key: one_better(TAF, previous.get(d.key)) for d in TAF.domains}
    planned[TAF.domains[-1].key] = None  # one area does not apply to this family
    started = time.monotonic()
    taps = [tap(b, TAF, domain, planned[domain.key]) for domain in TAF.domains]
    total_s = time.monotonic() - started
    loads.append(os.getloadavg()[0])
    figures = write_timings(size, taps, total_s, full_ms, loads)

    expect(b.main.get_by_text(re.compile(r"· all \d+ done$"))).to_have_count(len(TAF.sections))
    table = b.main.get_by_test_id("stTable")
    expect(table).to_contain_text(NOT_APPLICABLE)
    for domain in TAF.domains:
        for label in (NOT_APPLICABLE, "1 None", "5 Critical / complex"):
            inside(scale_button(b, domain, label), viewport["width"])
        inside(
            area_box(b, domain).get_by_role("button", name=re.compile("Note$")), viewport["width"]
        )
    table.scroll_into_view_if_needed()
    inside(table, viewport["width"])
    b.visit("record-scores-filled")

    assessments_before = store.assessments(family_ref)
    b.page.set_viewport_size(viewport)
    b.act(b.main.get_by_role("button", name="Save assessment").click)
    expect(b.main.get_by_test_id("stAlert").first).to_contain_text(
        f"Saved the review for {family_ref} on {date.today():%d %b %Y}."
    )
    assert store.assessments(family_ref) == assessments_before + 1
    assert store.latest_values(family_ref, TAF.key) == planned
    expect(b.main.get_by_text("There is already an assessment")).to_have_count(0)
    expect(b.main.get_by_role("heading", name="The assessment you saved")).to_be_visible()
    inside(b.main.get_by_test_id("stTable"), viewport["width"])
    b.visit("record-scores-saved")

    b.act(b.main.get_by_role("button", name="Correct it").click)
    expect(b.main.get_by_role("combobox", name="Which assessment?", exact=True)).to_have_value(
        re.compile(f"{date.today():%d %b %Y}")
    )
    first = TAF.domains[0]
    expect(area_box(b, first)).to_contain_text(f"{planned[first.key]:g} · ")

    assert figures["total_interaction_s"] < MAX_TOTAL_S
    # The 0.3 s, allowing for the turn each process waits for a core when the
    # machine is shared; the figures above say how busy it was.
    assert figures["rerun_ms"]["max"] < MAX_RERUN_MS * contention(loads), figures


def test_a_stars_stages_fit_a_tablet(browser):
    """The star's eleven buttons wrap onto a second row at 820 px, none cut or overlapping."""
    b = browser
    b.sign_in("demo-practitioner")
    b.go("Record scores")
    b.choose(b.main, "Instrument", STAR.name)
    b.page.set_viewport_size(SIZES["tablet"])
    width = SIZES["tablet"]["width"]
    for domain in STAR.domains:
        buttons = area_box(b, domain).get_by_role("radio")
        expect(buttons).to_have_count(11)
        boxes = []
        for index in range(11):
            inside(buttons.nth(index), width)
            boxes.append(buttons.nth(index).bounding_box())
        for one, other in itertools.combinations(boxes, 2):
            # Neighbours share their 1 px border, as a segmented control draws them.
            apart = (
                one["x"] + one["width"] <= other["x"] + 1.5
                or other["x"] + other["width"] <= one["x"] + 1.5
                or one["y"] + one["height"] <= other["y"] + 1.5
                or other["y"] + other["height"] <= one["y"] + 1.5
            )
            assert apart, (domain.label, one, other)
        inside(area_box(b, domain).get_by_role("button", name=re.compile("Note$")), width)
    b.visit("record-scores-star")
