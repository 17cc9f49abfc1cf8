"""Scoring on the Record scores page as a key worker does it: a tap on each area's scale.

Each tap is timed in the page itself, from the click to (a) the app reporting its run
finished and (b) the chosen point's description showing under the row, so the figures
leave out Playwright's own overhead. The journeys and the scoring tests share these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from playwright.sync_api import Locator, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tracker.instruments.loader import Domain, Instrument
from tracker.render.scoring import NOT_APPLICABLE, point_meaning, point_names
from tracker.store.models import Assessment, Family

# Installed before each tap: notes when the click lands, when the area first shows the
# wanted words, and when the app's script state last returned to "notRunning". A quick
# fragment run can start and end within one React render, leaving the state untouched,
# so the words showing is what proves the run happened.
TIMER = """([selector, wanted]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const t = {click: null, idle: null, shown: null};
  const look = () => {
    const area = document.querySelector(selector);
    if (t.click !== null && t.shown === null && area && area.textContent.includes(wanted)) {
      t.shown = performance.now();
    }
    if (t.click !== null && app.dataset.testScriptState === "notRunning") {
      t.idle = performance.now();
    }
  };
  const watch = new MutationObserver(look);
  watch.observe(app, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ["data-test-script-state"],
  });
  document.addEventListener("click", () => { t.click = performance.now(); },
                            {capture: true, once: true});
  t.stop = () => watch.disconnect();
  window.__e2eTap = t;
}"""
# The run is over when the words show and the app is idle, whichever comes later.
TIMES = """() => {
  const t = window.__e2eTap;
  t.stop();
  const end = Math.max(t.shown, t.idle === null ? t.shown : t.idle);
  return {rerun: end - t.click, shown: t.shown - t.click};
}"""


@dataclass(frozen=True)
class Tap:
    area: str
    label: str
    rerun_ms: float  # click until the run is over: the description shows, the app idle
    shown_ms: float  # click until the chosen point's description shows


def reference(label: str) -> str:
    """The family reference in a family box's label, "FAM-000012 (Smith household)"."""
    return label.split(" (", 1)[0]


def family_box(b, label: str = "Family") -> Locator:
    return b.main.get_by_role("combobox", name=label, exact=True)


def choose_family(b, family_ref: str) -> None:
    """Pick a family in the page's Family box by its reference, whatever short name the
    box shows after it."""
    box = family_box(b)
    b.idle()  # read the box once the page has settled: a run under way may still change it
    before = box.input_value()
    if reference(before) == family_ref:
        return
    shown = re.compile(rf"^{re.escape(family_ref)}( \(.*\))?$")

    def pick() -> None:
        box.click()
        box.fill(family_ref)  # typing filters the list, as it would for a person
        b.page.get_by_role("option", name=shown).click()

    try:
        b.act(pick)
    except PlaywrightTimeoutError as error:  # say what the box held, for the failure notes
        raise AssertionError(
            f"choosing {family_ref} over {before!r} started no run; the box now shows "
            f"{box.input_value()!r}"
        ) from error
    expect(box).to_have_value(shown)


def plain_table_rows(table: Locator) -> list[dict[str, str]]:
    """A plain table's rows (``st.table``) as a person reads them, by column heading."""
    expect(table).to_be_visible()
    header = [cell.strip() for cell in table.locator("thead th").all_inner_texts()]
    rows = [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]
    return [dict(zip(header, [cell.strip() for cell in row], strict=True)) for row in rows]


def area_box(b, domain: Domain) -> Locator:
    """The block holding one area's scale, its description, note and check."""
    return b.main.locator(f".st-key-area-{domain.key}")


def scale_button(b, domain: Domain, label: str) -> Locator:
    return area_box(b, domain).get_by_role("radio", name=label, exact=True)


def button_label(instrument: Instrument, value: float | None) -> str:
    return NOT_APPLICABLE if value is None else point_names(instrument)[value]


def shown_words(instrument: Instrument, domain: Domain, value: float | None) -> str:
    """What the page shows under the row once the point is chosen."""
    if value is None:
        return f"{NOT_APPLICABLE}: this area does not apply"
    return point_meaning(instrument, domain, value)


def tap(b, instrument: Instrument, domain: Domain, value: float | None) -> Tap:
    """Tap one point (None: N/A) and wait until the page says what it means."""
    label = button_label(instrument, value)
    button = scale_button(b, domain, label)
    button.scroll_into_view_if_needed()  # a person scrolls first; that is not a rerun
    wanted = shown_words(instrument, domain, value)
    b.idle()
    b.page.evaluate(TIMER, [f".st-key-area-{domain.key}", wanted])
    button.click()
    expect(area_box(b, domain)).to_contain_text(wanted)
    b.idle()
    times = b.page.evaluate(TIMES)
    return Tap(domain.label, label, rerun_ms=times["rerun"], shown_ms=times["shown"])


def timed_run(b, click) -> float:
    """Milliseconds from a click until the whole-app run it causes has finished."""
    b.idle()
    b.page.evaluate(TIMER, ['[data-testid="stApp"]', ""])
    b.act(click)
    return b.page.evaluate(TIMES)["rerun"]


def one_better(instrument: Instrument, previous: float | None) -> float:
    """One point better than last time (or worse, at the edge of the scale): never a jump."""
    middle = round((instrument.scale_min + instrument.scale_max) / 2)
    if previous is None:
        return float(middle)
    better = previous + instrument.direction * instrument.step
    if instrument.scale_min <= better <= instrument.scale_max:
        return float(better)
    return float(previous - instrument.direction * instrument.step)


def families_to_score(store, username: str, instrument: Instrument) -> Iterator[tuple[str, dict]]:
    """Families on the caseload with earlier scores on ``instrument`` and no assessment
    dated today (a new one would clash), with their latest scores, most urgent first."""
    for ref in store.caseload(username)["family_ref"]:
        previous = store.latest_values(ref, instrument.key)
        with store.engine.connect() as connection:
            today = connection.execute(
                sa.select(sa.func.count(Assessment.id))
                .join(Family, Family.id == Assessment.family_id)
                .where(Family.family_ref == ref, Assessment.assessed_on == date.today())
            ).scalar_one()
        if previous and not today:
            yield ref, previous
