"""Small-number suppression: a figure resting on fewer than ``min_group`` families is null.

Every cohort figure, table and chart passes through here before anyone sees it, so
no caller can leak a small group by forgetting to check (docs/metrics.md).
"""

from __future__ import annotations


def suppress_count(count: int, min_group: int) -> int | None:
    """A count of 1 to min_group-1 families could identify them; zero cannot."""
    return None if 0 < count < min_group else count


def suppress_figures(figures: dict, n: int, min_group: int, keep: tuple[str, ...] = ()) -> dict:
    """The figures as they are when ``n`` families is enough, else null but for ``keep``."""
    if n >= min_group:
        return figures
    return {key: (value if key in keep else None) for key, value in figures.items()}
