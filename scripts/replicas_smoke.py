"""The browser half of replicas-smoke.sh: write through one replica, read through the other.

Two browsers reach the app only through nginx. Each is pinned to one replica by
its affinity cookie, and nginx's access log shows which replica served each
request. Browser B first loads the home page (so its replica caches the caseload
count); browser A adds a family; B must show the new count within the cache TTL.

Then a family's self-rating link made by ``tracker invite`` is answered in part on one
replica and picked up on the other: the link and its draft live in the shared database.
"""

from __future__ import annotations

import argparse
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sqlalchemy as sa

from pages.common import CACHE_TTL_SECONDS
from tests.e2e.browser import ARM, IDLE, RAN
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RUN_TIMEOUT_MS
from tracker.render import self_rating as rating_words
from tracker.store.db import make_engine
from tracker.store.models import Assessment, Family

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CASELOAD_COUNT = re.compile(r"(\d+) open families on your caseload")


def fail(message: str) -> None:
    print(f"[replicas-smoke] FAILED: {message}", file=sys.stderr)
    raise SystemExit(1)


def replica_for(proxy: str, access_log: Path, cookie: str) -> str:
    """Ask nginx for the health page with this affinity cookie; return the replica it chose."""
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(
        f"{proxy}/_stcore/health?probe={cookie}", headers={"Cookie": f"tracker_affinity={cookie}"}
    )
    with urllib.request.urlopen(request, context=insecure, timeout=10) as response:
        response.read()
    for _ in range(50):  # nginx writes the log line just after the response
        for line in reversed(access_log.read_text().splitlines()):
            if f"probe={cookie}" in line:
                return line.split()[1]
        time.sleep(0.1)
    fail(f"no access-log line for the probe {cookie}")
    raise AssertionError  # unreachable


def cookies_for_each_replica(proxy: str, access_log: Path, replicas: list[str]) -> dict[str, str]:
    """Find an affinity cookie that nginx routes to each replica."""
    found: dict[str, str] = {}
    for attempt in range(64):
        cookie = f"smoke-{attempt}"
        replica = replica_for(proxy, access_log, cookie)
        # The same cookie must keep reaching the same replica.
        if replica_for(proxy, access_log, cookie) != replica:
            fail(f"cookie {cookie} was sent to two replicas")
        found.setdefault(replica, cookie)
        if set(found) >= set(replicas):
            return found
    fail(f"64 cookies reached only {sorted(found)}; expected {replicas}")
    raise AssertionError  # unreachable


def pinned_page(browser: Browser, proxy: str, cookie: str) -> Page:
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "tracker_affinity", "value": cookie, "url": proxy}])
    return context.new_page()


def sign_in(page: Page, proxy: str, username: str, password: str) -> None:
    page.goto(proxy)
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(CASELOAD_COUNT)).to_be_visible(timeout=30_000)


def caseload_count(page: Page) -> int:
    text = page.get_by_text(CASELOAD_COUNT).inner_text()
    return int(CASELOAD_COUNT.search(text).group(1))


def idle(page: Page) -> None:
    """Wait until no script run is under way, so nothing moves while it is used."""
    page.wait_for_function(IDLE, timeout=30_000)


def go_to(page: Page, title: str) -> None:
    """Follow a sidebar link and wait for the page's run to end.

    Waiting for "idle" alone can pass before the new run starts, and a run that starts
    later redraws the page under whatever is done next; counting runs cannot.
    """
    idle(page)
    page.evaluate(ARM)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    page.wait_for_function(RAN, timeout=RUN_TIMEOUT_MS)


def choose(form: Locator, label: str, option: str) -> None:
    """Type into a select box to narrow its list to the option, then take it with Enter.

    Enter, not a click: a list that opens near the foot of the window can sit where a
    click cannot reach it. The box is found by its label attribute, not its role: while
    the list is open, everything outside it is hidden from the accessibility tree, so a
    role query for the box would wait for ever. Checking its value proves the right one.
    """
    box = form.locator(f'input[role="combobox"][aria-label="{label}"]')
    box.click()
    box.fill(option)  # typing filters the list, as it would for a person
    listed = form.page.get_by_role("listbox").get_by_role("option", name=option, exact=True)
    expect(listed).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value(option)


def add_family(page: Page, family_ref: str) -> None:
    go_to(page, "Caseload")
    page.get_by_text("Add a new family").click()
    # Found by its button's text, not role, for the reason in choose().
    form = page.get_by_test_id("stForm").filter(has=page.locator("button", has_text="Add family"))
    form.get_by_role("textbox", name="Family reference", exact=True).fill(family_ref)
    choose(form, "Area", "Northfield")
    choose(form, "Tier of need", "tier 2-3")
    choose(form, "Referred by", "School")
    form.get_by_role("button", name="Add family").click()
    expect(page.get_by_text(f"Added {family_ref}")).to_be_visible(timeout=30_000)


def served_by(access_log: Path, cookie: str) -> set[str]:
    """Every replica that served a browser request carrying this cookie."""
    return {
        line.split()[1]
        for line in access_log.read_text().splitlines()
        if line.startswith(f"{cookie} ") and "probe=" not in line
    }


def write_then_read(writer: Page, reader: Page, args, password: str) -> None:
    writer_replica, reader_replica = args.replicas
    sign_in(reader, args.proxy, args.username, password)
    before = caseload_count(reader)

    sign_in(writer, args.proxy, args.username, password)
    family_ref = f"SMOKE-{uuid.uuid4().hex[:6].upper()}"
    add_family(writer, family_ref)
    written_at = time.monotonic()
    print(f"[replicas-smoke] added {family_ref} through {writer_replica}")

    deadline = written_at + CACHE_TTL_SECONDS + 15
    seen = before
    while time.monotonic() < deadline:
        go_to(reader, "Home")
        reader.wait_for_timeout(2_000)
        seen = caseload_count(reader)
        if seen == before + 1:
            break
    else:
        fail(
            f"{reader_replica} still showed {seen} families, not {before + 1}, "
            f"{CACHE_TTL_SECONDS + 15} s after the write"
        )
    print(
        f"[replicas-smoke] {reader_replica} showed the new family "
        f"{time.monotonic() - written_at:.1f} s after the write "
        f"(cache TTL {CACHE_TTL_SECONDS} s)"
    )


STAR = "family-outcomes-10"
GREETING = "Hello from the smoke test"


def open_family_on(instrument: str) -> str:
    """An open family already scored on ``instrument``, from the shared database."""
    engine = make_engine(os.environ["DATABASE_URL"])
    with engine.connect() as connection:
        family_ref = connection.execute(
            sa.select(Family.family_ref)
            .join(Assessment, Assessment.family_id == Family.id)
            .where(Family.closed_on.is_(None), Assessment.instrument == instrument)
            .order_by(Family.family_ref)
            .limit(1)
        ).scalar_one()
    engine.dispose()
    return family_ref


def run_step(page: Page, action) -> None:
    """Do something that makes the page rerun, and wait for that run to end."""
    idle(page)
    page.evaluate(ARM)
    action()
    page.wait_for_function(RAN, timeout=RUN_TIMEOUT_MS)


def self_rating_across_replicas(started: Page, resumed: Page, args) -> None:
    family_ref = open_family_on(STAR)
    made = subprocess.run(
        [
            *(str(Path(sys.executable).with_name("tracker")), "invite"),
            *("--family", family_ref, "--instrument", STAR, "--greeting", GREETING),
        ],
        env={**os.environ, "TRACKER_PUBLIC_URL": args.proxy},
        capture_output=True,
        text=True,
        check=True,
    )
    link = made.stdout.splitlines()[0]
    if not link.startswith(f"{args.proxy}/rate?invite="):
        fail(f"tracker invite printed {link!r}, not a link on {args.proxy}")

    started.goto(link)
    idle(started)
    expect(started.get_by_role("heading", name=GREETING)).to_be_visible()
    run_step(started, started.get_by_role("button", name=rating_words.START).click)
    run_step(started, started.get_by_role("button", name=rating_words.SKIP).click)
    expect(started.get_by_text("Question 2 of")).to_be_visible()

    resumed.goto(link)
    idle(resumed)
    expect(resumed.get_by_text(rating_words.WELCOME_BACK)).to_be_visible()
    expect(resumed.get_by_text("Question 2 of")).to_be_visible()
    print(
        f"[replicas-smoke] a self-rating link from tracker invite, started on "
        f"{args.replicas[0]}, carried on at question 2 on {args.replicas[1]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--access-log", required=True, type=Path)
    parser.add_argument("--replicas", nargs=2, required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", required=True, type=Path)
    args = parser.parse_args()
    password = args.password_file.read_text().strip()
    writer_replica, reader_replica = args.replicas

    cookies = cookies_for_each_replica(args.proxy, args.access_log, args.replicas)
    print(f"[replicas-smoke] affinity cookies: {cookies}")

    with sync_playwright() as playwright:
        # Each context is a fresh profile: no cookies or storage carried over.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        reader = pinned_page(browser, args.proxy, cookies[reader_replica])
        writer = pinned_page(browser, args.proxy, cookies[writer_replica])
        try:
            write_then_read(writer, reader, args, password)
            self_rating_across_replicas(writer, reader, args)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            for name, page in (("writer", writer), ("reader", reader)):
                page.screenshot(path=ARTIFACTS / f"replicas-smoke-{name}.png", full_page=True)
            print(f"[replicas-smoke] screenshots in {ARTIFACTS}", file=sys.stderr)
            raise
        finally:
            browser.close()
    time.sleep(1)  # nginx logs a WebSocket when it closes

    # Affinity held: each browser's requests, WebSocket included, stayed on its replica.
    for replica in (writer_replica, reader_replica):
        cookie = cookies[replica]
        if served_by(args.access_log, cookie) != {replica}:
            fail(f"requests with cookie {cookie} reached {served_by(args.access_log, cookie)}")
    print("[replicas-smoke] each browser stayed on its replica")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
