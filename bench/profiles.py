"""``--profile DIR``: a pyinstrument profile of one run of each in-process step.

The profiled run is an extra one, after the step is timed, so the profiler's own cost
never enters a figure. Each step gets ``STEP.html`` (to open in a browser) and
``STEP.txt`` (the call tree as text, for notes and reviews).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def profiled(
    folder: Path | None,
    name: str,
    step: Callable[[], object],
    *,
    before: Callable[[], None] | None = None,
) -> None:
    """Run ``step`` once under pyinstrument and write its profile to ``folder``; nothing
    without a folder. ``before`` runs first, unprofiled."""
    if folder is None:
        return
    from pyinstrument import Profiler

    if before is not None:
        before()
    profiler = Profiler()
    profiler.start()
    try:
        step()
    finally:
        profiler.stop()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.html").write_text(profiler.output_html())
    (folder / f"{name}.txt").write_text(profiler.output_text(unicode=True, color=False))
