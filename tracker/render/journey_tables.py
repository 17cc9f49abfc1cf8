"""A family's change table as the journey page shows it: words, not raw numbers.

The scores read as on the scoring form (``tracker.render.scoring``): "Not scored" for a
blank, "N/A" where the area does not apply, 4 rather than 4.0. The table that always
shows is narrow enough for a tablet (the area, where the family started, where they are
now, the change); every assessment side by side is a second, wider table. The family's
own view is named apart, and marked where the family sent it by a self-rating link.
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.measures.journey import Journey
from tracker.render.scoring import change_text, score_text

# How the journey marks an assessment that came from a self-rating link, not through staff.
SELF_COMPLETED = "Sent by the family from their own phone"


def family_view_names(journey: Journey) -> dict[int, str]:
    """Each of the family's own assessments (a journey of rater "family") as the star names
    it: "Family's view: Baseline (03 Mar 2026)"."""
    return {
        int(step.assessment_id): f"Family's view: {step.label} ({step.assessed_on:%d %b %Y})"
        for step in journey.timeline.itertuples(index=False)
    }


def self_completed_lines(scores: pd.DataFrame, names: dict[int, str]) -> list[str]:
    """A line for each named assessment the family sent themselves, in the names' order."""
    sent = set(scores.loc[scores["self_completed"].astype(bool), "assessment_id"])
    return [f"{name}. {SELF_COMPLETED}." for key, name in names.items() if key in sent]


def _scores(journey: Journey, assessment_id: int, instrument: Instrument) -> list[str]:
    values = journey.values.get(assessment_id, {})
    return [score_text(values, domain.key) for domain in instrument.domains]


def change_table(journey: Journey, instrument: Instrument) -> pd.DataFrame:
    """Area, the baseline, the latest score and the change in words (and, on a star,
    the stage now); only the baseline while no review has been recorded."""
    table = pd.DataFrame({"Area": [domain.label for domain in instrument.domains]})
    if journey.baseline_id is None:
        return table
    table[journey.columns[journey.baseline_id]] = _scores(journey, journey.baseline_id, instrument)
    if journey.latest_id is None:
        return table
    table[journey.columns[journey.latest_id]] = _scores(journey, journey.latest_id, instrument)
    start = journey.values.get(journey.baseline_id, {})
    end = journey.values.get(journey.latest_id, {})
    table["Change"] = [
        f"{text} {direction}"
        if (text := change_text(start.get(key), end.get(key), instrument))
        else ""
        for key, direction in zip(instrument.domain_keys, journey.table["Direction"], strict=True)
    ]
    if "Stage now" in journey.table:
        table["Stage now"] = journey.table["Stage now"].tolist()
    return table


def every_assessment(journey: Journey, instrument: Instrument) -> pd.DataFrame:
    """Area and each assessment's scores, oldest first, as text."""
    table = pd.DataFrame({"Area": [domain.label for domain in instrument.domains]})
    for assessment_id, column in journey.columns.items():
        table[column] = _scores(journey, assessment_id, instrument)
    return table
