"""How the benchmark measures: the median of repeated runs, and the process's peak memory.

One rule for every timed step, so the figures in docs/benchmarks.md compare: a
warm-up, then the median of five runs; a step that takes ten seconds or more is
timed once, as five more runs would add nothing but waiting.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable

RUNS = 5
REPEAT_BELOW_S = 10.0


def timed(step: Callable[[], object], *, before: Callable[[], None] | None = None) -> float:
    """Median seconds of five runs after a warm-up; the warm-up alone for slow steps.

    ``before`` runs ahead of every run, untimed (to empty a table or a cache).
    """

    def once() -> float:
        if before is not None:
            before()
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    return by_the_rule(once)


def by_the_rule(once: Callable[[], float]) -> float:
    """The rule itself, for a run that times itself (a child process, say): ``once`` runs
    and returns its seconds; a warm-up, then the median of five, or the warm-up alone."""
    first = once()
    if first >= REPEAT_BELOW_S:
        return first
    return statistics.median(once() for _ in range(RUNS))


def peak_rss_mb() -> float:
    """This process's peak resident memory (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
