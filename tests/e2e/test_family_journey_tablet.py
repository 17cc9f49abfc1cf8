"""The family journey page on a tablet (820 px): everything shows, nothing overlaps.

A TAF family (22 areas) with an area not applicable at its latest review is opened as the
manager. At tablet width every tab and every column of the change table lies inside the
page, the star's spoke labels do not overlap, the N/A area reads "N/A" (never "None"),
the overall line's dates read the UK way, and the history reads as sentences.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.conftest import TABLET
from tracker.instruments.loader import get_instrument
from tracker.measures.journey import build_journey, family_scores
from tracker.store.models import Family, family_label

pytestmark = pytest.mark.slow

TAF = get_instrument("taf-dtt")
UK_DATE = re.compile(r"^\d{2} [A-Z][a-z]{2} \d{4}$")


def family_with_a_gap(store) -> tuple[str, str]:
    """A family whose latest TAF review leaves an area not applicable: (reference, label)."""
    import sqlalchemy as sa

    with store.engine.connect() as connection:
        families = connection.execute(
            sa.select(Family.id, Family.family_ref, Family.short_name).order_by(Family.family_ref)
        ).all()
        for family_id, ref, short_name in families:
            scores = family_scores(connection, family_id, TAF.key)
            if scores.empty:
                continue
            journey = build_journey(scores, TAF)
            if journey.latest_id and None in journey.values[journey.latest_id].values():
                return ref, family_label(ref, short_name)
    pytest.fail("the sample should have a TAF family with an N/A area at its latest review")


def inside(box: dict, frame: dict) -> bool:
    return box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1


def overlapping(boxes: list[dict]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], start=i + 1)
        if a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    ]


def texts(locator: Locator) -> list[str]:
    return [text.strip() for text in locator.all_text_contents()]


def test_the_journey_page_shows_everything_on_a_tablet(browser, store):
    b = browser
    family_ref, label = family_with_a_gap(store)
    b.sign_in("demo-manager")
    b.page.set_viewport_size(TABLET)
    b.go("Family journey")
    b.choose(b.main, "Family", label)
    b.choose(b.main, "Instrument", TAF.name)
    main = b.main.bounding_box()

    for name in ("Star and changes", "Goals", "Notes", "Family summary", "History"):
        tab = b.main.get_by_role("tab", name=name)
        expect(tab).to_be_visible()
        assert inside(tab.bounding_box(), main), f"the {name} tab is cut off"

    star = b.main.get_by_test_id("stPlotlyChart").first
    spokes = star.locator("g.angularaxistick text")
    expect(spokes).to_have_count(22)
    boxes = [spokes.nth(n).bounding_box() for n in range(22)]
    assert not overlapping(boxes), "spoke labels overlap"
    expect(b.main.get_by_text(re.compile(r"^The areas: 1 Housing · 2 Income"))).to_be_visible()

    table = b.main.get_by_test_id("stTable").first
    table.scroll_into_view_if_needed()
    headers = table.locator("th")
    assert texts(headers)[-1] == "Change"
    for n in range(headers.count()):
        assert inside(headers.nth(n).bounding_box(), main), f"{texts(headers)[n]} is cut off"
    cells = texts(table.locator("td"))
    assert "N/A" in cells and "None" not in cells
    assert not [cell for cell in cells if re.fullmatch(r"[+−-]?\d+\.0", cell)]

    line = b.main.get_by_test_id("stPlotlyChart").nth(1)
    dates = [text for text in texts(line.locator("g.xtick text")) if text]
    assert dates and all(UK_DATE.match(text) for text in dates), dates
    b.visit("family-journey-star")

    b.main.get_by_role("tab", name="History").click()
    history = b.main.get_by_role("listitem").filter(has_text=f"added family {family_ref}")
    expect(history.first).to_be_visible()
    whole = b.main.inner_text()
    assert "{" not in whole and "entity_id" not in whole
    b.visit("family-journey-history")
