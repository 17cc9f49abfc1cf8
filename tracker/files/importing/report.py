"""What an import found and did: the problems (the first few hundred listed, every one
counted), the counts per file kind, and both as a table and in plain words for the page,
the command line and the validation report."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tracker.files.formula_guard import spreadsheet_csv
from tracker.files.problems import Problem, Problems
from tracker.store.settings import get_settings


def new_problems() -> Problems:
    """An empty list of problems, listing at most the configured number."""
    return Problems(get_settings().import_max_problems)


@dataclass
class ImportReport:
    problems: Problems = field(default_factory=new_problems)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: bool = False
    # What to know before importing, in plain words: assessments joining stored journeys,
    # or how many rows would fork a history.
    notices: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The errors listed; ``error_count`` says how many there are in all."""
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity != "error"]

    @property
    def error_count(self) -> int:
        return self.problems.counts["error"]

    @property
    def ok(self) -> bool:
        return not self.error_count

    def count(self, kind: str, outcome: str, number: int) -> None:
        self.counts.setdefault(kind, {"new": 0, "unchanged": 0, "replaced": 0})
        self.counts[kind][outcome] = self.counts[kind].get(outcome, 0) + int(number)

    @property
    def changed_anything(self) -> bool:
        return any(c.get("new", 0) or c.get("replaced", 0) for c in self.counts.values())


def unlisted_line(report: ImportReport) -> str | None:
    """ "and 2,900 more problems", when some were counted but not listed."""
    more = report.problems.unlisted
    if not more:
        return None
    return f"and {more:,} more problems, not listed (the first {report.problems.limit:,} are)"


PROBLEM_COLUMNS = ["File", "Row", "Column", "Value", "Problem", "Severity"]


def problem_table(report: ImportReport) -> pd.DataFrame:
    """Every problem listed as a row: file, row, column, value and what is wrong; then, if
    some were not listed, a last row that counts them."""
    rows = [
        {
            "File": p.file,
            "Row": p.line,
            "Column": p.column,
            "Value": p.value,
            "Problem": p.message,
            "Severity": p.severity,
        }
        for p in report.problems
    ]
    more = unlisted_line(report)
    if more:
        rows.append({"File": "", "Row": None, "Column": "", "Value": "", "Problem": more})
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS).astype({"Row": "Int64"})


def validation_report_csv(report: ImportReport) -> bytes:
    """The problem table as CSV for a spreadsheet, through the formula guard: a value
    echoed from an uploaded file must not run as a formula when the report is opened."""
    return spreadsheet_csv(problem_table(report))


def summary_lines(report: ImportReport) -> list[str]:
    """What an import did (or would do), in plain words."""
    counts = report.counts
    new_families = counts.get("families", {}).get("new", 0)
    new_assessments = counts.get("assessments", {}).get("new", 0)
    unchanged = sum(c.get("unchanged", 0) for key, c in counts.items() if key != "assessments")
    replaced = sum(c.get("replaced", 0) for key, c in counts.items() if key != "assessments")
    added = sum(c.get("new", 0) for key, c in counts.items() if key != "assessments")
    return [
        _counted(new_families, "new family", "new families"),
        _counted(new_assessments, "new assessment", "new assessments"),
        _counted(added, "new row", "new rows") + " in all",
        _counted(unchanged, "row", "rows") + " already stored and unchanged",
        _counted(replaced, "stored value", "stored values") + " replaced",
    ]


def _counted(count: int, one: str, many: str) -> str:
    """ "1 new family", "2 new families": a count with its noun agreeing."""
    return f"{count} {one if count == 1 else many}"
