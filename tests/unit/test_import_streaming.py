"""A big scores file is read a few rows at a time; what it finds and writes is what reading it
whole finds and writes. Here every chunk is two or three rows, so each rule meets rows
split across chunks."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.unit.helpers import SCORE_HEADER, families_file, scores_file, snapshot, write_csv
from tracker.files.importing import import_files, read_files, streaming
from tracker.files.importing.streaming import SeenKeys, StreamedFile
from tracker.store.models import Assessment, AuditLog

TODAY = date(2025, 6, 1)


def whole(monkeypatch) -> None:
    monkeypatch.setattr(streaming, "STREAM_BYTES", 1 << 40)


def streamed(monkeypatch, rows: int = 2) -> None:
    monkeypatch.setattr(streaming, "STREAM_BYTES", 0)
    monkeypatch.setattr(streaming, "CHUNK_ROWS", rows)


def both_ways(engine, monkeypatch, paths, **options):
    """The report reading the files whole, then streamed (each must write nothing, or the
    second would compare with what the first wrote)."""
    reports = []
    for way in (whole, streamed):
        way(monkeypatch)
        reports.append(import_files(engine, paths, today=TODAY, **options))
    return reports


def lines_of(report) -> list[str]:
    return sorted(str(problem) for problem in report.problems)


@pytest.fixture
def families(engine, tmp_path):
    report = import_files(engine, [families_file(tmp_path)], today=TODAY)
    assert report.ok
    return engine


def test_a_scores_csv_is_streamed_only_past_the_size(monkeypatch, tmp_path):
    path = scores_file(tmp_path)
    streamed(monkeypatch)
    (item,) = read_files([path], today=TODAY).files
    assert isinstance(item, StreamedFile) and item.header_line == 1
    whole(monkeypatch)
    assert not isinstance(read_files([path], today=TODAY).files[0], StreamedFile)
    # Other kinds, and files that are not UTF-8 throughout, are read whole.
    streamed(monkeypatch)
    assert not isinstance(read_files([families_file(tmp_path)]).files[0], StreamedFile)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        path.read_bytes() + "F1,taf-dtt,B,2025-02-01,worker,Zo\xeb,4\n".encode("cp1252")
    )
    assert not isinstance(read_files([latin]).files[0], StreamedFile)


def test_streamed_import_stores_what_a_whole_one_does(families, monkeypatch, tmp_path):
    streamed(monkeypatch)
    report = import_files(families, [scores_file(tmp_path)], today=TODAY)
    assert report.ok, report.problems
    assert report.counts["assessments"] == {"new": 3, "unchanged": 0, "replaced": 0}
    assert report.counts["scores"] == {"new": 5, "unchanged": 0, "replaced": 0}
    after = snapshot(families)
    scores = sorted(row[:7] for row in after["scores"])
    assert scores == [
        ["F1", "taf-dtt", "baseline", "2025-02-01", "worker", "general_health", "3"],
        ["F1", "taf-dtt", "baseline", "2025-02-01", "worker", "housing", "4"],
        ["F1", "taf-dtt", "review", "2025-03-01", "worker", "general_health", "NA"],
        ["F1", "taf-dtt", "review", "2025-03-01", "worker", "housing", "2"],
        ["F2", "family-outcomes-10", "baseline", "2025-02-03", "joint", "wellbeing", "3"],
    ]
    # Again, streamed and whole: every row is already stored.
    for way in (streamed, whole):
        way(monkeypatch)
        again = import_files(families, [scores_file(tmp_path)], today=TODAY)
        assert again.counts["scores"] == {"new": 0, "unchanged": 5, "replaced": 0}
        assert not again.changed_anything
    assert snapshot(families) == after


def test_problems_across_chunks_are_those_of_the_whole_file(families, monkeypatch, tmp_path):
    rows = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],  # 2
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "general_health", "3"],  # 3
        ["F1", "taf-dtt", "R1", "2025-01-20", "worker", "housing", "2"],  # 4 before baseline
        ["F9", "taf-dtt", "B", "2025-02-01", "worker", "housing", "2"],  # 5 unknown family
        ["F2", "taf-dtt", "B", "2025-02-03", "joint", "housing", "3"],  # 6
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],  # 7 same again: fine
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "5"],  # 8 conflicts with 2
        ["F1", "taf-dtt", "R1", "2025-02-01", "worker", "physical_development", "3"],  # 9
        ["F2", "taf-dtt", "B", "2025-04-03", "joint", "housing", "3"],  # 10 second baseline
    ]
    paths = [scores_file(tmp_path, rows)]
    before = snapshot(families)
    for chunk in (1, 2, 3):
        eager, chunked = both_ways(families, monkeypatch, paths)
        streamed(monkeypatch, chunk)
        chunked = import_files(families, paths, today=TODAY)
        assert lines_of(chunked) == lines_of(eager)
        assert chunked.notices == eager.notices
    assert sorted(p.line for p in eager.errors) == [4, 5, 6, 8, 9, 10]
    messages = "\n".join(lines_of(eager))
    assert "scores.csv:8: score: 5 conflicts with 4 for the same domain score on line 2" in messages
    assert "scores.csv:9: occasion: review conflicts with baseline" in messages
    assert snapshot(families) == before


def test_rows_wrong_in_themselves_are_all_that_is_said(families, monkeypatch, tmp_path):
    """As when the file is read whole: a row wrong in itself stops the comparing, so the
    problems are reading's, in every chunk, and no more."""
    rows = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"],
        ["F9", "taf-dtt", "B", "2025-02-01", "worker", "housing", "2"],  # unknown: unsaid
        ["F2", "taf-dtt", "B", "2025-02-03", "joint", "housing", "9"],  # 4 off the scale
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "5"],  # conflict: unsaid
        ["F2", "taf-dtt", "B", "2030-01-01", "joint", "housing", "3"],  # 6 in the future
    ]
    paths = [families_file(tmp_path), scores_file(tmp_path, rows)]
    eager, chunked = both_ways(families, monkeypatch, paths)
    # The same problems; a streamed file says them chunk by chunk, not column by column.
    assert lines_of(chunked) == lines_of(eager)
    assert sorted(p.line for p in eager.errors) == [4, 6]


def test_an_error_in_the_last_chunk_writes_nothing(families, monkeypatch, tmp_path):
    rows = [
        [f"F{1 + n % 2}", "taf-dtt", "B", "2025-02-03", "joint", d, "3"]
        for n, d in enumerate(
            ["housing", "income_employment_finance", "general_health", "physical_development"]
        )
    ]
    rows.append(["F1", "taf-dtt", "B", "2025-02-03", "joint", "social_community_links", "x"])
    before = snapshot(families)
    streamed(monkeypatch)
    report = import_files(families, [scores_file(tmp_path, rows)], today=TODAY)
    assert [str(p) for p in report.errors] == [
        "scores.csv:6: score: 'x' is not a number (leave it blank or write NA if not scored)"
    ]
    assert snapshot(families) == before


def test_replacing_across_chunks_matches_a_whole_replace(families, monkeypatch, tmp_path):
    streamed(monkeypatch)
    assert import_files(families, [scores_file(tmp_path)], today=TODAY).ok
    changed = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "5"],
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "general_health", "3"],
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "income_employment_finance", "2"],
        ["F1", "taf-dtt", "baseline", "2025-03-01", "worker", "housing", "1"],
        ["F1", "taf-dtt", "R1", "2025-03-01", "worker", "general_health", "NA"],
    ]
    paths = [scores_file(tmp_path, changed)]
    refused_whole, refused_streamed = both_ways(families, monkeypatch, paths)
    assert lines_of(refused_streamed) == lines_of(refused_whole)
    # 5 for 4 and 1 for 2; the review made a baseline (a value, a fork, and line 6 disagreeing).
    assert refused_whole.error_count == 5
    dry_whole, dry_streamed = both_ways(families, monkeypatch, paths, replace=True, dry_run=True)
    assert dry_streamed.counts == dry_whole.counts
    assert lines_of(dry_streamed) == lines_of(dry_whole)

    changed[3][2] = "R1"  # keep the review a review; change its score
    streamed(monkeypatch)
    report = import_files(families, [scores_file(tmp_path, changed)], today=TODAY, replace=True)
    assert report.ok, report.problems
    assert report.counts["scores"] == {"new": 1, "unchanged": 2, "replaced": 2}
    with families.connect() as connection:
        versions = dict(
            connection.execute(sa.select(Assessment.assessed_on, Assessment.version)).all()
        )
        changes = connection.execute(
            sa.select(AuditLog.entity_id, AuditLog.before, AuditLog.after).where(
                AuditLog.entity == "domain score"
            )
        ).all()
    # Each changed assessment moves on one version, however many chunks touched it.
    assert versions[date(2025, 2, 1)] == 2 and versions[date(2025, 3, 1)] == 2
    assert versions[date(2025, 2, 3)] == 1
    assert sorted(entity for entity, _, _ in changes) == [
        "taf-dtt · 2025-02-01 · worker · housing",
        "taf-dtt · 2025-03-01 · worker · housing",
    ]


def test_lines_stay_right_past_blank_lines_and_cells_over_lines(families, monkeypatch, tmp_path):
    header = [*SCORE_HEADER, "note"]
    rows = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4", "first\nsecond\nthird"],
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "income_employment_finance", "4", ""],
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "general_health", "4", 'a "quoted"\nline'],
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", "social_community_links", "four", ""],
    ]
    path = write_csv(tmp_path / "scores.csv", header, rows)
    text = path.read_bytes().decode()
    path.write_text(
        text.replace(
            "\r\nF1,taf-dtt,B,2025-02-01,worker,income_employment_finance",
            "\r\n\r\nF1,taf-dtt,B,2025-02-01,worker,income_employment_finance",
        )
    )
    for chunk in (1, 2, 3):
        eager, chunked = both_ways(families, monkeypatch, [path])
        streamed(monkeypatch, chunk)
        chunked = import_files(families, [path], today=TODAY)
        assert lines_of(chunked) == lines_of(eager)
    assert [p.line for p in eager.errors] == [9]


def test_a_broken_row_in_a_later_chunk_is_named_at_its_line(families, monkeypatch, tmp_path):
    rows = [
        ["F1", "taf-dtt", "B", "2025-02-01", "worker", d, "4"]
        for d in ("housing", "income_employment_finance")
    ]
    rows += [["F1", "taf-dtt", "B", "2025-02-01", "worker", "wellbeing", "4", "x", "y"]]
    paths = [scores_file(tmp_path, rows)]
    eager, chunked = both_ways(families, monkeypatch, paths)
    expected = "scores.csv:4: -: this row has 9 values but the header has 7 columns"
    assert [str(p) for p in eager.errors] == [expected]
    assert [str(p) for p in chunked.errors] == [expected]


def test_seen_keys_find_what_was_added_across_merged_runs():
    seen = SeenKeys("line")
    import numpy as np

    for start in range(0, 1000, 7):
        keys = np.arange(start, min(start + 7, 1000), dtype=np.int64)[::-1] * 3
        seen.add(keys, line=keys + 1)
    assert len(seen.runs) < 12 and len(seen) == 1000
    found, payload = seen.find(np.array([0, 3, 4, 2997, 3000], dtype=np.int64))
    assert found.tolist() == [True, True, False, True, False]
    assert payload["line"][found].tolist() == [1, 4, 2998]
