"""The importer: what it accepts, what it refuses, and that refusal writes nothing."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from tests.unit.helpers import (
    FAMILY_HEADER,
    SCORE_HEADER,
    families_file,
    scores_file,
    snapshot,
    write_csv,
)
from tracker.files.importing import import_files, import_read, read_files
from tracker.files.tabular import Upload
from tracker.store.models import Assessment, Family, KeyWorker, Score

TODAY = date(2025, 6, 1)


def stored_scores(engine) -> dict[tuple, float | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Family.family_ref,
                Assessment.occasion,
                Assessment.assessed_on,
                Score.domain,
                Score.value,
            )
            .join(Assessment, Assessment.id == Score.assessment_id)
            .join(Family, Family.id == Assessment.family_id)
        ).all()
    return {(ref, occ, day.isoformat(), domain): value for ref, occ, day, domain, value in rows}


@pytest.fixture
def loaded(engine, tmp_path):
    """A store holding the two families and their first scores."""
    report = import_files(engine, [families_file(tmp_path), scores_file(tmp_path)], today=TODAY)
    assert report.ok, report.problems
    return engine


def test_import_stores_scores_with_aliases_and_not_scored(loaded):
    scores = stored_scores(loaded)
    assert scores[("F1", "baseline", "2025-02-01", "housing")] == 4
    assert scores[("F1", "review", "2025-03-01", "housing")] == 2
    # "NA" is stored as not scored, never as a number.
    assert scores[("F1", "review", "2025-03-01", "general_health")] is None
    assert scores[("F2", "baseline", "2025-02-03", "wellbeing")] == 3
    assert len(scores) == 5


def test_key_workers_named_in_families_are_created(loaded):
    with loaded.connect() as connection:
        names = connection.execute(sa.select(KeyWorker.name).order_by(KeyWorker.name)).scalars()
        assert list(names) == ["Ann Worker", "Bob Worker"]


def test_reimporting_identical_rows_changes_nothing(loaded, tmp_path):
    before = snapshot(loaded)
    report = import_files(loaded, [families_file(tmp_path), scores_file(tmp_path)], today=TODAY)
    assert report.ok
    assert not report.changed_anything
    assert report.counts["scores"] == {"new": 0, "unchanged": 5, "replaced": 0}
    assert report.counts["families"]["unchanged"] == 2
    assert snapshot(loaded) == before


def test_files_read_once_are_checked_then_imported_without_reading_them_again(engine, tmp_path):
    paths = [families_file(tmp_path), scores_file(tmp_path)]
    read = read_files([Upload(path.name, path.read_bytes()) for path in paths], today=TODAY)
    for path in paths:
        path.unlink()  # nothing is read from disk after this
    check = import_read(engine, read, dry_run=True)
    assert check.ok and check.counts["scores"]["new"] == 5
    assert snapshot(engine)["families"] == []
    done = import_read(engine, read)
    assert done.ok and done.counts["scores"]["new"] == 5
    assert len(snapshot(engine)["scores"]) == 5
    again = import_read(engine, read, dry_run=True)
    assert again.counts["scores"] == {"new": 0, "unchanged": 5, "replaced": 0}
    assert not list(read.report.problems)  # each import works on its own copy


def test_dry_run_validates_but_writes_nothing(engine, tmp_path):
    report = import_files(
        engine, [families_file(tmp_path), scores_file(tmp_path)], dry_run=True, today=TODAY
    )
    assert report.ok
    assert report.counts["scores"]["new"] == 5
    assert snapshot(engine)["families"] == []


BAD_SCORE_ROWS = [
    pytest.param(
        ["F1", "no-such-tool", "review", "2025-04-01", "worker", "housing", "3"],
        "instrument",
        "not a known instrument",
        id="unknown-instrument",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-04-01", "worker", "garden", "3"],
        "domain",
        "'garden' is not a domain of taf-dtt",
        id="unknown-domain",
    ),
    pytest.param(
        ["F9", "taf-dtt", "review", "2025-04-01", "worker", "housing", "3"],
        "family_ref",
        "'F9' is not a known family",
        id="unknown-family",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-04-01", "worker", "housing", "6"],
        "score",
        "outside the taf-dtt scale (1 to 5)",
        id="out-of-range",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-04-01", "worker", "housing", "2.5"],
        "score",
        "not a whole step of 1",
        id="off-step",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-04-01", "worker", "housing", "three"],
        "score",
        "'three' is not a number",
        id="non-numeric",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-13-45", "worker", "housing", "3"],
        "assessed_on",
        "is not a date",
        id="bad-date",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-06-02", "worker", "housing", "3"],
        "assessed_on",
        "is in the future",
        id="future-date",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-01-15", "worker", "housing", "3"],
        "assessed_on",
        "is before the family's baseline on 2025-02-01",
        id="before-baseline",
    ),
    pytest.param(
        ["F1", "taf-dtt", "R1", "2025-03-01", "worker", "housing", "3"],
        "score",
        "the stored value is 2 but the file has 3",
        id="conflict-with-stored",
    ),
    pytest.param(
        ["F1", "taf-dtt", "B", "2025-03-01", "worker", "aspirations", "3"],
        "occasion",
        "the stored value is review but the file has baseline",
        id="occasion-conflict",
    ),
    pytest.param(
        ["F1", "taf-dtt", "Q", "2025-04-01", "worker", "housing", "3"],
        "occasion",
        "'Q' is not an occasion",
        id="bad-occasion",
    ),
    pytest.param(
        ["F1", "taf-dtt", "review", "2025-04-01", "aunt", "housing", "3"],
        "rater",
        "'aunt' is not a known rater",
        id="bad-rater",
    ),
]


@pytest.mark.parametrize(("bad_row", "column", "message"), BAD_SCORE_ROWS)
def test_each_bad_score_is_named_and_nothing_is_written(loaded, tmp_path, bad_row, column, message):
    good = ["F2", "family-outcomes-10", "review", "2025-04-01", "joint", "wellbeing", "5"]
    path = write_csv(tmp_path / "new_scores.csv", SCORE_HEADER, [good, bad_row])
    before = snapshot(loaded)
    report = import_files(loaded, [path], today=TODAY)
    assert not report.ok
    rendered = [str(problem) for problem in report.errors]
    assert any(
        text.startswith(f"new_scores.csv:3: {column}: ") and message in text for text in rendered
    ), rendered
    # The good row on line 2 was not written either.
    assert snapshot(loaded) == before


def test_conflicting_duplicates_within_a_file_are_refused(engine, tmp_path):
    rows = [
        ["F1", "taf-dtt", "baseline", "2025-02-01", "worker", "housing", "4"],
        ["F1", "taf-dtt", "baseline", "2025-02-01", "worker", "housing", "5"],
    ]
    report = import_files(
        engine, [families_file(tmp_path), scores_file(tmp_path, rows)], today=TODAY
    )
    assert [str(p) for p in report.errors] == [
        "scores.csv:3: score: 5 conflicts with 4 for the same domain score on line 2"
    ]
    assert snapshot(engine)["families"] == []


def test_identical_duplicates_within_a_file_are_stored_once(engine, tmp_path):
    row = ["F1", "taf-dtt", "baseline", "2025-02-01", "worker", "housing", "4"]
    report = import_files(
        engine, [families_file(tmp_path), scores_file(tmp_path, [row, row])], today=TODAY
    )
    assert report.ok
    assert len(stored_scores(engine)) == 1


def test_replace_overwrites_a_conflicting_value_and_bumps_the_version(loaded, tmp_path):
    path = write_csv(
        tmp_path / "fix.csv",
        SCORE_HEADER,
        [["F1", "taf-dtt", "R1", "2025-03-01", "worker", "housing", "3"]],
    )
    report = import_files(loaded, [path], replace=True, today=TODAY)
    assert report.ok, report.problems
    assert report.counts["scores"] == {"new": 0, "unchanged": 0, "replaced": 1}
    assert stored_scores(loaded)[("F1", "review", "2025-03-01", "housing")] == 3
    with loaded.connect() as connection:
        versions = dict(
            connection.execute(
                sa.select(Assessment.assessed_on, Assessment.version)
                .join(Family)
                .where(Family.family_ref == "F1")
            ).all()
        )
    assert versions == {date(2025, 2, 1): 1, date(2025, 3, 1): 2}


def test_a_bad_second_file_leaves_the_first_unwritten(engine, tmp_path):
    bad = scores_file(tmp_path, [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "9"]])
    report = import_files(engine, [families_file(tmp_path), bad], today=TODAY)
    assert not report.ok
    assert snapshot(engine)["families"] == []


def test_missing_required_column_is_named(engine, tmp_path):
    path = write_csv(
        tmp_path / "scores.csv",
        [c for c in SCORE_HEADER if c != "rater"],
        [["F1", "taf-dtt", "B", "2025-02-01", "housing", "4"]],
    )
    report = import_files(engine, [path], today=TODAY)
    assert [str(p) for p in report.errors] == [
        "scores.csv:1: rater: missing required column for scores (missing: rater)"
    ]


def test_unrecognised_header_is_refused(engine, tmp_path):
    path = write_csv(tmp_path / "mystery.csv", ["colour", "size"], [["red", "3"]])
    report = import_files(engine, [path], today=TODAY)
    assert len(report.errors) == 1
    assert "the header matches no known file" in str(report.errors[0])


def test_headers_are_matched_whatever_their_case_and_spacing(engine, tmp_path):
    header = [
        "Family Ref",
        "AREA",
        "Tier of need",
        "Key worker",
        "Referral source",
        "Referral date",
    ]
    path = write_csv(
        tmp_path / "fams.csv",
        header,
        [["F1", "Northfield", "Tier 2-3", "Ann", "School", "06/01/2025"]],
    )
    report = import_files(engine, [path], today=TODAY)
    assert report.ok, report.problems
    with engine.connect() as connection:
        tier, referred = connection.execute(
            sa.select(Family.tier_of_need, Family.referral_date)
        ).one()
    assert (tier, referred) == ("tier 2-3", date(2025, 1, 6))


def test_family_rows_are_validated(engine, tmp_path):
    rows = [
        ["F1", "Northfield", "tier 9", "Ann", "School", "2025-01-06"],
        ["", "Northfield", "tier 2", "Ann", "School", "2025-01-06"],
    ]
    report = import_files(engine, [families_file(tmp_path, rows)], today=TODAY)
    rendered = [str(p) for p in report.errors]
    assert any(
        r.startswith("families.csv:2: tier_of_need: 'tier 9' is not a known tier of need")
        for r in rendered
    ), rendered
    assert "families.csv:3: family_ref: is required but empty" in rendered


def test_closed_family_needs_a_reason(engine, tmp_path):
    path = write_csv(
        tmp_path / "families.csv",
        [*FAMILY_HEADER, "closed_on", "closure_reason"],
        [["F1", "Northfield", "tier 2", "Ann", "School", "2025-01-06", "2025-05-01", ""]],
    )
    report = import_files(engine, [path], today=TODAY)
    assert [str(p) for p in report.errors] == [
        "families.csv:2: closure_reason: a closed family needs a closure reason"
    ]


def test_utf8_with_bom_is_read(engine, tmp_path):
    path = tmp_path / "families.csv"
    text = ",".join(FAMILY_HEADER) + "\nF1,Northfield,tier 2,Zoë Ng,School,2025-01-06\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = import_files(engine, [path], today=TODAY)
    assert report.ok and not report.warnings
    assert snapshot(engine)["key_workers"][0][0] == "Zoë Ng"


def test_a_key_worker_only_named_in_families_gets_the_models_defaults(engine, tmp_path):
    path = tmp_path / "families.csv"
    path.write_text(",".join(FAMILY_HEADER) + "\nF1,Northfield,tier 2,Ann Lee,School,2025-01-06\n")
    assert import_files(engine, [path], today=TODAY).ok
    with engine.connect() as connection:
        stored = connection.execute(sa.select(KeyWorker.background, KeyWorker.dedicated)).all()
    assert [tuple(row) for row in stored] == [("other", True)]


def test_a_family_with_no_key_worker_beside_one_with_a_worker_imports(engine, tmp_path):
    """A blank key worker made pandas hold the others' ids as floats, which PostgreSQL's
    COPY refused for an integer column ("1.0")."""
    path = tmp_path / "families.csv"
    path.write_text(
        ",".join(FAMILY_HEADER)
        + "\nF1,Northfield,tier 2,Ann Lee,School,2025-01-06"
        + "\nF2,Northfield,tier 2,,School,2025-01-07\n"
    )
    assert import_files(engine, [path], today=TODAY).ok
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(Family.family_ref, KeyWorker.name)
            .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
            .order_by(Family.family_ref)
        ).all()
    assert [tuple(row) for row in stored] == [("F1", "Ann Lee"), ("F2", None)]


def test_windows_1252_is_read_with_a_warning_and_stored_correctly(engine, tmp_path):
    path = tmp_path / "families.csv"
    text = ",".join(FAMILY_HEADER) + "\nF1,Northfield,tier 2,Zoë Ng,School,2025-01-06\n"
    path.write_bytes(text.encode("cp1252"))
    report = import_files(engine, [path], today=TODAY)
    assert report.ok
    assert [str(p).split(": ")[0:2] for p in report.warnings] == [["families.csv:2", "-"]]
    assert "Windows-1252" in str(report.warnings[0])
    assert snapshot(engine)["key_workers"][0][0] == "Zoë Ng"


def test_bytes_that_are_neither_utf8_nor_1252_are_refused_with_the_line(engine, tmp_path):
    path = tmp_path / "families.csv"
    good = ",".join(FAMILY_HEADER) + "\nF1,Northfield,tier 2,Ann,School,2025-01-06\n"
    path.write_bytes(good.encode() + b"F2,North\x81field,tier 2,Ann,School,2025-01-06\n")
    report = import_files(engine, [path], today=TODAY)
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith("families.csv:3: -: the text is neither UTF-8")
    assert snapshot(engine)["families"] == []


def test_empty_file_is_refused(engine, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("")
    report = import_files(engine, [path], today=TODAY)
    assert [str(p) for p in report.errors] == ["scores.csv:1: -: the file is empty"]


def test_other_records_import_and_reimport_cleanly(loaded, tmp_path):
    files = [
        write_csv(
            tmp_path / "goals.csv",
            ["family_ref", "goal", "domain", "status", "set_on"],
            [["F1", "Safe, dry home", "housing", "open", "2025-02-01"]],
        ),
        write_csv(
            tmp_path / "activities.csv",
            ["family_ref", "activity_on", "hours", "kind"],
            [["F1", "2025-02-03", "1.5", "Direct work"]],
        ),
        write_csv(
            tmp_path / "referrals_on.csv",
            ["family_ref", "service", "referred_on"],
            [["F2", "Housing options", "2025-03-01"]],
        ),
        write_csv(
            tmp_path / "feedback.csv",
            ["family_ref", "given_on", "satisfaction"],
            [["F1", "2025-03-01", "5"]],
        ),
    ]
    report = import_files(loaded, files, today=TODAY)
    assert report.ok, report.problems
    stored = snapshot(loaded)
    assert stored["goals"] == [["F1", "Safe, dry home", "housing", "open", "2025-02-01", None]]
    assert stored["activities"] == [["F1", "2025-02-03", "1.5", "direct_work"]]
    assert stored["feedback"] == [["F1", "2025-03-01", "5", None]]
    again = import_files(loaded, files, today=TODAY)
    assert again.ok and not again.changed_anything


def test_bad_records_are_named(loaded, tmp_path):
    files = [
        write_csv(
            tmp_path / "activities.csv",
            ["family_ref", "activity_on", "hours", "kind"],
            [["F1", "2025-02-03", "-1", "direct_work"]],
        ),
        write_csv(
            tmp_path / "feedback.csv",
            ["family_ref", "given_on", "satisfaction"],
            [["F1", "2025-03-01", "7"]],
        ),
    ]
    report = import_files(loaded, files, today=TODAY)
    assert [str(p) for p in report.errors] == [
        "activities.csv:2: hours: -1 is below 0",
        "feedback.csv:2: satisfaction: 7 is above 5",
    ]


@pytest.mark.parametrize(
    ("name", "header", "first", "second", "message"),
    [
        pytest.param(
            "activities.csv",
            ["family_ref", "activity_on", "hours", "kind"],
            ["F1", "2025-02-03", "1.5", "direct_work"],
            ["F1", "2025-02-03", "2", "direct_work"],
            "activities.csv:3: hours: 2 conflicts with 1.5 for the same activity on line 2",
            id="activities",
        ),
        pytest.param(
            "goals.csv",
            ["family_ref", "goal", "status", "set_on"],
            ["F1", "Safe home", "open", "2025-02-01"],
            ["F1", "Safe home", "dropped_out", "2025-02-01"],
            "goals.csv:3: status: dropped_out conflicts with open for the same goal on line 2",
            id="goals",
        ),
    ],
)
def test_a_conflict_names_the_kind_of_row_in_words(
    loaded, tmp_path, name, header, first, second, message
):
    path = write_csv(tmp_path / name, header, [first, second])
    report = import_files(loaded, [path], today=TODAY)
    assert [str(p) for p in report.errors] == [message]


def test_a_fraction_of_a_satisfaction_point_is_named_not_a_traceback(loaded, tmp_path):
    path = write_csv(
        tmp_path / "feedback.csv",
        ["family_ref", "given_on", "satisfaction"],
        [["F1", "2025-03-01", "2.5"]],
    )
    report = import_files(loaded, [path], today=TODAY)
    assert [str(p) for p in report.errors] == [
        "feedback.csv:2: satisfaction: 2.5 is not a whole number from 1 to 5"
    ]


def test_problems_name_the_line_in_the_file_past_blank_lines_and_multi_line_notes(loaded, tmp_path):
    header = ",".join([*SCORE_HEADER, "note"])
    text = (
        f"{header}\n"
        'F2,family-outcomes-10,review,2025-04-01,joint,wellbeing,5,"Spoke with mum.\n\n'
        'Follow up in May."\n'
        "\n"
        "F2,family-outcomes-10,review,2025-04-01,joint,home_money,eleven,\n"
    )
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as members:
        members.writestr("scores.csv", text)
    for upload, file in ((path, "scores.csv"), (archive, "export.zip[scores.csv]")):
        report = import_files(loaded, [upload], today=TODAY)
        assert [str(p).split(": ")[0:2] for p in report.errors] == [[f"{file}:6", "score"]]
