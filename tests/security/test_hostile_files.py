"""Hostile files (issue 17, items 14 to 20): zip bombs, workbooks that lie about their size,
floods of problems, control characters, mixed encodings, duplicate headings and formulas with
no value. Each is refused with a message naming the file and the limit, in bounded memory,
and nothing is stored."""

from __future__ import annotations

import csv
import io
import re
import struct
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from tests.unit.helpers import FAMILY_HEADER, SCORE_HEADER, families_file, snapshot, write_csv
from tracker.files.importing import import_files, read_files, validation_report_csv
from tracker.files.tabular import Upload
from tracker.instruments.loader import get_instrument

TODAY = date(2025, 6, 1)
SCORE_ROW = "F1,taf-dtt,B,2025-02-01,worker,housing,4\n"
MB = 1024 * 1024


def refusals(report) -> list[str]:
    return [str(problem) for problem in report.errors]


def peak_bytes_while(action) -> tuple[object, int]:
    """What ``action`` returns, and the most memory Python held at once while it ran."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def zip_of(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def declare_size(path: Path, declared: int) -> None:
    """Make every header of a one-member zip claim ``declared`` unpacked bytes."""
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))


def scores_workbook(path: Path, rows: list[list], header: list | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Scores"
    sheet.append(header or SCORE_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rewrite_member(path: Path, member: str, change) -> None:
    """Rewrite one member of a zip (a workbook's sheet XML, say) through ``change``."""
    with zipfile.ZipFile(path) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    if change is None:
        del contents[member]
    else:
        contents[member] = change(contents[member])
    zip_of(path, contents)


# -- 14. zip bombs


def test_a_zip_bigger_than_the_unpacked_limit_is_refused_before_it_is_unpacked(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("TRACKER_ZIP_MAX_UNPACKED_MB", "1")
    # Random hex barely compresses, so the size limit, not the ratio, is what stops it.
    body = (",".join(SCORE_HEADER) + "\n").encode()
    noise = b"".join(f"{n:08x}{n * 7919:016x}\n".encode() for n in range(160_000))
    path = zip_of(tmp_path / "export.zip", {"scores.csv": body + noise})
    read, peak = peak_bytes_while(lambda: read_files([path], today=TODAY))
    [problem] = refusals(read.report)
    assert problem.startswith("export.zip:")
    assert "1 MB" in problem and "TRACKER_ZIP_MAX_UNPACKED_MB" in problem
    # Refused from the sizes the zip declares: nothing near the cap was unpacked.
    assert peak < path.stat().st_size + MB // 2


def test_a_zip_bomb_is_refused_by_its_compression_ratio_before_it_is_unpacked(tmp_path):
    rows = (",".join(SCORE_HEADER) + "\n" + SCORE_ROW * 300_000).encode()
    path = zip_of(tmp_path / "bomb.zip", {"scores.csv": rows})
    assert len(rows) > 10 * MB and path.stat().st_size < 100_000
    read, peak = peak_bytes_while(lambda: read_files([path], today=TODAY))
    [problem] = refusals(read.report)
    assert problem.startswith("bomb.zip[scores.csv]:")
    assert "100 times" in problem and "TRACKER_ZIP_MAX_RATIO" in problem
    assert peak < MB


def test_a_zip_of_too_many_files_is_refused_before_any_is_read(tmp_path):
    members = {f"part{n}.csv": ",".join(SCORE_HEADER) + "\n" + SCORE_ROW for n in range(201)}
    path = zip_of(tmp_path / "many.zip", members)
    report = read_files([path], today=TODAY).report
    assert refusals(report) == [
        "many.zip:0: -: the zip holds 201 files, more than the limit of 200 "
        "(TRACKER_ZIP_MAX_MEMBERS)"
    ]


def test_a_zip_whose_sizes_lie_is_refused_without_unpacking_it(engine, tmp_path):
    """The headers claim a small file; the real bytes are counted as they are unpacked."""
    before = snapshot(engine)
    path = zip_of(tmp_path / "liar.zip", {"scores.csv": b"\0" * (40 * MB)})
    declare_size(path, 1000)
    read, peak = peak_bytes_while(lambda: read_files([path], today=TODAY))
    [problem] = refusals(read.report)
    assert problem.startswith("liar.zip[scores.csv]:") and "cannot be read" in problem
    assert peak < MB
    assert not import_files(engine, [path], today=TODAY).ok  # a clear refusal, no traceback
    assert snapshot(engine) == before


def test_a_workbook_is_held_to_the_zip_limits_too(tmp_path):
    path = scores_workbook(tmp_path / "book.xlsx", [["F1", "taf-dtt", "B", "2025-02-01"]])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (20 * MB))
    read, peak = peak_bytes_while(lambda: read_files([path], today=TODAY))
    [problem] = refusals(read.report)
    assert problem.startswith("book.xlsx[xl/media/padding.bin]:")
    assert "TRACKER_ZIP_MAX_RATIO" in problem
    assert peak < 2 * MB


# -- 15. workbooks read by their real content


def declare_every_cell(xml: bytes) -> bytes:
    """Claim the whole grid, A1:XFD1048576, and end on an empty row at the very bottom."""
    xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
    return xml.replace(b"</sheetData>", b'<row r="1048576" /></sheetData>')


def test_a_workbook_declaring_every_cell_is_read_by_what_it_holds(tmp_path):
    row = ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", 4]
    path = scores_workbook(tmp_path / "huge.xlsx", [row])
    rewrite_member(path, "xl/worksheets/sheet1.xml", declare_every_cell)
    assert path.stat().st_size < 10_000
    read, peak = peak_bytes_while(lambda: read_files([path], today=TODAY))
    assert read.report.ok, refusals(read.report)
    [parsed] = read.files
    assert parsed.rows["line"].tolist() == [2]
    assert peak < 5 * MB


def test_a_sheet_with_more_rows_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_IMPORT_MAX_ROWS", "50")
    row = ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", 4]
    path = scores_workbook(tmp_path / "long.xlsx", [row] * 60)
    assert refusals(read_files([path], today=TODAY).report) == [
        "long.xlsx[Scores]:52: -: the sheet has more than the limit of 50 rows "
        "(TRACKER_IMPORT_MAX_ROWS)"
    ]


@pytest.mark.parametrize(
    ("member", "change"),
    [
        pytest.param(
            "xl/worksheets/sheet1.xml",
            lambda xml: xml.replace(b"</sheetData>", b"</sheetDat>"),
            id="broken-sheet-xml",
        ),
        pytest.param("xl/worksheets/sheet1.xml", None, id="a-missing-sheet"),
        pytest.param("xl/styles.xml", lambda xml: xml[: len(xml) // 2], id="cut-styles"),
        pytest.param("xl/workbook.xml", lambda xml: b"<workbook", id="broken-workbook-xml"),
    ],
)
def test_a_broken_workbook_is_a_plain_refusal_not_a_traceback(engine, tmp_path, member, change):
    before = snapshot(engine)
    row = ["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", 4]
    path = scores_workbook(tmp_path / "broken.xlsx", [row])
    rewrite_member(path, member, change)
    report = import_files(engine, [path], today=TODAY)
    [problem] = refusals(report)
    assert problem.startswith("broken.xlsx") and "cannot be read" in problem
    assert snapshot(engine) == before


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_table_with_more_columns_than_the_limit_is_refused(tmp_path, suffix):
    header = [*SCORE_HEADER, *(f"extra {n}" for n in range(250))]
    path = tmp_path / f"wide{suffix}"
    if suffix == ".csv":
        write_csv(path, header, [])
    else:
        scores_workbook(path, [], header)
    [problem] = refusals(read_files([path], today=TODAY).report)
    assert problem.startswith(f"wide{suffix}")
    assert "more than the limit of 200 columns (TRACKER_IMPORT_MAX_COLUMNS)" in problem


# -- 16. a flood of problems


def test_problems_past_the_limit_are_counted_not_listed(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_IMPORT_MAX_PROBLEMS", "100")
    rows = [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "nine"]] * 3000
    path = write_csv(tmp_path / "scores.csv", SCORE_HEADER, rows)
    report = import_files(engine, [families_file(tmp_path), path], today=TODAY)
    assert not report.ok
    assert len(list(report.problems)) == 100
    assert report.error_count == 3000
    table = validation_report_csv(report).decode("utf-8-sig")
    assert table.count("\n") == 1 + 100 + 1
    assert "and 2,900 more problems" in table.splitlines()[-1]


# -- 17. control characters


@pytest.mark.parametrize("character", ["\0", "\x0b", "\x1b", "\x7f"])
def test_control_characters_are_refused_with_the_line_and_field(engine, tmp_path, character):
    before = snapshot(engine)
    path = families_file(
        tmp_path,
        [
            ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"],
            ["F2", f"River{character}side", "tier 3", "Bob Worker", "GP", "2025-01-10"],
        ],
    )
    report = import_files(engine, [path], today=TODAY)
    [problem] = refusals(report)
    assert problem.startswith("families.csv:3: area: ")
    assert f"U+{ord(character):04X}" in problem
    assert snapshot(engine) == before


def test_tabs_and_line_breaks_inside_quoted_cells_are_kept(engine, tmp_path):
    import_files(engine, [families_file(tmp_path)], today=TODAY)
    path = tmp_path / "notes.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["family_ref", "written_on", "author", "note"])
        writer.writerow(["F1", "2025-03-01", "Ann", "first\tthen\r\nafter"])
    report = import_files(engine, [path], today=TODAY)
    assert report.ok, refusals(report)
    assert snapshot(engine)["notes"] == [["F1", "2025-03-01", "Ann", "first\tthen\r\nafter"]]


# -- 18. mixed encodings


def test_a_file_mixing_utf8_and_windows_1252_is_refused(engine, tmp_path):
    before = snapshot(engine)
    header = ",".join(FAMILY_HEADER) + "\n"
    utf8 = "F1,Zoë Court,tier 2,Ann,School,2025-01-06\n".encode()
    cp1252 = "F2,Zoë Court,tier 2,Ann,School,2025-01-06\n".encode("cp1252")
    path = tmp_path / "families.csv"
    path.write_bytes(header.encode() + utf8 + cp1252)
    report = import_files(engine, [path], today=TODAY)
    [problem] = refusals(report)
    assert problem.startswith("families.csv:3: -: ")
    assert "line 2" in problem and "UTF-8" in problem and "Windows-1252" in problem
    assert snapshot(engine) == before


def test_a_file_wholly_in_windows_1252_still_imports_with_a_warning(engine, tmp_path):
    path = tmp_path / "families.csv"
    text = ",".join(FAMILY_HEADER) + "\nF1,Zoë Court,tier 2,Zoë Ng,School,2025-01-06\n"
    path.write_bytes(text.encode("cp1252"))
    report = import_files(engine, [path], today=TODAY)
    assert report.ok and "Windows-1252" in str(report.warnings[0])
    assert snapshot(engine)["families"][0][1] == "Zoë Court"


# -- 19. duplicate headings and formulas with no value


def test_a_duplicate_heading_is_an_error(engine, tmp_path):
    path = tmp_path / "families.csv"
    path.write_text(
        ",".join([*FAMILY_HEADER, "area"]) + "\nF1,Northfield,tier 2,Ann,School,2025-01-06,X\n"
    )
    report = import_files(engine, [path], today=TODAY)
    assert refusals(report) == ["families.csv:1: area: this column appears twice"]
    assert snapshot(engine)["families"] == []


def test_a_formula_with_no_calculated_value_is_refused_naming_the_cell(engine, tmp_path):
    import_files(engine, [families_file(tmp_path)], today=TODAY)
    before = snapshot(engine)
    taf = get_instrument("taf-dtt")
    header = ["family_ref", "instrument", "occasion", "assessed_on", "rater"]
    header += [domain.label for domain in taf.domains[:2]]
    path = scores_workbook(
        tmp_path / "form.xlsx", [["F1", "taf-dtt", "B", "2025-02-01", "worker", 3, "=1+2"]], header
    )
    report = import_files(engine, [path], today=TODAY)
    [problem] = refusals(report)
    assert problem.startswith("form.xlsx[Scores]:2: ")
    assert "G2" in problem and "formula" in problem
    assert snapshot(engine) == before


def test_a_formula_whose_value_is_empty_text_is_a_blank_not_a_refusal(engine, tmp_path):
    """Excel saves =IF(…,"",…) with its empty result typed as text: a blank score."""
    import_files(engine, [families_file(tmp_path)], today=TODAY)
    taf = get_instrument("taf-dtt")
    header = ["family_ref", "instrument", "occasion", "assessed_on", "rater"]
    header += [domain.label for domain in taf.domains[:2]]
    path = scores_workbook(
        tmp_path / "form.xlsx", [["F1", "taf-dtt", "B", "2025-02-01", "worker", 3, '=""']], header
    )
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b'<c r="G2"><f>""</f><v /></c>', b'<c r="G2" t="str"><f>""</f><v></v></c>'
        ),
    )
    report = import_files(engine, [path], today=TODAY)
    assert report.ok, refusals(report)
    assert report.counts["scores"]["new"] == 2


# -- 10. the validation report goes through the formula guard


def test_the_validation_report_guards_formulas_echoed_from_the_file(engine, tmp_path):
    attack = '=HYPERLINK("http://x","y")'
    path = families_file(
        tmp_path, [["F1", "Northfield", attack, "Ann Worker", "School", "2025-01-06"]]
    )
    report = import_files(engine, [path], today=TODAY)
    assert not report.ok
    rows = list(csv.reader(io.StringIO(validation_report_csv(report).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert any(attack in cell for cell in cells)
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]


# -- 20. uploads read from memory, and held to a size


def test_an_upload_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_UPLOAD_MAX_MB", "1")
    data = (",".join(SCORE_HEADER) + "\n" + SCORE_ROW * 30_000).encode()
    assert len(data) > MB
    report = read_files([Upload("big.csv", data)], today=TODAY).report
    assert refusals(report) == [
        f"big.csv:0: -: the file is {len(data) / MB:.1f} MB, more than the limit of 1 MB "
        "(TRACKER_UPLOAD_MAX_MB)"
    ]
