"""When reviews fall due: the one schedule the caseload and the report card both follow.

The service specification sets the rule: the first review falls due one month after the
baseline and then every three months, so the n-th review is due ``1 + 3(n - 1)`` months
after the baseline, and a late review does not move later due dates. Each distinct date
after the baseline on which a family was assessed is one review done, the n-th of them
answering the n-th due review.

What counts as a review is the caller's to say (``raters``): the caseload counts every
rater's assessment, the report card the worker and joint ratings only. Nothing here asks
the clock for today's date; whoever needs "today" passes it in.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

FIRST_REVIEW_MONTHS = 1
REVIEW_INTERVAL_MONTHS = 3
# The schedule runs this far past today for open cases.
HORIZON = pd.DateOffset(years=1)
# Reviews are due every three months (at least 89 days apart), so this many per day span,
# plus two, always reach past the stop date; the ones beyond it are dropped.
SHORTEST_INTERVAL_DAYS = 89
MOST_REVIEWS = 200

TRACK = ["family_id", "instrument"]  # a schedule runs per family and instrument


def add_months(days: pd.Series, months: pd.Series) -> pd.Series:
    """``day + pd.DateOffset(months=n)`` for whole columns: the same calendar month step,
    with the day of the month clipped to the target month's length."""
    total = days.dt.year * 12 + days.dt.month - 1 + months
    first = pd.to_datetime({"year": total // 12, "month": total % 12 + 1, "day": 1})
    day = np.minimum(days.dt.day, first.dt.days_in_month)
    return first + pd.to_timedelta(day - 1, unit="D")


def for_families(by_family: pd.Series, families: pd.DataFrame) -> pd.Series:
    """A series by family id, read for each row of ``families`` (missing where absent).

    reindex rather than map: pandas cannot map through an empty series of dates, which is
    what a scope with no baselines, or no closed cases, has.
    """
    return pd.Series(by_family.reindex(families["family_id"]).to_numpy(), index=families.index)


def due_dates(baselines: pd.Series, review: pd.Series) -> pd.Series:
    """When review number ``review`` (0 for the first) falls due after each baseline."""
    return add_months(baselines, FIRST_REVIEW_MONTHS + REVIEW_INTERVAL_MONTHS * review)


def _baselines_and_reviews(
    assessments: pd.DataFrame, *, raters: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per family and instrument, the first baseline of these raters (``baseline``), and the
    distinct later dates they assessed on, numbered from 0 in date order (``review``).

    ``assessments`` has ``family_id, instrument, occasion, assessed_on`` (datetime64) and
    ``rater``; a family and instrument with no baseline has no schedule.
    """
    chosen = assessments[assessments["rater"].isin(raters)]
    baselines = (
        chosen[chosen["occasion"] == "baseline"]
        .groupby(TRACK)["assessed_on"]
        .min()
        .rename("baseline")
        .reset_index()
    )
    later = chosen[[*TRACK, "assessed_on"]].merge(baselines, on=TRACK)
    later = (
        later[later["assessed_on"] > later["baseline"]]
        .drop_duplicates([*TRACK, "assessed_on"])
        .sort_values([*TRACK, "assessed_on"])
    )
    return baselines, later.assign(review=later.groupby(TRACK).cumcount())


def next_reviews_due(assessments: pd.DataFrame, *, raters: tuple[str, ...]) -> pd.DataFrame:
    """Per family and instrument with a baseline, when the next review falls due (``due``):
    the one after as many reviews as were done."""
    baselines, reviews = _baselines_and_reviews(assessments, raters=raters)
    done = reviews.groupby(TRACK).size().rename("done").reset_index()
    counted = baselines.merge(done, on=TRACK, how="left")
    counted["done"] = counted["done"].fillna(0).astype(int)
    return counted.assign(due=due_dates(counted["baseline"], counted["done"]))[[*TRACK, "due"]]


def review_schedule(
    assessments: pd.DataFrame,
    closed_on: pd.Series,
    *,
    raters: tuple[str, ...],
    today: date,
) -> pd.DataFrame:
    """Every review due so far, per family and instrument, with the date it was done on.

    Reviews fall due from the baseline until the case closes (``closed_on``, by family id;
    missing while open), or a year past ``today`` if it is still open then. ``done_on`` is
    the n-th later assessment for the n-th review, missing when there is none.
    """
    # Worked out for every family at once: a loop over families took seconds per county.
    baselines, reviews = _baselines_and_reviews(assessments, raters=raters)
    horizon = pd.Timestamp(today) + HORIZON
    closed = for_families(closed_on, baselines)
    stop = closed.where(closed.notna() & (closed < horizon), horizon)
    enough = ((stop - baselines["baseline"]).dt.days // SHORTEST_INTERVAL_DAYS + 2).clip(
        lower=0, upper=MOST_REVIEWS
    )
    due = baselines.assign(stop=stop).loc[baselines.index.repeat(enough)]
    due = due.assign(review=due.groupby(TRACK).cumcount())
    due = due.assign(due=due_dates(due["baseline"], due["review"]))
    due = due[due["due"] <= due["stop"]].merge(
        reviews[[*TRACK, "review", "assessed_on"]], on=[*TRACK, "review"], how="left"
    )
    return (
        due.rename(columns={"assessed_on": "done_on"})
        .sort_values([*TRACK, "review"])
        .loc[:, [*TRACK, "review", "due", "done_on"]]
        .reset_index(drop=True)
    )
