"""Import and export page: validate first, write only on confirmation, then summarise."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from tests.app.conftest import open_app
from tracker.files.template import FormFamily, offline_form
from tracker.instruments.loader import get_instrument
from tracker.people.access import FAMILY_REFUSAL
from tracker.store.models import Assessment, Family

PAGE = "pages/data.py"
TAF = get_instrument("taf-dtt")


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Scores"
    sheet.append(
        [
            "family_ref",
            "instrument",
            "occasion",
            "assessed_on",
            "rater",
            *(d.label for d in TAF.domains),
        ]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def families_csv(refs: list[str]) -> bytes:
    lines = ["family_ref,area,tier_of_need,key_worker,referral_source,referral_date"]
    lines += [f"{ref},Northfield,tier 2,Ann New,School,2025-01-06" for ref in refs]
    return ("\n".join(lines) + "\n").encode()


def count_families(engine, ref: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count(Family.id)).where(Family.family_ref == ref)
        ).scalar_one()


def test_a_bad_row_is_reported_and_nothing_is_written_until_fixed(manager, sample_engine):
    good = ["IMP-1", "taf-dtt", "B", "2025-02-01", "worker", *([3] * len(TAF.domains))]
    bad = ["IMP-1", "taf-dtt", "R1", "2025-03-01", "worker", 7, *([3] * (len(TAF.domains) - 1))]
    app = open_app(manager, PAGE)
    uploader = app.get("file_uploader")[0]
    uploader.set_value(
        [
            ("families.csv", families_csv(["IMP-1"]), "text/csv"),
            ("legacy.xlsx", workbook([good, bad]), "application/octet-stream"),
        ]
    )
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "1 problem(s) to fix" in app.error[0].value
    report = app.dataframe[-1].value
    assert report.iloc[0][["File", "Row", "Column", "Value"]].tolist() == [
        "legacy.xlsx[Scores]",
        3,
        "housing",
        "7",
    ]
    assert not [b for b in app.button if b.label == "Import now"]
    assert count_families(sample_engine, "IMP-1") == 0

    fixed = [*bad[:5], 2, *bad[6:]]
    uploader = app.get("file_uploader")[0]
    uploader.set_value(
        [
            ("families.csv", families_csv(["IMP-1"]), "text/csv"),
            ("legacy.xlsx", workbook([good, fixed]), "application/octet-stream"),
        ]
    )
    app.run()
    assert not app.error
    assert "1 new family" in " ".join(m.value for m in app.markdown)
    next(b for b in app.button if b.label == "Import now").click().run()
    assert "Imported: 1 new family; 2 new assessments" in app.success[0].value
    assert count_families(sample_engine, "IMP-1") == 1


def test_the_same_file_again_changes_nothing(manager, sample_engine):
    app = open_app(manager, PAGE)
    app.get("file_uploader")[0].set_value([("families.csv", families_csv(["IMP-2"]), "text/csv")])
    app.run()
    next(b for b in app.button if b.label == "Import now").click().run()
    app.get("file_uploader")[0].set_value([("families.csv", families_csv(["IMP-2"]), "text/csv")])
    app.run()
    assert "importing again would change nothing" in app.info[0].value


def test_forms_and_exports_are_offered(manager):
    app = open_app(manager, PAGE)
    labels = [b.label for b in app.get("download_button")]
    assert "Team Around the Family distance-travelled tool form" in labels
    assert "Full export (zip of CSV files)" in labels
    assert "Download a backup of the database" in labels


def test_commissioners_and_admins_cannot_open_the_page(commissioner, admin):
    for viewer in (commissioner, admin):
        app = open_app(viewer)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(PAGE)


def test_problems_past_the_limit_are_counted_on_the_page(manager, monkeypatch):
    monkeypatch.setenv("TRACKER_IMPORT_MAX_PROBLEMS", "2")
    rows = "".join(f"IMP-{n},Northfield,tier 9,Ann New,School,2025-01-06\n" for n in range(5))
    data = b"family_ref,area,tier_of_need,key_worker,referral_source,referral_date\n"
    app = open_app(manager, PAGE)
    app.get("file_uploader")[0].set_value([("families.csv", data + rows.encode(), "text/csv")])
    app.run()
    assert not app.exception
    assert "5 problem(s) to fix" in app.error[0].value
    report = app.dataframe[-1].value
    assert report["Row"].tolist()[:2] == [2, 3]
    assert report.iloc[-1]["Problem"].startswith("and 3 more problems")
    assert "Download the validation report (CSV)" in [b.label for b in app.get("download_button")]


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (None, "needs a secret key"),
        ("secret", "at least 32 random bytes"),
        ("test-key-0f8b2c6e4d1a9735-b7e3c9a1f5d2846e-2a", None),
    ],
)
def test_the_research_extract_is_offered_only_with_a_strong_key(manager, monkeypatch, key, shown):
    if key is None:
        monkeypatch.delenv("TRACKER_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("TRACKER_PSEUDONYM_KEY", key)
    app = open_app(manager, PAGE)
    assert not app.exception
    offered = "Pseudonymised research extract (zip)" in [
        button.label for button in app.get("download_button")
    ]
    messages = " ".join(element.value for element in [*app.info, *app.error])
    assert offered == (shown is None)
    if shown:
        assert shown in messages


# The offline form, for a key worker ----------------------------------------------------------


def families_of(engine, key_worker_id: int, *, mine: bool) -> list[str]:
    """Open families with a taf-dtt baseline, on this key worker's caseload or not."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(Family.family_ref)
                .join(Assessment, Assessment.family_id == Family.id)
                .where(
                    Family.closed_on.is_(None),
                    Assessment.instrument == TAF.key,
                    Assessment.occasion == "baseline",
                    (Family.key_worker_id == key_worker_id)
                    if mine
                    else (Family.key_worker_id != key_worker_id),
                )
                .distinct()
                .order_by(Family.family_ref)
            ).scalars()
        )


def assessments_of(engine, ref: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count(Assessment.id))
            .join(Family, Family.id == Assessment.family_id)
            .where(Family.family_ref == ref)
        ).scalar_one()


def filled_form(ref: str, *, score: str = "2 Minor") -> bytes:
    """A review on the offline form made for ``ref``, filled in through its drop-downs."""
    book = openpyxl.load_workbook(io.BytesIO(offline_form(TAF, FormFamily(ref))))
    form = book.worksheets[0]
    labels = {form[f"A{row}"].value: row for row in range(1, form.max_row + 1)}
    form[f"B{labels['Occasion']}"] = "Review"
    form[f"B{labels['Date']}"] = datetime.combine(date.today(), datetime.min.time())
    form[f"B{labels['Who gave the scores']}"] = "Key worker"
    for domain in TAF.domains:
        form[f"B{labels[domain.label]}"] = score
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(app, name: str, data: bytes) -> None:
    app.get("file_uploader")[0].set_value([(name, data, "application/octet-stream")])
    app.run()
    assert not app.exception, [e.value for e in app.exception]


def problems_shown(app) -> list[tuple[str, str]]:
    table = app.dataframe[-1].value
    return list(zip(table["Column"], table["Problem"], strict=True))


def test_a_key_worker_cannot_bring_back_a_form_for_another_family(practitioner, sample_engine):
    elsewhere = families_of(sample_engine, practitioner.key_worker_id, mine=False)[0]
    before = assessments_of(sample_engine, elsewhere)
    app = open_app(practitioner, PAGE)
    for ref in (elsewhere, "FAM-999999"):  # someone else's, and nobody's: refused alike
        upload(app, f"{ref}-form.xlsx", filled_form(ref))
        assert "1 problem(s) to fix" in app.error[0].value
        assert problems_shown(app) == [("family_ref", FAMILY_REFUSAL)]
        assert not [b for b in app.button if b.label == "Import now"]
    assert assessments_of(sample_engine, elsewhere) == before


def test_a_key_worker_cannot_import_any_other_kind_of_file(practitioner, sample_engine):
    app = open_app(practitioner, PAGE)
    upload(app, "families.csv", families_csv(["IMP-9"]))
    assert "which only a manager can import" in problems_shown(app)[0][1]
    assert count_families(sample_engine, "IMP-9") == 0


def test_a_key_worker_takes_a_form_out_and_brings_it_back(practitioner, sample_engine):
    mine = families_of(sample_engine, practitioner.key_worker_id, mine=True)[0]
    before = assessments_of(sample_engine, mine)
    app = open_app(practitioner, PAGE, family=mine)
    offered = [b.label for b in app.get("download_button")]
    assert any(label.startswith(f"Download the form for {mine}") for label in offered), offered
    assert "Full export (zip of CSV files)" not in offered  # exports stay with managers

    upload(app, f"{mine}-form.xlsx", filled_form(mine))
    assert not app.error
    warnings = " ".join(w.value for w in app.warning)
    assert "1 assessment would be added to 1 family that already has assessments" in warnings
    assert "This import will add: 0 new families; 1 new assessment" in " ".join(
        m.value for m in app.markdown
    )
    next(b for b in app.button if b.label == "Import now").click().run()
    assert "Imported: 0 new families; 1 new assessment" in app.success[0].value
    assert assessments_of(sample_engine, mine) == before + 1


def test_a_second_baseline_is_refused_with_a_count_before_anything_is_written(
    manager, sample_engine
):
    ref = families_of(sample_engine, -1, mine=False)[0]
    data = filled_form(ref)
    book = openpyxl.load_workbook(io.BytesIO(data))
    form = book.worksheets[0]
    occasion = next(r for r in range(1, 20) if form[f"A{r}"].value == "Occasion")
    form[f"B{occasion}"] = "Baseline"
    buffer = io.BytesIO()
    book.save(buffer)
    before = assessments_of(sample_engine, ref)
    app = open_app(manager, PAGE)
    upload(app, "again.xlsx", buffer.getvalue())
    assert "1 problem(s) to fix" in app.error[0].value
    assert app.warning[0].value.startswith("Refused: 1 row in 1 family would fork a history")
    ((column, problem),) = problems_shown(app)
    assert column == "occasion" and "second baseline" in problem
    assert assessments_of(sample_engine, ref) == before
