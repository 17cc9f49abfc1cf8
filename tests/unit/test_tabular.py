"""Reading CSV text: every row keeps the line it starts on in the file, and a row too wide
for its header, or a heading that appears twice, is refused with its line, never with a
traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tracker.files.problems import FileRejected, Problem, Problems
from tracker.files.tabular import read_tables

HEADER = "family_ref,goal,status\n"


def csv_file(folder: Path, text: str, name: str = "goals.csv") -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def zipped(folder: Path, text: str) -> Path:
    path = folder / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("goals.csv", text)
    return path


LAYOUTS = [
    pytest.param(HEADER + "F1,a,open\nF2,b,open\n", [2, 3], id="plain"),
    pytest.param(HEADER + "F1,a,open\n\nF2,b,open\n", [2, 4], id="a-blank-line"),
    pytest.param(HEADER + "F1,a,open\n \t \n\n\nF2,b,open\n\n", [2, 6], id="blank-lines"),
    pytest.param("\n\n" + HEADER + "F1,a,open\n", [4], id="blank-lines-before-the-header"),
    pytest.param(
        HEADER.replace("\n", "\r\n") + "F1,a,open\r\n\r\nF2,b,open\r\n", [2, 4], id="crlf"
    ),
    pytest.param(HEADER.replace("\n", "\r") + "F1,a,open\r\rF2,b,open\r", [2, 4], id="cr"),
    pytest.param(HEADER + 'F1,"two\nlines",open\nF2,b,open\n', [2, 4], id="a-two-line-cell"),
    pytest.param(
        HEADER + 'F1,"a gap\n\nin it",open\n\nF2,"x\r\ny",open\nF3,c,open\n',
        [2, 6, 8],
        id="cells-over-blank-lines",
    ),
    pytest.param(
        'family_ref,"goal\nin two lines",status\nF1,a,open\n', [3], id="a-two-line-header"
    ),
    pytest.param(HEADER + "\n \n", [], id="no-rows-only-blank-lines"),
]


@pytest.mark.parametrize(("text", "lines"), LAYOUTS)
def test_each_row_keeps_its_line_in_a_csv_file(tmp_path, text, lines):
    [sheet], _warnings = read_tables(csv_file(tmp_path, text), set())
    assert sheet.lines.tolist() == lines


@pytest.mark.parametrize(("text", "lines"), LAYOUTS)
def test_each_row_keeps_its_line_in_a_zipped_csv(tmp_path, text, lines):
    [sheet], _warnings = read_tables(zipped(tmp_path, text), set())
    assert sheet.lines.tolist() == lines


def test_cells_are_read_whole_across_lines(tmp_path):
    text = HEADER + 'F1,"a gap\n\nin it",open\n\nF2,b,open\n'
    [sheet], _warnings = read_tables(csv_file(tmp_path, text), set())
    assert sheet.frame["goal"].tolist() == ["a gap\n\nin it", "b"]


WIDE_ROWS = [
    pytest.param(HEADER + "F1,a,open,extra\nF2,b,open\n", 2, 4, id="the-first-row"),
    pytest.param(HEADER + "F1,a,open\n\nF2,b,open,x,y\n", 4, 5, id="a-later-row"),
    pytest.param(HEADER + 'F1,"two\nlines",open\nF2,b,open,\n', 4, 4, id="after-a-two-line-cell"),
]


@pytest.mark.parametrize(("text", "line", "values"), WIDE_ROWS)
def test_a_row_wider_than_its_header_is_refused_with_its_line(tmp_path, text, line, values):
    for path in (csv_file(tmp_path, text), zipped(tmp_path, text)):
        with pytest.raises(FileRejected) as refused:
            read_tables(path, set())
        problem = refused.value.problem
        assert problem.file.startswith(path.name)
        assert (problem.line, problem.column) == (line, "-")
        assert problem.message == f"this row has {values} values but the header has 3 columns"


@pytest.mark.parametrize(
    "header",
    ["family_ref,goal,goal,status\n", "family_ref,Goal,goal,status\n"],
    ids=["the-same-heading", "the-same-once-normalised"],
)
def test_a_heading_that_appears_twice_is_refused(tmp_path, header):
    for path in (csv_file(tmp_path, header + "F1,a,b,open\n"), zipped(tmp_path, header)):
        with pytest.raises(FileRejected) as refused:
            read_tables(path, set())
        problem = refused.value.problem
        assert (problem.line, problem.column, problem.message) == (
            1,
            "goal",
            "this column appears twice",
        )


def test_a_blank_heading_is_kept_as_a_column_to_report_unused(tmp_path):
    [sheet], _warnings = read_tables(csv_file(tmp_path, "family_ref,,status\nF1,x,open\n"), set())
    assert sheet.frame.columns.tolist() == ["family_ref", "unnamed:_1", "status"]


def test_a_utf8_byte_order_mark_with_bytes_that_are_not_utf8_is_refused(tmp_path):
    path = tmp_path / "goals.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + "F1,Zoë,open\n".encode("cp1252"))
    with pytest.raises(FileRejected) as refused:
        read_tables(path, set())
    assert refused.value.problem.line == 2
    assert "mixes UTF-8" in refused.value.problem.message


def test_problems_past_the_limit_are_counted_by_severity_not_kept():
    problems = Problems(limit=3)
    problems.append(Problem("a.csv", 1, "-", "a warning", "warning"))
    problems.each(range(10), 10, lambda n: Problem("a.csv", n, "x", "bad"), "error")
    assert [p.line for p in problems] == [1, 0, 1]
    assert (len(problems), problems.unlisted) == (11, 8)
    assert problems.counts == {"warning": 1, "error": 10}
