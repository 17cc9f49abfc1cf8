"""The yardstick for reliable change: one S_diff per instrument, from the whole service.

A change is reliable when it is bigger than two readings of an unchanged family would
show. That spread, S_diff = reference SD × √(2 × (1 − reliability)), must not move with
the filter, the breakdown or the quarter: a yardstick re-estimated from each subset made
Westbrook 62.5% reliably improved in one table and 67.5% in another. So it is fixed per
instrument: from the instrument file where a published figure is declared with its
source, otherwise estimated once from every family's first baseline (worker or joint
ratings) in the service:

- reference SD: the SD (ddof 1) of the families' overall baseline scores;
- reliability: Cronbach's alpha of the baseline domain scores over the families that
  scored every domain (complete cases); with fewer than ``MIN_COMPLETE_CASES`` of them,
  or an alpha outside (0, 1), a conservative default, and the yardstick says so.

Both are worked out exactly from sums (``BaselineSums``), so the yardstick is the same
whether the baselines come as rows (``estimate_yardstick``) or as one coded number per
family from the ``journey`` table (``service_yardstick``, ``PointCodes``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.reliable_change import RELIABLE_CHANGE_Z
from tracker.store.db import read_frame
from tracker.store.journeys import JOURNEY_VIEWS, Journey
from tracker.store.models import Assessment, Score
from tracker.store.vocabulary import DEFAULT_RATERS, RATER_PRECEDENCE

DEFAULT_RELIABILITY = 0.70
MIN_COMPLETE_CASES = 30
ESTIMATED = "internal consistency (Cronbach's alpha of the baseline areas)"
DEFAULTED = "conservative default"


@dataclass(frozen=True)
class Yardstick:
    """What reliable change is measured against, and where each part came from."""

    reference_sd: float | None
    reliability: float
    reliability_kind: str
    source: str
    n_reference: int  # families whose overall baseline gave the reference SD

    @property
    def s_diff(self) -> float | None:
        if not self.reference_sd:
            return None
        return self.reference_sd * math.sqrt(2 * (1 - self.reliability))

    @property
    def threshold(self) -> float | None:
        """How far an overall change must go, either way, to be reliable."""
        return None if self.s_diff is None else RELIABLE_CHANGE_Z * self.s_diff

    def as_dict(self) -> dict:
        return {
            "reference_sd": self.reference_sd,
            "reliability": self.reliability,
            "reliability_kind": self.reliability_kind,
            "source": self.source,
            "n_reference": self.n_reference,
            "s_diff": self.s_diff,
        }

    def caption(self) -> str:
        """The yardstick in one line, for every page and download that classifies."""
        if self.threshold is None:
            return "Reliable change cannot be judged yet: too few families have a baseline."
        return (
            f"Reliable change: ±{RELIABLE_CHANGE_Z} × S_diff = ±{self.threshold:.2f} points; "
            f"reliability {self.reliability:.2f} ({self.source})."
        )


@dataclass(frozen=True)
class BaselineSums:
    """What the yardstick needs from the first baselines, as sums, so the database can
    add them up: families by (domains scored, total of their scores), and over the
    families that scored every domain (complete cases) each domain's total and the
    total of every score squared. Worked out exactly (``Fraction``) from these, the
    yardstick is the same whatever order the families were added in."""

    overall: tuple[tuple[int, float, int], ...]  # (domains scored, total, families)
    complete_domain_totals: tuple[float, ...]  # per domain, over complete cases
    complete_squares: float  # every complete case's scores, squared and added


def _variance(count: int, total: Fraction, squares: Fraction) -> Fraction:
    """The sample variance (ddof 1) of ``count`` values from their total and squares."""
    return (squares - total * total / count) / (count - 1)


def _alpha(sums: BaselineSums, domains: int) -> float | None:
    """Cronbach's alpha over the complete cases; None when undefined."""
    cells = [(Fraction(total), families) for n, total, families in sums.overall if n == domains]
    families = sum(count for _, count in cells)
    if families < 2 or domains < 2:
        return None
    total_variance = _variance(
        families,
        sum(total * count for total, count in cells),
        sum(total * total * count for total, count in cells),
    )
    if not total_variance:
        return None
    item_variance = (
        Fraction(sums.complete_squares)
        - sum(Fraction(total) ** 2 for total in sums.complete_domain_totals) / families
    ) / (families - 1)
    return float(Fraction(domains, domains - 1) * (1 - item_variance / total_variance))


def cronbach_alpha(items: pd.DataFrame) -> float | None:
    """Cronbach's alpha of a families × domains table with no gaps; None when undefined."""
    return _alpha(sums_of(items.to_numpy(dtype=float)), items.shape[1])


def _reference_spread(overall: tuple[tuple[int, float, int], ...]) -> float | None:
    """The SD (ddof 1) of the families' overall baselines (total ÷ domains scored)."""
    means = [(Fraction(total) / n, families) for n, total, families in overall]
    count = sum(families for _, families in means)
    if count < 2:
        return None
    variance = _variance(
        count,
        sum(mean * families for mean, families in means),
        sum(mean * mean * families for mean, families in means),
    )
    return math.sqrt(variance) if variance else None


def baseline_sums(baselines: pd.DataFrame, instrument: Instrument) -> BaselineSums:
    """``BaselineSums`` of ``family_id, domain, value`` rows (one baseline per family; a
    missing value means not scored)."""
    scored = baselines.dropna(subset=["value"])
    scored = scored[scored["domain"].isin(instrument.domain_keys)].astype({"value": float})
    table = scored.pivot_table(index="family_id", columns="domain", values="value")
    return sums_of(table.reindex(columns=list(instrument.domain_keys)).to_numpy(dtype=float))


def estimate_yardstick(baselines: pd.DataFrame, instrument: Instrument) -> Yardstick:
    """The yardstick from each family's first baseline: ``family_id, domain, value``
    (one baseline assessment per family; a missing value means not scored)."""
    return yardstick_of(baseline_sums(baselines, instrument), instrument)


def yardstick_of(sums: BaselineSums, instrument: Instrument) -> Yardstick:
    """The yardstick from the first baselines' sums (see ``BaselineSums``)."""
    n_reference = sum(families for _, _, families in sums.overall)
    if instrument.reference_sd is not None:
        reference_sd = instrument.reference_sd.value
    else:
        reference_sd = _reference_spread(sums.overall)
    if instrument.reliability is not None:
        declared = instrument.reliability
        return Yardstick(reference_sd, declared.value, declared.kind, declared.source, n_reference)
    domains = len(instrument.domain_keys)
    complete = sum(families for n, _, families in sums.overall if n == domains)
    alpha = _alpha(sums, domains) if complete >= MIN_COMPLETE_CASES else None
    if alpha is None or not 0 < alpha < 1:
        reason = (
            f"only {complete} families scored every area at baseline"
            if complete < MIN_COMPLETE_CASES
            else f"the estimate from {complete} families' baselines was {alpha:.2f}"
        )
        return Yardstick(
            reference_sd,
            DEFAULT_RELIABILITY,
            DEFAULTED,
            f"a conservative default, as {reason}",
            n_reference,
        )
    return Yardstick(
        reference_sd,
        alpha,
        ESTIMATED,
        f"estimated from {complete} families' baselines",
        n_reference,
    )


def first_baselines(connection: Connection, instrument: Instrument) -> pd.DataFrame:
    """Every family's first baseline of ``instrument`` by a worker or jointly (joint first
    on the same day), as ``family_id, domain, value``: the whole service, never a filter."""
    assessments = read_frame(
        connection,
        sa.select(
            Assessment.id, Assessment.family_id, Assessment.assessed_on, Assessment.rater
        ).where(
            Assessment.instrument == instrument.key,
            Assessment.occasion == "baseline",
            Assessment.rater.in_(DEFAULT_RATERS),
        ),
        ["assessment_id", "family_id", "assessed_on", "rater"],
    )
    if assessments.empty:
        return pd.DataFrame(columns=["family_id", "domain", "value"])
    first = (
        assessments.assign(precedence=assessments["rater"].map(RATER_PRECEDENCE))
        .sort_values(["family_id", "assessed_on", "precedence"])
        .drop_duplicates("family_id")
    )
    ids = sa.bindparam(
        "ids",
        value=sorted(int(i) for i in first["assessment_id"]),
        expanding=True,
        literal_execute=True,
    )
    scores = read_frame(
        connection,
        sa.select(Score.assessment_id, Score.domain, Score.value).where(
            Score.assessment_id.in_(ids)
        ),
        ["assessment_id", "domain", "value"],
    )
    return scores.merge(first[["assessment_id", "family_id"]], on="assessment_id")[
        ["family_id", "domain", "value"]
    ]


@dataclass(frozen=True)
class PointCodes:
    """Each assessment's scores as one whole number, added up by the database, so that it
    hands over one number per assessment rather than a row per score: the score on the
    instrument's i-th domain is the i-th digit in base ``len(points) + 1`` (its point's
    index + 1; 0 when not scored). Reading a row per score was most of the cohort's time."""

    instrument: Instrument

    @property
    def base(self) -> int:
        return len(self.instrument.points) + 1

    @property
    def weights(self) -> np.ndarray:
        return self.base ** np.arange(len(self.instrument.domain_keys), dtype=np.int64)

    def fit(self) -> bool:
        """Whether every score is a whole number (so totals are exact in any order) and a
        whole assessment fits in 62 bits."""
        points = self.instrument.points
        whole = all(float(point).is_integer() for point in (*points, self.instrument.step))
        return whole and self.base ** len(self.instrument.domain_keys) < 2**62

    def of(self, assessment_id):
        """The code of the assessment ``assessment_id`` (a column) names, null if none."""
        instrument = self.instrument
        weights = zip(instrument.domain_keys, self.weights.tolist(), strict=True)
        weight = sa.case(dict(weights), value=Score.domain)
        point = sa.cast((Score.value - instrument.scale_min) / instrument.step, sa.Integer) + 1
        return (
            sa.select(sa.cast(sa.func.sum(sa.cast(weight, sa.BigInteger) * point), sa.BigInteger))
            .where(Score.assessment_id == assessment_id, Score.value.is_not(None))
            .scalar_subquery()
        )

    def scores(self, codes) -> np.ndarray:
        """Assessments × domains: each score, NaN where not scored (or no assessment)."""
        codes = np.fromiter((code or 0 for code in codes), dtype=np.int64, count=len(codes))
        digits = (codes[:, None] // self.weights[None, :]) % self.base
        instrument = self.instrument
        values = instrument.scale_min + (digits - 1) * float(instrument.step)
        return np.where(digits > 0, values, np.nan)


def sums_of(baselines: np.ndarray) -> BaselineSums:
    """``BaselineSums`` of families × domains baseline scores (NaN where not scored)."""
    scored = ~np.isnan(baselines)
    n = scored.sum(axis=1)
    totals = np.where(scored, baselines, 0.0).sum(axis=1)
    present = n > 0
    cells = pd.Series(1, index=pd.MultiIndex.from_arrays([n[present], totals[present]]))
    cells = cells.groupby(level=[0, 1]).size()
    complete = baselines[n == baselines.shape[1]]
    return BaselineSums(
        overall=tuple((int(k), float(total), int(count)) for (k, total), count in cells.items()),
        complete_domain_totals=tuple(float(total) for total in complete.sum(axis=0)),
        complete_squares=float((complete**2).sum()),
    )


def first_baseline_scores(connection: Connection, codes: PointCodes) -> np.ndarray:
    """Families × domains: each family's first baseline by a worker or jointly (joint
    first on the same day, as ``first_baselines`` picks it), from the ``journey`` table."""
    rows = connection.execute(
        sa.select(codes.of(Journey.baseline_id)).where(
            Journey.instrument == codes.instrument.key,
            Journey.raters == JOURNEY_VIEWS[DEFAULT_RATERS],
            Journey.journey == 1,
        )
    ).all()
    return codes.scores([code for (code,) in rows])


def service_yardstick(connection: Connection, instrument: Instrument) -> Yardstick:
    """The one yardstick for ``instrument``: the cohort page, every breakdown, the scatter
    and the report card all measure reliable change against it."""
    codes = PointCodes(instrument)
    if codes.fit():
        return yardstick_of(sums_of(first_baseline_scores(connection, codes)), instrument)
    return estimate_yardstick(first_baselines(connection, instrument), instrument)
