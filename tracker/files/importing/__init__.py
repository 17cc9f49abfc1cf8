"""Importing the canonical files, all or nothing.

Every file is read and checked first; then, inside one write transaction,
the rows are compared with what is stored. Identical rows are left alone,
new rows are added, and a row that would change a stored value is an error
unless the caller asked to replace. If anything at all is wrong, nothing is
written and every problem is reported as ``file:line: column: message``.
"""

from tracker.files.importing.reading import ReadFiles, read_files
from tracker.files.importing.report import (
    ImportReport,
    problem_table,
    summary_lines,
    unlisted_line,
    validation_report_csv,
)
from tracker.files.importing.run import import_files, import_read

__all__ = [
    "ImportReport",
    "ReadFiles",
    "import_files",
    "import_read",
    "problem_table",
    "read_files",
    "summary_lines",
    "unlisted_line",
    "validation_report_csv",
]
