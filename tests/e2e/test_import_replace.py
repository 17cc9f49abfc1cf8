"""Importing never forks a family's history, seen in the browser at both widths.

A manager imports sample_data/ with Replace over the loaded sample and is told nothing
would change; a cohort dated later is refused with a count before anything is written; and
a key worker takes a family's offline form out, brings it back filled in, and is refused
for a family on someone else's caseload. The store is read directly after each.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.unit.test_import_history import after_closure, forked_pairs
from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SAMPLE, generate
from tracker.instruments.loader import get_instrument
from tracker.people.access import FAMILY_REFUSAL
from tracker.store.models import Assessment, Family, family_label

pytestmark = pytest.mark.slow

SAMPLE_FILES = sorted((ROOT / "sample_data").glob("*.csv"))
TAF = get_instrument("taf-dtt")
REPLACE = "Replace stored values that differ"


def assessments(store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(Assessment.id))).scalar_one()


def upload(b, paths) -> None:
    uploader = b.main.get_by_test_id("stFileUploaderDropzoneInput")
    b.act(lambda: uploader.set_input_files([str(path) for path in paths]))


def tick_replace(b) -> None:
    b.act(b.main.get_by_text(REPLACE, exact=True).click)
    expect(b.main.get_by_role("checkbox", name=REPLACE)).to_be_checked()


def test_the_sample_files_over_the_loaded_sample_change_nothing(browser, store):
    b = browser
    before = assessments(store)
    b.sign_in("demo-manager")
    b.go("Import and export")
    tick_replace(b)
    upload(b, SAMPLE_FILES)
    expect(b.main.get_by_text("importing again would change nothing")).to_be_visible()
    expect(b.main.get_by_text("problem(s) to fix")).to_have_count(0)
    expect(b.main.get_by_role("button", name="Import now")).to_have_count(0)
    b.visit("sample-over-sample")
    assert assessments(store) == before
    assert forked_pairs(store.engine).empty
    assert after_closure(store.engine) == 0


def test_a_later_dated_cohort_is_refused_with_a_count(browser, store, tmp_path):
    """The old cause of forked histories: the same cohort with every date moved on."""
    later = replace(SAMPLE, as_of=min(SAMPLE.as_of + timedelta(days=20), date.today()))
    paths = write_canonical_csvs(generate(later), tmp_path)
    expected = import_files(store.engine, paths, replace=True, dry_run=True)
    assert not expected.ok
    refusal = expected.notices[0]
    assert refusal.startswith("Refused: ")
    before = assessments(store)

    b = browser
    b.sign_in("demo-manager")
    b.go("Import and export")
    tick_replace(b)
    upload(b, paths)
    expect(b.main.get_by_text(f"{expected.error_count:,} problem(s) to fix")).to_be_visible()
    expect(b.main.get_by_text(refusal)).to_be_visible()
    expect(b.main.get_by_role("button", name="Import now")).to_have_count(0)
    b.visit("later-cohort-refused")
    assert assessments(store) == before
    assert forked_pairs(store.engine).empty


def family_of(store, username: str, *, mine: bool) -> tuple[str, str | None]:
    """An open family with a taf-dtt baseline, on this key worker's caseload or not."""
    key_worker_id = store.viewer(username).key_worker_id
    with store.engine.connect() as connection:
        return connection.execute(
            sa.select(Family.family_ref, Family.short_name)
            .join(Assessment, Assessment.family_id == Family.id)
            .where(
                Family.closed_on.is_(None),
                Assessment.instrument == TAF.key,
                Assessment.occasion == "baseline",
                (Family.key_worker_id == key_worker_id)
                if mine
                else (Family.key_worker_id != key_worker_id),
            )
            .order_by(Family.family_ref)
        ).first()


def fill_in(data: bytes, *, ref: str | None = None) -> bytes:
    """A review on the form, scored through its drop-downs' items, as a worker would."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    form = book.worksheets[0]
    rows = {form[f"A{row}"].value: row for row in range(1, form.max_row + 1)}
    if ref:
        form[f"B{rows['Family reference']}"] = ref
    form[f"B{rows['Occasion']}"] = "Review"
    form[f"B{rows['Date']}"] = datetime.combine(date.today(), datetime.min.time())
    form[f"B{rows['Who gave the scores']}"] = "Key worker"
    for domain in TAF.domains:
        form[f"B{rows[domain.label]}"] = "2 Minor"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_key_worker_takes_a_form_out_and_brings_it_back(browser, store, tmp_path):
    b = browser
    ref, short_name = family_of(store, "demo-practitioner", mine=True)
    elsewhere, _ = family_of(store, "demo-practitioner", mine=False)
    before, untouched = store.assessments(ref), store.assessments(elsewhere)
    b.sign_in("demo-practitioner")
    b.go("Import and export")
    b.choose(b.main, "Family", family_label(ref, short_name))
    b.choose(b.main, "Instrument", TAF.name)
    button = b.main.get_by_role("button", name=re.compile(r"^Download the form for "))
    expect(button).to_contain_text(family_label(ref, short_name))
    b.visit("offline-form-out")
    name, data = b.download(button.click)
    assert name == f"{ref}-{TAF.key}-form.xlsx"
    form = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [form["A4"].value, form["B4"].value] == ["Family reference", ref]

    theirs = tmp_path / f"{elsewhere}-form.xlsx"
    theirs.write_bytes(fill_in(data, ref=elsewhere))
    upload(b, [theirs])
    expect(b.main.get_by_text("1 problem(s) to fix")).to_be_visible()
    problems = b.table_rows(b.main.get_by_test_id("stDataFrame").last)
    assert [(p["Column"], p["Problem"]) for p in problems] == [("family_ref", FAMILY_REFUSAL)]
    expect(b.main.get_by_role("button", name="Import now")).to_have_count(0)
    b.visit("offline-form-not-theirs")
    b.remove_upload()

    mine = tmp_path / name
    mine.write_bytes(fill_in(data))
    upload(b, [mine])
    expect(
        b.main.get_by_text(re.compile(r"^1 assessment would be added to 1 family"))
    ).to_be_visible()
    b.visit("offline-form-back")
    b.act(b.main.get_by_role("button", name="Import now").click)
    expect(b.main.get_by_test_id("stAlert").first).to_contain_text(
        "Imported: 0 new families; 1 new assessment"
    )
    assert store.assessments(ref) == before + 1
    assert store.assessments(elsewhere) == untouched
    assert forked_pairs(store.engine).empty
