"""Real-browser fixtures: one Streamlit server on a fresh sample database, Debian's Chromium.

The server runs ``app.py`` exactly as ``make run`` does, on a temporary SQLite database
loaded by ``tracker init --sample``; the demo accounts' password is read from that
command's output. The browser is ``/usr/bin/chromium`` driven by Playwright; no browser is
ever downloaded. Locally the suite skips (saying why) when Chromium or Playwright is
missing; in CI (``CI=true``) that is a failure, as for PostgreSQL in tests/postgres.py.

Every page a journey visits is screenshotted at two sizes under ``test-artifacts/e2e/``
and checked with axe-core (see ``tests/e2e/axe.py``). A journey that fails also leaves
``failed.png`` and ``failed.txt`` (the address and the script states since its last step).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import axe

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
IN_CI = os.environ.get("CI") == "true"
# How long one Streamlit rerun may take on a small CI machine before a test gives up.
RUN_TIMEOUT_MS = 60_000


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI a missing piece is a failure, never a silent skip."""
    if IN_CI:
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class AppServer:
    url: str
    database_url: str
    password: str  # the demo accounts' shared password
    log: Path


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not serve within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def server_env(database_url: str) -> dict[str, str]:
    """The environment the app and its set-up run in: this database, development mode."""
    env = {**os.environ, "DATABASE_URL": database_url, "TRACKER_ENV": "development"}
    env.pop("TRACKER_MIN_GROUP", None)  # the journeys rely on the default of 5
    return env


@contextmanager
def serving(database_url: str, folder: Path) -> Iterator[tuple[str, Path]]:
    """``streamlit run app.py`` as ``make run`` starts it, on ``database_url``: its address
    and log. Nobody has visited it when this yields."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Self-rating links are made on this address, so a test can follow one as printed.
    env = {**server_env(database_url), "TRACKER_PUBLIC_URL": url}
    log = folder / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", "app.py"),
                *("--server.headless", "true", "--server.address", "127.0.0.1"),
                *("--server.port", str(port), "--server.fileWatcherType", "none"),
                *("--browser.gatherUsageStats", "false"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url, process, log, timeout=120)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# Module-scoped, so the server and browser stop as soon as the journeys are done and the
# rest of the suite runs without them (Playwright's sync API holds an event loop).
@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    folder = tmp_path_factory.mktemp("e2e-server")
    database_url = f"sqlite:///{folder / 'tracker.db'}"
    env = server_env(database_url)
    init = subprocess.run(
        [sys.executable, "-m", "tracker", "init", "--sample"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    found = re.search(r"Their password \(shown only this once\): (\S+)", init.stdout)
    assert found, f"tracker init --sample printed no demo password:\n{init.stdout}"

    with serving(database_url, folder) as (url, log):
        yield AppServer(url=url, database_url=database_url, password=found.group(1), log=log)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory):
    """One headless Chromium with a fresh profile; each test opens its own tab (session)."""
    if not CHROMIUM.exists():
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed (pip install -e '.[test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=DESKTOP,
            accept_downloads=True,
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(RUN_TIMEOUT_MS)
        # Without the native "save as" dialog, a data grid's CSV button downloads directly.
        context.add_init_script("window.showSaveFilePicker = undefined;")
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def axe_script(request: pytest.FixtureRequest) -> str:
    """axe-core's browser bundle, fetched once from the npm registry into pytest's cache."""
    if getattr(request.config, "cache", None) is not None:
        cache = Path(request.config.cache.mkdir("axe-core"))
    else:  # pytest run with -p no:cacheprovider
        cache = ARTIFACTS.parent / "axe-core-cache"
    try:
        return axe.load(cache)
    except axe.Unavailable as error:
        skip_or_fail(f"axe-core could not be fetched from the npm registry: {error}")


@pytest.fixture(scope="session")
def axe_report() -> Iterator[list[dict]]:
    """Every page's axe findings, written to test-artifacts/e2e/axe-report.json at the end."""
    entries: list[dict] = []
    yield entries
    AXE_SUMMARY.extend(axe.write_report(entries, ARTIFACTS / "axe-report.json"))


AXE_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for line in AXE_SUMMARY:
        terminalreporter.write_line(line)


@pytest.fixture
def browser(browser_context, app_server, axe_script, axe_report, request):
    """A fresh tab (so a fresh Streamlit session) wrapped with the journey helpers."""
    from tests.e2e.browser import Browser

    page = browser_context.new_page()
    page.set_viewport_size(DESKTOP)
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    downloads = Path(tempfile.mkdtemp(prefix="e2e-downloads-"))
    helper = Browser(
        page=page,
        server=app_server,
        shots=folder,
        downloads=downloads,
        axe_script=axe_script,
        axe_report=axe_report,
        journey=request.node.name,
    )
    try:
        yield helper
        if getattr(request.node, "journey_failed", False):
            helper.notes_on_failure()
    finally:
        page.close()
        shutil.rmtree(downloads, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a journey whose steps failed, so its browser fixture keeps notes on the way out."""
    report = yield
    if report.when == "call" and report.failed:
        item.journey_failed = True
    return report


@pytest.fixture
def store(app_server):
    """The server's database, read directly to check what the pages show."""
    from tests.e2e.store import Store

    opened = Store(app_server.database_url)
    yield opened
    opened.close()
