"""Moving between pages in a real Chromium: the chosen family stays chosen, a bookmark or
F5 opens it again after signing in, a manager sees whose reviews are overdue, and the
first visit after a server restart, to any address, meets the sign-in form.

Each page looked at is screenshotted at two sizes and checked with axe (``Browser.visit``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import AppServer, serving
from tracker.measures.caseload import overdue_by_worker
from tracker.store.models import family_label

pytestmark = pytest.mark.slow

WORK_WITH = "Work with a family"


@pytest.fixture
def restarted_server(app_server, tmp_path) -> Iterator[AppServer]:
    """A second server on the journeys' database, just started: no session has begun."""
    with serving(app_server.database_url, tmp_path) as (url, log):
        yield AppServer(
            url=url, database_url=app_server.database_url, password=app_server.password, log=log
        )


def family_in_address(page) -> str | None:
    return parse_qs(urlparse(page.url).query).get("family", [None])[0]


def path_of(page) -> str:
    return urlparse(page.url).path


def expect_sign_in_only(b) -> None:
    """The sign-in form, and no list of pages: not the folder's files, not the app's."""
    expect(b.main.get_by_role("textbox", name="Username")).to_be_visible()
    expect(b.main.get_by_role("button", name="Sign in")).to_be_visible()
    expect(b.page.get_by_test_id("stSidebarNav")).to_have_count(0)
    for file_name in ("common", "app", "admin", "audit"):
        expect(b.page.get_by_role("link", name=file_name, exact=True)).to_have_count(0)


def static_table_rows(table) -> list[dict[str, str]]:
    """An ``st.table``'s rows, by its header, once it has drawn them."""
    expect(table.locator("tbody tr").first).to_be_visible()
    header = [cell.strip() for cell in table.locator("thead th").all_inner_texts()]
    rows = [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]
    return [dict(zip(header, [cell.strip() for cell in row], strict=True)) for row in rows]


def labels(families) -> dict[str, str]:
    """Each family's reference and how the family boxes show it, from caseload rows."""
    return {
        ref: family_label(ref, name)
        for ref, name in zip(families["family_ref"], families["short_name"], strict=True)
    }


def picked(b, label: str = "Family"):
    return b.main.get_by_role("combobox", name=label, exact=True)


def test_the_first_visit_after_a_restart_meets_the_sign_in_form(browser, restarted_server, store):
    """Journey: straight after a restart, /common (a shared module, not a page) and then a
    caseload bookmark show the sign-in form, never the pages/ folder's files or a blank
    page; signing in opens the bookmarked page, its family kept."""
    b = browser
    b.server = restarted_server
    families = store.caseload("demo-practitioner")
    ref = families["family_ref"].iloc[-1]

    b.open("common")  # the first visit this server has had
    expect_sign_in_only(b)
    b.visit("first-visit-common")

    b.open(f"caseload?family={ref}")  # a new session, as a bookmark opens one
    expect_sign_in_only(b)
    assert path_of(b.page) == "/caseload" and family_in_address(b.page) == ref
    b.visit("first-visit-caseload")

    b.submit_sign_in("demo-practitioner")
    expect(b.main.get_by_role("heading", level=1)).to_contain_text("caseload")
    expect(picked(b, WORK_WITH)).to_have_value(labels(families)[ref])
    assert path_of(b.page) == "/caseload" and family_in_address(b.page) == ref
    b.visit("first-visit-signed-in")


def test_the_chosen_family_stays_chosen_from_page_to_page(browser, store):
    """Journey: a family picked on the caseload is the one Record scores opens; the
    sidebar's Family journey and Caseload keep it; F5 keeps it, after signing in again."""
    b = browser
    families = store.caseload("demo-practitioner")
    ref = families["family_ref"].iloc[1]  # not the one the caseload opens on
    label = labels(families)[ref]
    b.sign_in("demo-practitioner")
    b.go("Caseload")
    b.choose(b.main, WORK_WITH, label)
    assert family_in_address(b.page) == ref
    b.act(b.main.get_by_role("link", name="Record scores").click)
    expect(picked(b)).to_have_value(label)
    assert path_of(b.page) == "/record_scores" and family_in_address(b.page) == ref
    b.visit("record-scores")

    b.go("Family journey")  # the sidebar's link carries no ?family=
    expect(picked(b)).to_have_value(label)
    assert family_in_address(b.page) == ref
    b.visit("family-journey")

    b.go("Caseload")
    expect(picked(b, WORK_WITH)).to_have_value(label)
    b.visit("caseload-again")

    b.page.reload()  # F5: a new session, with only the address to go on
    b.idle()
    b.submit_sign_in("demo-practitioner")
    expect(picked(b, WORK_WITH)).to_have_value(label)
    assert path_of(b.page) == "/caseload" and family_in_address(b.page) == ref


def test_a_bookmarked_family_opens_after_signing_in(browser, store):
    """Journey: a bookmark of one family's journey, opened signed out, opens that family
    once signed in; a family on another caseload stays refused, whatever the address."""
    b = browser
    families = store.caseload("demo-practitioner")
    mine = families["family_ref"]
    ref = mine.iloc[-1]
    label = labels(families)[ref]
    b.open(f"family_journey?family={ref}")
    expect_sign_in_only(b)
    b.submit_sign_in("demo-practitioner")
    expect(b.main.get_by_role("heading", level=1)).to_have_text("Family journey")
    expect(picked(b)).to_have_value(label)
    b.visit("bookmarked-journey")

    other = next(r for r in store.caseload("demo-manager")["family_ref"] if r not in set(mine))
    b.open(f"family_journey?family={other}")
    b.submit_sign_in("demo-practitioner")
    expect(b.main.get_by_text("That family is not on your caseload.")).to_be_visible()
    expect(picked(b)).to_have_count(0)


def test_a_manager_sees_whose_reviews_are_overdue_and_filters_by_worker(browser, store):
    """Journey: the manager's caseload names each family's key worker, lists whose reviews
    are overdue by worker, and narrows to one worker's families."""
    b = browser
    everyone = store.caseload("demo-manager")
    expected = overdue_by_worker(everyone, today=date.today())
    assert not expected.empty, "the sample should have overdue reviews"
    b.sign_in("demo-manager")
    b.go("Caseload")
    overdue = b.main.get_by_test_id("stExpander").filter(has_text="Whose reviews are overdue")
    expect(overdue).to_be_visible()
    rows = static_table_rows(overdue.get_by_test_id("stTable"))
    assert [row["Key worker"] for row in rows] == list(expected["key_worker"])
    assert [int(row["Overdue reviews"]) for row in rows] == list(expected["overdue"])
    shown_as = labels(everyone)
    assert [row["Families, longest wait first"] for row in rows] == [
        ", ".join(shown_as[ref] for ref in refs) for refs in expected["family_refs"]
    ]

    worker = expected["key_worker"].iloc[0]
    b.main.get_by_text("Filter and sort", exact=True).click()
    box = b.main.get_by_role("combobox", name="Key worker", exact=True)
    expect(box).to_be_visible()

    def pick_worker() -> None:
        # Mid-screen, so its list opens with room to show, not over the table.
        box.evaluate("(input) => input.scrollIntoView({block: 'center'})")
        box.click()
        box.press_sequentially(worker)  # typed, as a person would, to narrow the list
        options = b.page.get_by_role("option")
        expect(options).to_have_text([worker])  # the list has settled on the one match
        options.first.click()

    b.act(pick_worker)
    b.page.keyboard.press("Escape")
    table = b.main.get_by_test_id("stDataFrame").last
    rows = b.table_rows(table)
    assert {row["Key worker"] for row in rows} == {worker}
    assert sorted(row["Family"] for row in rows) == sorted(
        everyone.loc[everyone["key_worker"] == worker, "family_ref"]
    )
    b.visit("manager-caseload-one-worker")  # the overdue view above it too
