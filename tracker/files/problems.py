"""What is wrong with an input file, located as ``file:line: column: message``, and a list of
them that keeps the first ones, up to a limit, and counts the rest.

A file with a million bad rows costs a count, not a million messages: nobody reads past
the first screenful, and holding them all once took gigabytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

Row = TypeVar("Row")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as ``file:line: column: message``."""

    file: str
    line: int
    column: str
    message: str
    severity: str = "error"
    value: str = ""

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}: {self.column}: {prefix}{self.message}"


class FileRejected(Exception):
    """The file cannot be read at all; ``problem`` says where and why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class Problems:
    """Every problem counted by severity; the first ``limit`` kept, in the order found."""

    def __init__(self, limit: int):
        self.limit = limit
        self.kept: list[Problem] = []
        self.counts: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    def __len__(self) -> int:
        """How many were found, kept or not."""
        return sum(self.counts.values())

    @property
    def unlisted(self) -> int:
        """How many were found past the limit, counted but not kept."""
        return len(self) - len(self.kept)

    def append(self, problem: Problem) -> None:
        self.counts[problem.severity] += 1
        if len(self.kept) < self.limit:
            self.kept.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def each(
        self, rows: Iterable[Row], count: int, describe: Callable[[Row], Problem], severity: str
    ) -> None:
        """One problem per row of ``count`` rows, described only while there is room."""
        room = max(self.limit - len(self.kept), 0)
        self.kept.extend(describe(row) for row in islice(rows, room))
        self.counts[severity] += count

    def copy(self) -> Problems:
        twin = Problems(self.limit)
        twin.kept = list(self.kept)
        twin.counts = Counter(self.counts)
        return twin
