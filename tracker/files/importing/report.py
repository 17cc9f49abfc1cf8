"""What an import found and did: every problem, the counts per file kind, and both as a
table and in plain words for the page and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tracker.files.tabular import Problem


@dataclass
class ImportReport:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, kind: str, outcome: str, number: int) -> None:
        self.counts.setdefault(kind, {"new": 0, "unchanged": 0, "replaced": 0})
        self.counts[kind][outcome] = self.counts[kind].get(outcome, 0) + int(number)

    @property
    def changed_anything(self) -> bool:
        return any(c.get("new", 0) or c.get("replaced", 0) for c in self.counts.values())


def problem_table(report: ImportReport) -> pd.DataFrame:
    """Every problem as a row: file, row, column, value and what is wrong."""
    return pd.DataFrame(
        [
            {
                "File": p.file,
                "Row": p.line,
                "Column": p.column,
                "Value": p.value,
                "Problem": p.message,
                "Severity": p.severity,
            }
            for p in report.problems
        ],
        columns=["File", "Row", "Column", "Value", "Problem", "Severity"],
    )


def summary_lines(report: ImportReport) -> list[str]:
    """What an import did (or would do), in plain words."""
    counts = report.counts
    new_families = counts.get("families", {}).get("new", 0)
    new_assessments = counts.get("assessments", {}).get("new", 0)
    unchanged = sum(c.get("unchanged", 0) for key, c in counts.items() if key != "assessments")
    replaced = sum(c.get("replaced", 0) for key, c in counts.items() if key != "assessments")
    added = sum(c.get("new", 0) for key, c in counts.items() if key != "assessments")
    return [
        f"{new_families} new families",
        f"{new_assessments} new assessments",
        f"{added} new rows in all",
        f"{unchanged} rows already stored and unchanged",
        f"{replaced} stored values replaced",
    ]
