"""A cohort's figures from one row per family: no row per score reaches Python.

``cohort_figures`` needs only what follows from the scores. Each first journey in the
view (the ``journey`` table's rows, the same ones ``journeys`` gives) comes back as one row,
its baseline, first review and latest each as one whole number that the database adds up
from the assessment's scores (``PointCodes``), filtered in SQL as ``loading`` filters the
frames. From those, numpy counts how many families went from each baseline score to each
latest score per domain (every per-domain figure follows from that: n, means, median,
improved, same and worse, the sign test) and each family's paired domains and totals (the
overall figures, early worsening); the yardstick's sums come from the same baselines
(``yardstick.sums_of``).

The figures are then worked out by the same code as for a ``Cohort`` built from frames
(``headline``, ``published``) and equal it exactly: the scores are whole numbers, so every
total is exact in any order, and each family's overall score is its total over its paired
domains, as the frames' mean works it out, in the same family order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.loading import CohortFilter, family_conditions
from tracker.measures.reliable_change import with_rci
from tracker.measures.scoring import OVERALL_COLUMNS
from tracker.measures.yardstick import (
    PointCodes,
    Yardstick,
    first_baseline_scores,
    sums_of,
    yardstick_of,
)
from tracker.store.journeys import Journey, view_of
from tracker.store.models import Family, KeyWorker
from tracker.store.vocabulary import DEFAULT_RATERS

DOMAIN_COLUMNS = ["baseline", "latest", "change"]


@dataclass(frozen=True)
class SummedCohort:
    """What the headline and published figures read from a cohort, without its rows."""

    instrument: Instrument
    family_count: int  # families whose first journey is in the view
    with_review: int
    later_journeys: int
    early_worsening: int
    overall: pd.DataFrame  # as ``Cohort.overall``: one row per family with a paired domain
    moves: pd.DataFrame  # domain, baseline, latest, families: the paired domains, counted
    yardstick: Yardstick

    @property
    def s_diff(self) -> float | None:
        return self.yardstick.s_diff

    def changes_by_domain(self) -> dict[str, pd.DataFrame]:
        """Each domain's paired scores and changes, one row per family (in no order), as
        ``Cohort.changes_by_domain`` gives them."""
        grouped = {}
        for domain, moves in self.moves.groupby("domain", sort=False):
            families = moves["families"].to_numpy()
            baseline = np.repeat(moves["baseline"].to_numpy(dtype=float), families)
            latest = np.repeat(moves["latest"].to_numpy(dtype=float), families)
            change = (latest - baseline) * self.instrument.direction
            grouped[domain] = pd.DataFrame(
                dict(zip(DOMAIN_COLUMNS, (baseline, latest, change), strict=True))
            )
        return grouped


def _first_journeys(statement, cohort_filter: CohortFilter, view: str):
    """``statement`` over the first journeys in the view whose family passes the filter
    and whose baseline falls in the window."""
    statement = statement.where(
        Journey.instrument == cohort_filter.instrument,
        Journey.raters == view,
        Journey.journey == 1,
    )
    if cohort_filter.baseline_from is not None:
        statement = statement.where(Journey.baseline_on >= cohort_filter.baseline_from)
    if cohort_filter.baseline_to is not None:
        statement = statement.where(Journey.baseline_on <= cohort_filter.baseline_to)
    conditions = family_conditions(cohort_filter)
    if conditions:
        statement = (
            statement.join(Family, Family.id == Journey.family_id)
            .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
            .where(*conditions)
        )
    return statement


def _journey_scores(connection: Connection, cohort_filter, view, codes: PointCodes):
    """The first journeys in the view, in family order: family ids, whether reviewed, and
    families × domains scores at the baseline, first review and latest (NaN: not scored)."""
    rows = connection.execute(
        _first_journeys(
            sa.select(
                Journey.family_id,
                Journey.latest_id.is_not(None),
                codes.of(Journey.baseline_id),
                codes.of(Journey.first_review_id),
                codes.of(Journey.latest_id),
            ),
            cohort_filter,
            view,
        ).order_by(Journey.family_id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 5
    family_ids = np.array(columns[0], dtype=np.int64)
    reviewed = np.array(columns[1], dtype=bool)
    return family_ids, reviewed, *(codes.scores(column) for column in columns[2:])


def _moves(baseline: np.ndarray, latest: np.ndarray, instrument: Instrument) -> pd.DataFrame:
    """How many families went from each baseline score to each latest score, per domain:
    a count per (domain, baseline point, latest point) cell, the empty cells left out."""
    points = np.asarray(instrument.points, dtype=float)
    paired = ~np.isnan(baseline) & ~np.isnan(latest)
    domain = np.broadcast_to(np.arange(baseline.shape[1]), baseline.shape)[paired]
    at = [np.searchsorted(points, scores[paired]) for scores in (baseline, latest)]
    cells = np.bincount(
        (domain * len(points) + at[0]) * len(points) + at[1],
        minlength=baseline.shape[1] * len(points) ** 2,
    )
    found = np.flatnonzero(cells)
    domain, rest = np.divmod(found, len(points) ** 2)
    return pd.DataFrame(
        {
            "domain": np.asarray(instrument.domain_keys, dtype=object)[domain],
            "baseline": points[rest // len(points)],
            "latest": points[rest % len(points)],
            "families": cells[found],
        }
    )


def _totals(baseline: np.ndarray, later: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per family: its domains scored at both ends, and their totals at each end."""
    paired = ~np.isnan(baseline) & ~np.isnan(later)
    return (
        paired.sum(axis=1),
        np.where(paired, baseline, 0.0).sum(axis=1),
        np.where(paired, later, 0.0).sum(axis=1),
    )


def _overall(family_ids, baseline, latest, instrument: Instrument, s_diff) -> pd.DataFrame:
    """``family_overall``'s frame, with reliable change: each family's means are its
    totals over its paired domains, as the frames' mean adds them and divides."""
    domains, baseline_total, latest_total = _totals(baseline, latest)
    paired = domains > 0
    if not paired.any():
        overall = pd.DataFrame(columns=OVERALL_COLUMNS)
    else:
        domains = domains[paired].astype("int64")
        baseline_total, latest_total = baseline_total[paired], latest_total[paired]
        overall = pd.DataFrame(
            {
                "family_id": family_ids[paired],
                "domains": domains,
                "baseline": baseline_total / domains,
                "latest": latest_total / domains,
                "change": (latest_total - baseline_total) * instrument.direction / domains,
            }
        )
    return with_rci(overall, s_diff, instrument)


def _early_worsening(baseline, first_review, instrument: Instrument) -> int:
    """Families whose first review is worse overall (over the domains it pairs with the
    baseline) than the baseline."""
    domains, baseline_total, review_total = _totals(baseline, first_review)
    change = (review_total - baseline_total) * instrument.direction
    return int(((domains > 0) & (change < 0)).sum())


def summed_cohort(
    connection: Connection, cohort_filter: CohortFilter, instrument: Instrument
) -> SummedCohort | None:
    """The makings of the cohort's figures, read as one row per family; None when the
    ``journey`` table keeps no such rater view or the scores cannot be coded (then build a
    ``Cohort`` from frames)."""
    view, codes = view_of(cohort_filter.raters), PointCodes(instrument)
    if view is None or not codes.fit():
        return None
    family_ids, reviewed, baseline, first_review, latest = _journey_scores(
        connection, cohort_filter, view, codes
    )
    whole_service = replace(CohortFilter(instrument=instrument.key), raters=DEFAULT_RATERS)
    if cohort_filter == whole_service:
        yardstick = yardstick_of(sums_of(baseline), instrument)
    else:
        yardstick = yardstick_of(sums_of(first_baseline_scores(connection, codes)), instrument)
    later = aliased(Journey, name="later")
    later_journeys = connection.execute(
        sa.select(sa.func.count()).where(
            later.instrument == cohort_filter.instrument,
            later.raters == view,
            later.journey > 1,
            later.family_id.in_(_first_journeys(sa.select(Journey.family_id), cohort_filter, view)),
        )
    ).scalar_one()
    return SummedCohort(
        instrument=instrument,
        family_count=len(family_ids),
        with_review=int(reviewed.sum()),
        later_journeys=int(later_journeys),
        early_worsening=_early_worsening(baseline, first_review, instrument),
        overall=_overall(family_ids, baseline, latest, instrument, yardstick.s_diff),
        moves=_moves(baseline, latest, instrument),
        yardstick=yardstick,
    )
