"""What a family's history of assessments may hold, so that it never forks.

Each day with a baseline starts a journey (as ``tracker.measures.scoring.journeys`` reads
them). A family has one journey per instrument until its case closes and it is re-referred;
then one more, from a baseline on or after the re-referral. Nothing is dated after the case
closed unless a re-referral reopened it. The scoring form and the importer both ask here,
so a history cannot fork whichever way it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.store.models import Assessment, Family

PAIR = ["family", "instrument"]
# The field each rule's problem belongs to.
BASELINE_FIELD, DATE_FIELD = "occasion", "assessed_on"
ORDINALS = {2: "second", 3: "third"}


def _day(value) -> str:
    return f"{value:%d %b %Y}"


def _days(values) -> str:
    shown = [_day(value) for value in sorted(values)]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _forks(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Every baseline of a family and instrument whose baseline days are more than one, or
    two with the second on or after the family's re-referral."""
    baselines = frame[frame["occasion"] == "baseline"]
    days = baselines.drop_duplicates([*PAIR, "day"]).sort_values("day")
    number = days.groupby(PAIR).cumcount()
    allowed = (number == 0) | (
        (number == 1) & days["re_referred_on"].notna() & (days["day"] >= days["re_referred_on"])
    )
    forked = days.loc[~allowed, PAIR].drop_duplicates()
    if forked.empty:
        return pd.DataFrame(columns=["field", "problem"])
    flagged = baselines.rename_axis("row").reset_index().merge(forked, on=PAIR).set_index("row")
    every_day = days.merge(forked, on=PAIR).groupby(PAIR)["day"].agg(list)

    def problem(row) -> str:
        all_days = every_day.loc[(row.family, row.instrument)]
        others = [day for day in all_days if day != row.day]
        which = ORDINALS.get(len(all_days), "another")
        text = (
            f"this would be a {which} baseline for {names.get(row.instrument, row.instrument)} "
            "beside the one"
            f"{'s' if len(others) > 1 else ''} on {_days(others)}: a family starts a new "
            "journey only once its case closed and it was re-referred"
        )
        if pd.notna(row.re_referred_on):
            text += (
                f" (this family was re-referred on {_day(row.re_referred_on)}: date a new "
                "journey's baseline on or after that)"
            )
        return text + "; otherwise record it as a review or correct the date"

    return pd.DataFrame(
        {"field": BASELINE_FIELD, "problem": [problem(row) for row in flagged.itertuples()]},
        index=flagged.index,
    )


def _after_closure(frame: pd.DataFrame) -> pd.DataFrame:
    """Every assessment dated after its family's closure and before any re-referral."""
    late = frame[
        frame["closed_on"].notna()
        & (frame["day"] > frame["closed_on"])
        & (frame["re_referred_on"].isna() | (frame["day"] < frame["re_referred_on"]))
    ]

    def problem(row) -> str:
        closed = _day(row.closed_on)
        if pd.isna(row.re_referred_on):
            return (
                f"the case closed on {closed} and no re-referral reopened it, so nothing "
                "can be dated after that"
            )
        return (
            f"the case closed on {closed} and the family was re-referred on "
            f"{_day(row.re_referred_on)}: nothing can be dated between the two"
        )

    return pd.DataFrame(
        {"field": DATE_FIELD, "problem": [problem(row) for row in late.itertuples()]},
        index=late.index,
    )


def history_breaks(
    assessments: pd.DataFrame, families: pd.DataFrame, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The assessments that would fork a family's history, with the ``field`` at fault and
    the ``problem`` in plain words; indexed as ``assessments`` (a row may break both rules).

    ``assessments`` has ``family, instrument, occasion, assessed_on``: the whole history
    to judge, stored and new together. ``families`` has ``family, closed_on,
    re_referred_on``; a family missing from it has neither. ``names`` gives instruments
    their names in the sentences (a file's messages use its keys). Only the rows that break
    a rule are returned, so a caller reports those it is writing and leaves a stored fork
    alone.
    """
    dates = families.drop_duplicates("family").set_index("family")[["closed_on", "re_referred_on"]]
    frame = assessments[[*PAIR, "occasion"]].assign(
        day=pd.to_datetime(assessments["assessed_on"]).dt.normalize()
    )
    frame = frame.join(dates.apply(pd.to_datetime), on="family")
    return pd.concat([_forks(frame, names or {}), _after_closure(frame)])


def draft_history_problems(
    connection: Connection,
    *,
    family_id: int,
    instrument: str,
    occasion: str,
    assessed_on: date,
    assessment_id: int | None = None,
    instrument_name: str | None = None,
) -> dict[str, str]:
    """What a new or corrected assessment would break, by form field, as sentences."""
    stored = connection.execute(
        sa.select(Assessment.occasion, Assessment.assessed_on).where(
            Assessment.family_id == family_id,
            Assessment.instrument == instrument,
            Assessment.id != (assessment_id or -1),
        )
    ).all()
    family = connection.execute(
        sa.select(Family.closed_on, Family.re_referred_on).where(Family.id == family_id)
    ).one()
    draft = len(stored)
    history = pd.DataFrame(
        [*stored, (occasion, assessed_on)], columns=["occasion", "assessed_on"]
    ).assign(family=family_id, instrument=instrument)
    families = pd.DataFrame(
        [(family_id, family.closed_on, family.re_referred_on)],
        columns=["family", "closed_on", "re_referred_on"],
    )
    breaks = history_breaks(history, families, {instrument: instrument_name or instrument})
    mine = breaks[breaks.index == draft]
    return {row.field: row.problem[0].upper() + row.problem[1:] + "." for row in mine.itertuples()}
