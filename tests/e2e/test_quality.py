"""The quality-assurance journey in a real Chromium, as the issue tells it: a manager closes
a case as "partially achieved", completes the closure audit it opens, draws a 10% sample
of closed cases, rates one case file and sees the result on the report card. On the way
the manager opens the Efficiency page, the other of the two dashboards.

Every figure the journey expects comes from the server's database through ``tracker``,
never typed in; every page it visits is screenshotted at both sizes and checked by axe.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, expect

from tracker.instruments.loader import load_instruments
from tracker.measures.caseload import caseload
from tracker.measures.efficiency import open_cases_by_worker
from tracker.measures.periods import last_full_quarter
from tracker.measures.reportcard.card import report_card
from tracker.measures.reportcard.data import Scope
from tracker.records.closure_audits import outstanding_audits
from tracker.render.reportcard_words import headline
from tracker.store.models import CaseSample, Family, family_label
from tracker.store.vocabulary import AUDIT_SCALE, CASE_FILE_QUALITIES, CLOSURE_AUDIT_QUESTIONS

pytestmark = pytest.mark.slow

MEASURE = "case_files_engagement"


def pick(b, scope: Locator, label: str, option: str) -> None:
    """Choose in a select box inside a form, where choosing does not rerun the app."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    b.page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def tab(b, name: str) -> None:
    b.main.get_by_role("tab", name=name, exact=True).click()
    expect(b.main.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def case_file_result(store, day: date):
    """The report card's engagement measure for the card's default period, from the store."""
    period = last_full_quarter(day)
    with store.engine.connect() as connection:
        card = report_card(
            connection,
            period,
            Scope(),
            load_instruments()["taf-dtt"],
            min_group=5,
            today=day,
        )
    return next(result for result in card.quadrant("how_well") if result.spec.key == MEASURE)


def test_manager_audits_a_closure_samples_case_files_and_sees_the_report_card(browser, store):
    b, day = browser, date.today()
    b.sign_in("demo-manager")

    # The efficiency dashboard: its open-cases table matches the measure.
    b.go("Efficiency")
    manager = store.viewer("demo-manager")
    with store.engine.connect() as connection:
        families = caseload(connection, manager, today=day, include_closed=True)
    busiest = open_cases_by_worker(families).iloc[0]
    expect(b.main.get_by_role("heading", name="Open cases per key worker")).to_be_visible()
    expect(b.main.get_by_role("heading", name="Cases closed per month")).to_be_visible()
    expect(b.main.get_by_role("heading", name="Reviews overdue per key worker")).to_be_visible()
    expect(
        b.main.get_by_text(f"{int(families['closed_on'].isna().sum())} open cases in all.")
    ).to_be_visible()
    assert busiest["open_cases"] > 0
    b.visit("efficiency")

    # Close an open case as partially achieved.
    open_families = store.caseload("demo-manager")
    family_ref = str(open_families["family_ref"].iloc[0])
    b.go("Caseload")
    closing = b.main.get_by_test_id("stExpander").filter(has_text="Close a family's case")
    closing.get_by_text("Close a family's case").click()
    pick(b, closing, "Family", family_ref)
    pick(b, closing, "How did it end?", "Plan partially achieved")
    closing.get_by_role("textbox", name=re.compile(r"^Why\?")).fill(
        "Attendance improved; the housing goal was not met before the family asked to stop."
    )
    b.act(closing.get_by_role("button", name="Close case").click)
    expect(b.main.get_by_text(f"Closed {family_ref}: plan partially achieved.")).to_be_visible()

    # Its closure audit is waiting on Quality assurance; complete it.
    with store.engine.connect() as connection:
        waiting = outstanding_audits(connection, today=day)
        short_name = connection.execute(
            sa.select(Family.short_name).where(Family.family_ref == family_ref)
        ).scalar_one()
    assert family_ref in set(waiting["family_ref"])
    b.go("Quality assurance")
    tab(b, "Closure audits")
    audit_label = f"{family_label(family_ref, short_name)}, closed {day:%d %b %Y}"
    b.choose(b.main, "Audit to complete", audit_label)
    b.visit("closure-audit")
    form = b.main.get_by_test_id("stForm").filter(has_text="Complete audit")
    for number, question in enumerate(CLOSURE_AUDIT_QUESTIONS.values()):
        score = 2 + number % 2
        form.get_by_role("radiogroup", name=question).get_by_text(
            f"{score} · {AUDIT_SCALE[score]}", exact=True
        ).click()
    form.get_by_role("textbox").first.fill("The housing goal waited on another agency.")
    b.act(form.get_by_role("button", name="Complete audit").click)
    expect(b.main.get_by_text(f"Closure audit of {audit_label} completed.")).to_be_visible()
    with store.engine.connect() as connection:
        assert family_ref not in set(outstanding_audits(connection, today=day)["family_ref"])

    # Draw a 10% sample of the cases closed since the start of the card's quarter.
    before = case_file_result(store, day)
    start = last_full_quarter(day).start
    tab(b, "Case-file sample")
    drawing = b.main.get_by_test_id("stForm").filter(has_text="Draw a sample of closed cases")
    drawing.get_by_role("textbox", name="Closed from").fill(f"{start:%d/%m/%Y}")
    drawing.get_by_role("textbox", name="Closed to").fill(f"{day:%d/%m/%Y}")
    drawing.get_by_role("textbox", name="Sample size").fill("10%")
    b.act(drawing.get_by_role("button", name="Draw sample").click)
    tab(b, "Case-file sample")
    expect(b.main.get_by_text("Sample drawn: it is chosen below, ready to rate.")).to_be_visible()
    with store.engine.connect() as connection:
        drawn = connection.execute(
            sa.select(CaseSample.how, CaseSample.amount, CaseSample.period_start).order_by(
                CaseSample.id.desc()
            )
        ).first()
    assert tuple(drawn) == ("proportion", 0.1, start)

    # Rate the first case file: inadequate engagement, so the card's share must move.
    first = b.main.get_by_test_id("stExpander").filter(has_text="not rated yet").first
    first.get_by_text("not rated yet").click()
    rating = first.get_by_test_id("stForm")
    for key, quality in CASE_FILE_QUALITIES.items():
        grade = "Inadequate" if key == "engagement" else "Good"
        rating.get_by_role("radiogroup", name=quality).get_by_text(grade, exact=True).click()
    rating.get_by_role("textbox").first.fill("Two visits missed and not followed up.")
    b.act(rating.get_by_role("button", name="Save case-file audit").click)
    tab(b, "Case-file sample")
    expect(b.main.get_by_text(re.compile(r"^Case files: \d+ of \d+ rated$"))).to_be_visible()
    b.visit("case-file-sample")

    # The report card's "how well" quadrant shows the new result.
    after = case_file_result(store, day)
    assert not before.current.hidden, "the sample should rate enough files to show"
    assert after.current.base == before.current.base + 1
    assert headline(after) != headline(before)
    b.go("Report card")
    expect(b.metric(after.spec.label)).to_have_text(headline(after))
    b.visit("report-card")
