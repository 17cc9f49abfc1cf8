"""What every journey does in the browser: sign in, move between pages, wait for Streamlit,
take screenshots at both sizes, run axe, and fetch downloads.

Waiting follows one rule: after anything that makes Streamlit rerun the script (a click,
a typed value, a page link), wait until the app reports a finished run; assertions then
use Playwright's retrying ``expect``, so no test sleeps for a fixed time to pass.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e import axe
from tests.e2e.conftest import DESKTOP, RUN_TIMEOUT_MS, TABLET, AppServer

SIZES = {"desktop": DESKTOP, "tablet": TABLET}
# Streamlit's main area scrolls inside the page, so a "full page" screenshot would only
# show one screen: the viewport is stretched to the content's height first (capped).
CONTENT_HEIGHT = """() => Math.max(
  ...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]']
    .map((s) => document.querySelector(s))
    .filter(Boolean)
    .map((e) => e.scrollHeight),
  document.documentElement.scrollHeight)"""
MAX_SHOT_HEIGHT = 9000

IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.dataset.testConnectionState === "CONNECTED"
    && app.dataset.testScriptState === "notRunning";
}"""
# Counts script runs from now on. A widget change first shows "rerunRequested", then
# "running", then "notRunning"; a short run can start and end within one React render, so
# "running" never reaches the page. Leaving either busy state therefore counts, and RAN
# also waits for the app to be idle. The states seen are kept for a failed journey's notes.
ARM = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__e2eRunsDone = 0;
  window.__e2eStatesLeft = [];
  if (window.__e2eWatched !== app) {
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.oldValue === "running" || record.oldValue === "rerunRequested") {
          window.__e2eRunsDone += 1;
        }
        window.__e2eStatesLeft.push(record.oldValue);
      }
    }).observe(app, {
      attributes: true,
      attributeOldValue: true,
      attributeFilter: ["data-test-script-state"],
    });
    window.__e2eWatched = app;
  }
}"""
RAN = f"() => window.__e2eRunsDone > 0 && ({IDLE})()"


@dataclass
class Browser:
    page: Page
    server: AppServer
    shots: Path
    downloads: Path
    axe_script: str
    axe_report: list[dict]
    journey: str
    visited: list[str] = field(default_factory=list)

    # Waiting ------------------------------------------------------------------------
    def idle(self) -> None:
        """Wait until the app is connected and no script run is under way."""
        self.page.wait_for_function(IDLE, timeout=RUN_TIMEOUT_MS)

    def act(self, action: Callable[[], object]) -> None:
        """Do something that makes Streamlit rerun, then wait for that run to finish."""
        self.idle()
        self.page.evaluate(ARM)
        action()
        self.page.wait_for_function(RAN, timeout=RUN_TIMEOUT_MS)

    def remove_upload(self) -> None:
        """Take the file out of the page's uploader and wait for the page to forget it."""
        self.act(self.main.get_by_test_id("stFileChipDeleteBtn").click)
        expect(self.main.get_by_test_id("stFileChip")).to_have_count(0)

    def notes_on_failure(self) -> None:
        """Keep what the page showed and the run states it went through, for a failed journey."""
        self.page.screenshot(path=self.shots / "failed.png", full_page=True)
        counted, left = self.page.evaluate("() => [window.__e2eRunsDone, window.__e2eStatesLeft]")
        now = self.page.get_by_test_id("stApp").get_attribute("data-test-script-state")
        (self.shots / "failed.txt").write_text(
            f"url: {self.page.url}\nsince the last action: runs counted {counted}, "
            f"script states left {left}, script state now {now!r}\n"
        )

    def open(self, path: str = "") -> None:
        """Type an address into the browser: a new Streamlit session starts."""
        self.page.goto(f"{self.server.url}/{path.lstrip('/')}")
        self.idle()

    # Signing in and moving between pages ---------------------------------------------
    def sign_in(self, username: str, *, path: str = "") -> None:
        self.open(path)
        self.submit_sign_in(username)

    def submit_sign_in(self, username: str) -> None:
        """Fill in and send the sign-in form that a new session shows."""
        main = self.main
        expect(main.get_by_role("heading", name="Distance Travelled")).to_be_visible()
        main.get_by_role("textbox", name="Username").fill(username)
        main.get_by_role("textbox", name="Password", exact=True).fill(self.server.password)
        self.act(lambda: main.get_by_role("button", name="Sign in").click())
        expect(self.sidebar.get_by_text("Signed in as")).to_be_visible()

    def go(self, title: str) -> None:
        """Follow the sidebar's navigation link to a page."""
        link = self.sidebar.get_by_test_id("stSidebarNav").get_by_role(
            "link", name=title, exact=True
        )
        self.act(link.click)
        expect(self.main.get_by_role("heading", level=1).first).to_be_visible()

    def expect_navigation(self, titles: list[str]) -> None:
        """The sidebar offers exactly these pages, in this order (waits for it to render)."""
        links = self.sidebar.get_by_test_id("stSidebarNav").get_by_role("link")
        expect(links).to_have_text([re.compile(rf"{re.escape(t)}$") for t in titles])

    @property
    def main(self) -> Locator:
        return self.page.get_by_test_id("stMain")

    @property
    def sidebar(self) -> Locator:
        return self.page.get_by_test_id("stSidebar")

    # Looking at pages ---------------------------------------------------------------
    def visit(self, name: str) -> None:
        """Record a page as seen: screenshots at both sizes, then the accessibility pass."""
        self.idle()
        self.page.evaluate("() => document.fonts.ready")
        number = len(self.visited) + 1
        self.visited.append(name)
        for label, size in SIZES.items():
            self.page.set_viewport_size(size)
            self.page.wait_for_timeout(300)  # let charts and grids re-lay themselves out
            height = min(int(self.page.evaluate(CONTENT_HEIGHT)), MAX_SHOT_HEIGHT)
            self.page.set_viewport_size({"width": size["width"], "height": max(height, 1)})
            self.page.wait_for_timeout(300)
            self.page.screenshot(path=self.shots / f"{number:02d}-{name}-{label}.png")
        self.page.set_viewport_size(DESKTOP)
        self.page.wait_for_timeout(300)
        self.accessibility(name)

    def accessibility(self, name: str) -> None:
        violations = axe.check(self.page, self.axe_script)
        self.axe_report.append(
            {"journey": self.journey, "page": name, "url": self.page.url, "violations": violations}
        )
        problems = axe.failures(violations)
        assert not problems, f"critical accessibility problems on {name}:\n" + "\n".join(problems)

    # Files --------------------------------------------------------------------------
    def download(self, click: Callable[[], object]) -> tuple[str, bytes]:
        with self.page.expect_download(timeout=RUN_TIMEOUT_MS) as info:
            click()
        download = info.value
        path = self.downloads / download.suggested_filename
        download.save_as(path)
        return download.suggested_filename, path.read_bytes()

    def table_rows(self, table: Locator) -> list[dict[str, str]]:
        """A data grid's rows as the user can download them (its toolbar's CSV)."""
        element = table.locator("xpath=ancestor::div[@data-testid='stElementContainer'][1]")
        table.scroll_into_view_if_needed()
        table.hover()
        button = element.get_by_role("button", name="Download as CSV")
        _, data = self.download(button.click)
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))

    # Widgets ------------------------------------------------------------------------
    def choose(self, scope: Locator, label: str, option: str) -> None:
        """Pick an option in a select box, as a person would: open it and click."""
        box = scope.get_by_role("combobox", name=label, exact=True)
        self.idle()  # read the box once the page has settled, as choosing it would
        if box.input_value() == option:
            return

        def pick() -> None:
            box.click()
            box.fill(option)  # typing filters the list, as it would for a person
            self.page.get_by_role("option", name=option, exact=True).click()

        self.act(pick)
        expect(box).to_have_value(option)

    def type_number(self, box: Locator, value: float) -> None:
        """Type a number and press Enter, which sends it to the app."""
        text = f"{value:g}"

        def enter() -> None:
            box.fill(text)
            box.press("Enter")

        self.act(enter)
        if box.count():  # a section that is now complete folds away, taking the box with it
            expect(box).to_have_value(text)

    def metric(self, label: str) -> Locator:
        """The value shown by the metric tile with this label."""
        tile = self.main.get_by_test_id("stMetric").filter(
            has=self.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
        )
        return tile.get_by_test_id("stMetricValue")

    def plotly_traces(self, chart: Locator) -> int:
        return chart.locator(".js-plotly-plot").evaluate("(plot) => plot.data.length")

    def plotly_data(self, chart: Locator) -> str:
        return chart.locator(".js-plotly-plot").evaluate(
            "(plot) => JSON.stringify(plot.data.map((t) => [t.name, t.r, t.x, t.y, t.z]))"
        )

    @property
    def store_choices(self) -> dict[str, list[str]]:
        """The filter choices the cohort page offers, straight from the database."""
        from tracker.measures.cohort import filter_choices
        from tracker.store.db import make_engine

        engine = make_engine(self.server.database_url)
        try:
            with engine.connect() as connection:
                return filter_choices(connection)
        finally:
            engine.dispose()
