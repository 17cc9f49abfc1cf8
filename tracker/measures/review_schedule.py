"""When reviews fall due: the one schedule the caseload and the report card both follow.

The service specification sets the rule: the first review falls due one month after the
baseline and then every three months, so review ``n`` (from 0) is due ``1 + 3n`` months
after the baseline, and a late review does not move later due dates.

Two questions are asked of it:

- **Was each due date met?** (the report card's "reviews on time"). A due date is met when
  a review or closure assessment falls within ``ON_TIME_DAYS`` either side of it; each
  assessment meets at most one due date, the earliest unmet one it can. Judging each due
  date on its own means one missed review does not make every later one late.
- **When is the next review due?** (the caseload). The one after as many reviews as were
  done, so a missed review stays overdue until a review is done.

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
# A due date is met by a review or closure assessment this many days either side of it.
ON_TIME_DAYS = 14
MEETS_A_DUE_DATE = ("review", "closure")

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
    """Per family and instrument, the first baseline of these raters (``baseline``) and the
    next, later one if any (``next_baseline``: a re-referral), and the distinct later dates
    they assessed on, numbered from 0 in date order (``review``).

    ``assessments`` has ``family_id, instrument, occasion, assessed_on`` (datetime64) and
    ``rater``; a family and instrument with no baseline has no schedule.
    """
    chosen = assessments[assessments["rater"].isin(raters)]
    starts = chosen[chosen["occasion"] == "baseline"][[*TRACK, "assessed_on"]]
    baselines = starts.groupby(TRACK)["assessed_on"].min().rename("baseline").reset_index()
    later_starts = starts.merge(baselines, on=TRACK)
    later_starts = later_starts[later_starts["assessed_on"] > later_starts["baseline"]]
    next_baseline = later_starts.groupby(TRACK)["assessed_on"].min().rename("next_baseline")
    baselines = baselines.merge(next_baseline.reset_index(), on=TRACK, how="left")
    later = chosen[[*TRACK, "assessed_on"]].merge(baselines[[*TRACK, "baseline"]], on=TRACK)
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
    """Every due date so far, per family and instrument, and whether it was met.

    Due dates run from the first baseline until the case closes (``closed_on``, by family
    id; missing while open), a later baseline of the instrument starts a new journey, or a
    year past ``today`` for an open case, whichever comes first. A due date is ``met`` by
    the first review or closure assessment (``met_on``) within ``ON_TIME_DAYS`` either side
    of it; it is ``decided`` once met or once that window has passed by ``today``.

    Due dates are at least ``SHORTEST_INTERVAL_DAYS`` apart, more than twice
    ``ON_TIME_DAYS``, so an assessment lies in at most one due date's window: matching each
    due date to an assessment in its window is the same as letting each assessment meet the
    earliest unmet due date it can.
    """
    # Worked out for every family at once: a loop over families took seconds per county.
    baselines, _ = _baselines_and_reviews(assessments, raters=raters)
    horizon = pd.Timestamp(today) + HORIZON
    closed = for_families(closed_on, baselines)
    stop = closed.where(closed.notna() & (closed < horizon), horizon)
    stop = stop.where(
        baselines["next_baseline"].isna() | (stop < baselines["next_baseline"]),
        baselines["next_baseline"] - pd.Timedelta(days=1),
    )
    enough = ((stop - baselines["baseline"]).dt.days // SHORTEST_INTERVAL_DAYS + 2).clip(
        lower=0, upper=MOST_REVIEWS
    )
    due = baselines.assign(stop=stop).loc[baselines.index.repeat(enough)]
    due = due.assign(review=due.groupby(TRACK).cumcount())
    due = due.assign(due=due_dates(due["baseline"], due["review"]))
    due = due[due["due"] <= due["stop"]]
    chosen = assessments[
        assessments["rater"].isin(raters) & assessments["occasion"].isin(MEETS_A_DUE_DATE)
    ]
    window = pd.Timedelta(days=ON_TIME_DAYS)
    candidates = due[[*TRACK, "review", "due"]].merge(
        chosen[[*TRACK, "assessed_on"]].drop_duplicates(), on=TRACK
    )
    within = candidates[(candidates["assessed_on"] - candidates["due"]).abs() <= window]
    met_on = within.groupby([*TRACK, "review"])["assessed_on"].min().rename("met_on")
    due = due.merge(met_on.reset_index(), on=[*TRACK, "review"], how="left")
    met = due["met_on"].notna()
    return (
        due.assign(met=met, decided=met | (due["due"] + window < pd.Timestamp(today)))
        .sort_values([*TRACK, "review"])
        .loc[:, [*TRACK, "review", "due", "met_on", "met", "decided"]]
        .reset_index(drop=True)
    )
