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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.reliable_change import RELIABLE_CHANGE_Z
from tracker.store.db import read_frame
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


def cronbach_alpha(items: pd.DataFrame) -> float | None:
    """Cronbach's alpha of a families × domains table with no gaps; None when undefined."""
    families, domains = items.shape
    if families < 2 or domains < 2:
        return None
    total_variance = items.sum(axis=1).var(ddof=1)
    if not total_variance:
        return None
    item_variance = items.var(axis=0, ddof=1).sum()
    return float(domains / (domains - 1) * (1 - item_variance / total_variance))


def estimate_yardstick(baselines: pd.DataFrame, instrument: Instrument) -> Yardstick:
    """The yardstick from each family's first baseline: ``family_id, domain, value``
    (one baseline assessment per family; a missing value means not scored)."""
    scored = baselines.dropna(subset=["value"])
    scored = scored[scored["domain"].isin(instrument.domain_keys)]
    overall = scored.groupby("family_id")["value"].mean()
    n_reference = len(overall)
    if instrument.reference_sd is not None:
        reference_sd = instrument.reference_sd.value
    else:
        spread = overall.std(ddof=1) if n_reference >= 2 else math.nan
        reference_sd = None if math.isnan(spread) or not spread else float(spread)
    if instrument.reliability is not None:
        declared = instrument.reliability
        return Yardstick(reference_sd, declared.value, declared.kind, declared.source, n_reference)
    table = scored.pivot_table(index="family_id", columns="domain", values="value")
    complete = table.reindex(columns=list(instrument.domain_keys)).dropna()
    alpha = cronbach_alpha(complete) if len(complete) >= MIN_COMPLETE_CASES else None
    if alpha is None or not 0 < alpha < 1:
        reason = (
            f"only {len(complete)} families scored every area at baseline"
            if len(complete) < MIN_COMPLETE_CASES
            else f"the estimate from {len(complete)} families' baselines was {alpha:.2f}"
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
        f"estimated from {len(complete)} families' baselines",
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


def service_yardstick(connection: Connection, instrument: Instrument) -> Yardstick:
    """The one yardstick for ``instrument``: the cohort page, every breakdown, the scatter
    and the report card all measure reliable change against it."""
    return estimate_yardstick(first_baselines(connection, instrument), instrument)
