"""How scores read on the scoring form: each point's name, a blank, a change, the tables.

The form and its tests agree on these words because they are made in one place: a
blank is "Not scored" ("None" is a point on the TAF scale), a whole-number change
reads "+2", not "+2.0", and a half point keeps its ".5".
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Domain, Instrument
from tracker.records.assessments import StoredAssessment, big_changes

NOT_SCORED = "Not scored"
NOT_APPLICABLE = "N/A"


def number(value: float) -> str:
    """A score as people write it: 4, 2.5."""
    return f"{value:g}"


def point_names(instrument: Instrument) -> dict[float, str]:
    """Each point's button label: its number and its band's name ("1 None").

    Where a band spans several points (a star's stages) only its first point carries
    the name, so that eleven buttons still fit a tablet's width.
    """
    names = {}
    for point in instrument.points:
        band = instrument.band_for(point)
        first = abs(point - band.min) < 1e-9
        names[point] = f"{number(point)} {band.label}" if first else number(point)
    return names


def point_meaning(instrument: Instrument, domain: Domain, value: float) -> str:
    """What a score means for this area, shown under its scale once chosen."""
    index = instrument.band_index(value)
    band, description = instrument.bands[index], domain.descriptions[index]
    return f"{number(value)} · {band.label}: {description}"


def score_text(values: dict[str, float | None], key: str) -> str:
    """One area's score as a table cell: the number, N/A, or Not scored."""
    if key not in values:
        return NOT_SCORED
    value = values[key]
    return NOT_APPLICABLE if value is None else number(value)


def change_text(before: float | None, after: float | None, instrument: Instrument) -> str:
    """The change as "+2" (better), "−1" (worse) or "0"; blank when either is missing."""
    if before is None or after is None:
        return ""
    change = (after - before) * instrument.direction
    if abs(change) < 1e-9:
        return "0"
    return f"{change:+g}".replace("-", "−")


def comparison_table(
    previous: StoredAssessment,
    values: dict[str, float | None],
    instrument: Instrument,
    confirmed: frozenset[str] | set[str],
) -> pd.DataFrame:
    """Every area last time and now, as the form shows it before saving."""
    flagged = big_changes(previous.values, values, instrument)

    def change(key: str) -> str:
        text = change_text(previous.values.get(key), values.get(key), instrument)
        if key in flagged:
            text += " ✓ confirmed" if key in confirmed else " ⚠ confirm above"
        return text

    return pd.DataFrame(
        {
            "Area": [d.label for d in instrument.domains],
            f"Last time ({previous.assessed_on:%d %b %Y})": [
                score_text(previous.values, d.key) for d in instrument.domains
            ],
            "Now": [score_text(values, d.key) for d in instrument.domains],
            "Change (+ is better)": [change(d.key) for d in instrument.domains],
        }
    )


def assessment_table(assessment: StoredAssessment, instrument: Instrument) -> pd.DataFrame:
    """A saved assessment, area by area, with each score's name and any notes."""

    def score(key: str) -> str:
        text = score_text(assessment.values, key)
        value = assessment.values.get(key)
        return text if value is None else f"{text} {instrument.band_for(value).label}"

    table = pd.DataFrame(
        {
            "Area": [d.label for d in instrument.domains],
            "Score": [score(d.key) for d in instrument.domains],
        }
    )
    if assessment.notes:
        table["Note"] = [assessment.notes.get(d.key, "") for d in instrument.domains]
    return table
