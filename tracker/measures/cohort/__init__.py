"""Cohort figures: how far a group of families has travelled, with suppression.

The maths lives here once; the CLI, the dashboard and the report card all
build a ``Cohort`` and read their figures from it. Every figure that rests on
fewer than ``min_group`` families comes back as null, so no caller can leak
a small group by forgetting to check.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.scoring import (
    FIRST_BASELINE,
    domain_changes,
    family_overall,
    select_baseline_and_latest,
)
from tracker.store.db import read_frame
from tracker.store.models import Assessment, Family, KeyWorker, Score
from tracker.store.vocabulary import DEFAULT_RATERS, KEY_WORKER_BACKGROUNDS

RELIABLE_CHANGE_Z = 1.96
NOT_RECORDED = "Not recorded"

# Dimensions a cohort can be broken down by: column in the family frame, and label.
DIMENSIONS = {
    "area": "Area",
    "tier_of_need": "Tier of need",
    "key_worker_type": "Key worker type",
    "age_group": "Age of youngest child",
    "referral_source": "Referral source",
}
FAMILY_COLUMNS = ["family_id", *DIMENSIONS, "closed"]


@dataclass(frozen=True)
class CohortFilter:
    """Which families and ratings a cohort figure covers."""

    instrument: str
    area: str | None = None
    tier_of_need: str | None = None
    key_worker: str | None = None
    key_worker_type: str | None = None
    age_group: str | None = None
    referral_source: str | None = None
    status: str | None = None  # "open", "closed" or None for both
    raters: tuple[str, ...] = DEFAULT_RATERS
    baseline_from: date | None = None
    baseline_to: date | None = None

    def describe(self) -> dict:
        return {
            "area": self.area,
            "tier_of_need": self.tier_of_need,
            "key_worker": self.key_worker,
            "key_worker_type": self.key_worker_type,
            "age_group": self.age_group,
            "referral_source": self.referral_source,
            "status": self.status,
            "raters": list(self.raters),
            "baseline_from": self.baseline_from.isoformat() if self.baseline_from else None,
            "baseline_to": self.baseline_to.isoformat() if self.baseline_to else None,
        }


def _conditions(cohort_filter: CohortFilter) -> list:
    conditions = [
        Assessment.instrument == cohort_filter.instrument,
        Assessment.rater.in_(cohort_filter.raters),
    ]
    equal_to = {
        Family.area: cohort_filter.area,
        Family.tier_of_need: cohort_filter.tier_of_need,
        KeyWorker.name: cohort_filter.key_worker,
        KeyWorker.background: cohort_filter.key_worker_type,
        Family.age_group: cohort_filter.age_group,
        Family.referral_source: cohort_filter.referral_source,
    }
    conditions += [column == value for column, value in equal_to.items() if value is not None]
    if cohort_filter.status == "open":
        conditions.append(Family.closed_on.is_(None))
    elif cohort_filter.status == "closed":
        conditions.append(Family.closed_on.is_not(None))
    return conditions


def _filtered(statement, conditions: list):
    return (
        statement.join(Family, Family.id == Assessment.family_id)
        .outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
        .where(*conditions)
    )


def _load_assessments(connection: Connection, conditions: list) -> pd.DataFrame:
    return read_frame(
        connection,
        _filtered(
            sa.select(
                Assessment.id.label("assessment_id"),
                Assessment.family_id,
                Assessment.occasion,
                Assessment.assessed_on,
                Assessment.rater,
            ),
            conditions,
        ),
        ["assessment_id", "family_id", "occasion", "assessed_on", "rater"],
    )


def _load_families(connection: Connection, conditions: list) -> pd.DataFrame:
    families = read_frame(
        connection,
        _filtered(
            sa.select(
                Family.id,
                Family.area,
                Family.tier_of_need,
                KeyWorker.background,
                Family.age_group,
                Family.referral_source,
                Family.closed_on.is_not(None),
            ).select_from(Assessment),
            conditions,
        ).distinct(),
        FAMILY_COLUMNS,
    )
    families["key_worker_type"] = families["key_worker_type"].map(KEY_WORKER_BACKGROUNDS)
    return families


SCORE_COLUMNS = ["assessment_id", "domain", "value"]


def _load_scores_of(connection: Connection, assessment_ids: pd.Series) -> pd.DataFrame:
    """The scores of these assessments only (their ids written into the SQL as numbers,
    since a county's ids are more than SQLite will take as parameters)."""
    ids = sa.bindparam(
        "ids",
        value=sorted(int(i) for i in assessment_ids.unique()),
        expanding=True,
        literal_execute=True,
    )
    statement = sa.select(Score.assessment_id, Score.domain, Score.value).where(
        Score.assessment_id.in_(ids)
    )
    return read_frame(connection, statement, SCORE_COLUMNS)


def load_frames(
    connection: Connection, cohort_filter: CohortFilter
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The assessments, scores and families a cohort is computed from, filtered in SQL."""
    conditions = _conditions(cohort_filter)
    scores = read_frame(
        connection,
        _filtered(
            sa.select(Score.assessment_id, Score.domain, Score.value).join(
                Assessment, Assessment.id == Score.assessment_id
            ),
            conditions,
        ),
        SCORE_COLUMNS,
    )
    return (
        _load_assessments(connection, conditions),
        scores,
        _load_families(connection, conditions),
    )


def _number(value) -> float | None:
    """A JSON-safe float: NaN and infinities become null."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _pct(part: int, whole: int) -> float | None:
    return _number(100 * part / whole) if whole else None


# At or below this many pairs, scipy's default Wilcoxon enumerates every sign flip.
EXACT_WILCOXON_MAX_N = 13


def _sign_flip_p(values: np.ndarray) -> float:
    """Two-sided p over all 2^n sign flips of the non-zero changes, as scipy's default does.

    scipy gets there by calling the statistic once per flip (up to 8,192
    times); the rank sums of every flip can be counted directly instead. The
    ranks of |change| are the same under any flip and are whole or half
    numbers, so doubling them makes the count exact.
    """
    nonzero = values[values != 0]
    doubled = np.rint(stats.rankdata(np.abs(nonzero)) * 2).astype(int)
    observed = int(doubled[nonzero > 0].sum())
    ways = np.zeros(int(doubled.sum()) + 1)
    ways[0] = 1
    for rank in doubled:
        ways[rank:] = ways[rank:] + ways[: len(ways) - rank].copy()
    ways /= ways.sum()
    return float(min(1.0, 2 * min(ways[: observed + 1].sum(), ways[observed:].sum())))


def wilcoxon_p(changes: pd.Series) -> float | None:
    """scipy's Wilcoxon signed-rank p (default settings), or null when every change is 0."""
    values = changes.to_numpy(dtype=float)
    if values.size == 0 or not np.any(values != 0):
        return None
    if values.size <= EXACT_WILCOXON_MAX_N:
        return _number(_sign_flip_p(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _number(stats.wilcoxon(values).pvalue)


def mean_interval(values: pd.Series, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """Student's t interval for the mean: mean ± t(n-1) × SD / √n; null below two values."""
    n = len(values)
    if n < 2:
        return None, None
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n)
    return _number(mean - half), _number(mean + half)


def _direction_counts(changes: pd.Series) -> dict:
    improved = int((changes > 0).sum())
    same = int((changes == 0).sum())
    worse = int((changes < 0).sum())
    n = improved + same + worse
    return {
        "improved": improved,
        "same": same,
        "worse": worse,
        "pct_improved": _pct(improved, n),
        "pct_same": _pct(same, n),
        "pct_worse": _pct(worse, n),
    }


def reliable_change_sd(overall: pd.DataFrame, reliability: float) -> float | None:
    """S_diff = SD(baseline overall, ddof=1) × √(2 × (1 − r)); null when it cannot be had."""
    if len(overall) < 2:
        return None
    s_diff = overall["baseline"].std(ddof=1) * math.sqrt(2 * (1 - reliability))
    return None if not s_diff or math.isnan(s_diff) else float(s_diff)


@dataclass(frozen=True)
class Cohort:
    """A filtered cohort, with each family's change already worked out."""

    instrument: Instrument
    pairs: pd.DataFrame  # one row per family with a baseline
    changes: pd.DataFrame  # one row per family and paired domain
    overall: pd.DataFrame  # one row per family with a paired domain, with its RCI
    families: pd.DataFrame  # family attributes for breakdowns
    assessments: pd.DataFrame
    scores: pd.DataFrame  # every score of the assessments, unless every_score is false
    baseline_rule: str
    s_diff: float | None
    # False when only the baselines' and latests' scores were loaded: enough for every
    # figure but the over-time view, and a fraction of the rows at county scale.
    every_score: bool = True

    @property
    def with_review(self) -> int:
        return int(self.pairs["latest_id"].notna().sum())


def build_cohort(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    families: pd.DataFrame | None = None,
    baseline_from: date | None = None,
    baseline_to: date | None = None,
    baseline_rule: str = FIRST_BASELINE,
    pairs: pd.DataFrame | None = None,
    every_score: bool = True,
) -> Cohort:
    """Pair each family's baseline with its latest assessment and work out the change.

    ``pairs`` are the baselines and latests when the caller has already selected them.
    """
    if pairs is None:
        pairs = select_baseline_and_latest(
            assessments, rule=baseline_rule, scores=scores, instrument=instrument
        )
    if baseline_from is not None:
        pairs = pairs[pairs["baseline_on"] >= pd.Timestamp(baseline_from)]
    if baseline_to is not None:
        pairs = pairs[pairs["baseline_on"] <= pd.Timestamp(baseline_to)]
    changes = domain_changes(pairs, scores, instrument)
    overall = family_overall(changes)
    s_diff = reliable_change_sd(overall, instrument.reliability)
    overall = overall.assign(rci=overall["change"] / s_diff if s_diff else np.nan)
    if families is None:
        families = pd.DataFrame({"family_id": pairs["family_id"]})
    return Cohort(
        instrument=instrument,
        pairs=pairs.reset_index(drop=True),
        changes=changes,
        overall=overall,
        families=families,
        assessments=assessments,
        scores=scores,
        baseline_rule=baseline_rule,
        s_diff=s_diff,
        every_score=every_score,
    )


def domain_figures(changes: pd.DataFrame, instrument: Instrument) -> list[dict]:
    """Per domain, in the instrument's order, over the families scored at both ends."""
    figures = []
    grouped = dict(tuple(changes.groupby("domain", sort=False))) if not changes.empty else {}
    for key in instrument.domain_keys:
        group = grouped.get(key)
        if group is None or group.empty:
            group = pd.DataFrame({"baseline": [], "latest": [], "change": []}, dtype=float)
        figures.append(
            {
                "domain": key,
                "n": len(group),
                "mean_baseline": _number(group["baseline"].mean()),
                "mean_latest": _number(group["latest"].mean()),
                "mean_change": _number(group["change"].mean()),
                "median_change": _number(group["change"].median()),
                **_direction_counts(group["change"]),
                "wilcoxon_p": wilcoxon_p(group["change"]),
            }
        )
    return figures


def overall_figures(cohort: Cohort) -> dict:
    """The cohort's figures over families' overall scores."""
    overall = cohort.overall
    n = len(overall)
    change = overall["change"].astype(float)
    sd_change = change.std(ddof=1) if n >= 2 else math.nan
    rci = overall["rci"]
    rci_known = cohort.s_diff is not None
    reliable = {
        "reliable_improvement": int((rci > RELIABLE_CHANGE_Z).sum()),
        "reliable_deterioration": int((rci < -RELIABLE_CHANGE_Z).sum()),
        "no_reliable_change": int(rci.between(-RELIABLE_CHANGE_Z, RELIABLE_CHANGE_Z).sum()),
    }
    low, high = mean_interval(change)
    return {
        "n": n,
        "mean_baseline": _number(overall["baseline"].mean()) if n else None,
        "mean_latest": _number(overall["latest"].mean()) if n else None,
        "mean_change": _number(change.mean()) if n else None,
        "mean_change_ci_low": low,
        "mean_change_ci_high": high,
        "median_change": _number(change.median()) if n else None,
        **_direction_counts(change),
        "wilcoxon_p": wilcoxon_p(change),
        "effect_size_dz": _number(change.mean() / sd_change) if sd_change else None,
        **{key: value if rci_known else None for key, value in reliable.items()},
        **{f"pct_{key}": _pct(value, n) if rci_known else None for key, value in reliable.items()},
        "reliable_change_sd": cohort.s_diff,
    }


def _suppress(figures: dict, n: int, min_group: int, keep: tuple[str, ...] = ()) -> dict:
    if n >= min_group:
        return figures
    return {key: (value if key in keep else None) for key, value in figures.items()}


def suppress_count(count: int, min_group: int) -> int | None:
    """A count of 1 to min_group-1 families could identify them; zero cannot."""
    return None if 0 < count < min_group else count


def figures(cohort: Cohort, *, min_group: int) -> dict:
    """Every headline figure of a cohort, suppressed. See docs/metrics.md."""
    families = len(cohort.pairs)
    with_review = cohort.with_review
    return {
        "instrument": cohort.instrument.key,
        "families": suppress_count(families, min_group),
        "with_review": suppress_count(with_review, min_group),
        "awaiting_review": suppress_count(families - with_review, min_group),
        "min_group": min_group,
        "baseline_rule": cohort.baseline_rule,
        "overall": _suppress(overall_figures(cohort), len(cohort.overall), min_group),
        "domains": [
            _suppress(figure, figure["n"], min_group, keep=("domain",))
            for figure in domain_figures(cohort.changes, cohort.instrument)
        ],
    }


def summarise(
    assessments: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    baseline_from: date | None = None,
    baseline_to: date | None = None,
    baseline_rule: str = FIRST_BASELINE,
    min_group: int = 5,
) -> dict:
    """Every cohort figure from already-filtered frames."""
    cohort = build_cohort(
        assessments,
        scores,
        instrument,
        baseline_from=baseline_from,
        baseline_to=baseline_to,
        baseline_rule=baseline_rule,
    )
    return figures(cohort, min_group=min_group)


def load_cohort(
    connection: Connection,
    cohort_filter: CohortFilter,
    instrument: Instrument,
    *,
    baseline_rule: str = FIRST_BASELINE,
    every_score: bool = True,
) -> Cohort:
    """The filtered cohort from the database.

    With ``every_score=False`` and the first-baseline rule, only the scores of each
    family's baseline and latest assessment are read: every figure but the over-time
    view comes from those, and reading all the rest was most of the time at scale.
    """
    if every_score or baseline_rule != FIRST_BASELINE:
        assessments, scores, families = load_frames(connection, cohort_filter)
        pairs = None
        every_score = True
    else:
        conditions = _conditions(cohort_filter)
        assessments = _load_assessments(connection, conditions)
        families = _load_families(connection, conditions)
        pairs = select_baseline_and_latest(assessments)
        chosen = pd.concat([pairs["baseline_id"], pairs["latest_id"].dropna()])
        scores = _load_scores_of(connection, chosen)
    return build_cohort(
        assessments,
        scores,
        instrument,
        families=families,
        baseline_from=cohort_filter.baseline_from,
        baseline_to=cohort_filter.baseline_to,
        baseline_rule=baseline_rule,
        pairs=pairs,
        every_score=every_score,
    )


def cohort_figures(
    connection: Connection,
    cohort_filter: CohortFilter,
    instrument: Instrument,
    *,
    min_group: int,
    baseline_rule: str = FIRST_BASELINE,
) -> dict:
    """Load the filtered cohort from the database and summarise it."""
    cohort = load_cohort(
        connection, cohort_filter, instrument, baseline_rule=baseline_rule, every_score=False
    )
    result = figures(cohort, min_group=min_group)
    result["filters"] = cohort_filter.describe()
    return result


# --------------------------------------------------------------------------- breakdowns


def _family_attribute(cohort: Cohort, dimension: str) -> pd.Series:
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot break down by {dimension!r}")
    attributes = cohort.families.set_index("family_id")[dimension]
    return attributes.fillna(NOT_RECORDED).replace("", NOT_RECORDED)


def breakdown(cohort: Cohort, dimension: str, *, min_group: int) -> pd.DataFrame:
    """Distance travelled and reliable improvement per group, suppressed below min_group.

    Reliable change in every group uses the whole cohort's S_diff, so groups
    are judged against the same yardstick.
    """
    overall = cohort.overall.assign(
        group=cohort.overall["family_id"].map(_family_attribute(cohort, dimension))
    )
    rows = []
    for group, members in overall.groupby("group", sort=True):
        n = len(members)
        low, high = mean_interval(members["change"])
        reliable = (
            _pct(int((members["rci"] > RELIABLE_CHANGE_Z).sum()), n)
            if cohort.s_diff is not None
            else None
        )
        row = {
            "group": group,
            "n": n,
            "mean_change": _number(members["change"].mean()),
            "ci_low": low,
            "ci_high": high,
            "pct_improved": _pct(int((members["change"] > 0).sum()), n),
            "pct_reliable_improvement": reliable,
        }
        suppressed = n < min_group
        rows.append({**_suppress(row, n, min_group, keep=("group",)), "suppressed": suppressed})
    return pd.DataFrame(
        rows,
        columns=[
            "group",
            "n",
            "mean_change",
            "ci_low",
            "ci_high",
            "pct_improved",
            "pct_reliable_improvement",
            "suppressed",
        ],
    )


def transitions(cohort: Cohort, domain: str, *, min_group: int) -> pd.DataFrame:
    """How many families moved from each band at baseline to each band at the latest.

    One row per (baseline band, latest band) pair in the instrument's band
    order; a cell of 1 to min_group-1 families is suppressed to null, and the
    whole table when fewer than min_group families are paired on the domain.
    """
    instrument = cohort.instrument
    labels = [band.label for band in instrument.bands]
    paired = cohort.changes[cohort.changes["domain"] == domain]

    def band_of(value: float) -> str:
        return instrument.band_for(value).label

    counts = (
        pd.crosstab(paired["baseline"].map(band_of), paired["latest"].map(band_of))
        if not paired.empty
        else pd.DataFrame()
    )
    counts = counts.reindex(index=labels, columns=labels, fill_value=0)
    long = counts.stack().rename("families").reset_index()
    long.columns = ["baseline_band", "latest_band", "families"]
    long["families"] = long["families"].astype(int)
    whole_table_hidden = len(paired) < min_group
    long["families"] = [
        None if whole_table_hidden else suppress_count(count, min_group)
        for count in long["families"]
    ]
    return long


def overall_by_month(
    cohort: Cohort, *, min_group: int, dimension: str | None = None
) -> pd.DataFrame:
    """Mean overall score by whole months since each family's baseline, with n.

    Every assessment of the chosen raters from the baseline on counts; its
    overall score is the mean of its scored domains. A point resting on
    fewer than min_group families is suppressed.
    """
    if not cohort.every_score:
        raise ValueError("the over-time view needs every score: load the cohort with them")
    pairs = cohort.pairs[["family_id", "baseline_on"]]
    assessments = cohort.assessments.assign(
        assessed_on=pd.to_datetime(cohort.assessments["assessed_on"])
    ).merge(pairs, on="family_id")
    assessments = assessments[assessments["assessed_on"] >= assessments["baseline_on"]]
    means = cohort.scores.dropna(subset=["value"]).groupby("assessment_id")["value"].mean()
    assessments = assessments.assign(
        overall=assessments["assessment_id"].map(means),
        month=((assessments["assessed_on"] - assessments["baseline_on"]).dt.days / 30.4375)
        .round()
        .astype(int),
        group=(
            assessments["family_id"].map(_family_attribute(cohort, dimension))
            if dimension
            else "All families"
        ),
    ).dropna(subset=["overall"])
    # One score per family and month: a second assessment in the same month replaces the first.
    assessments = assessments.sort_values("assessed_on").drop_duplicates(
        ["family_id", "month"], keep="last"
    )
    points = (
        assessments.groupby(["group", "month"])
        .agg(n=("family_id", "nunique"), mean_overall=("overall", "mean"))
        .reset_index()
    )
    hidden = points["n"] < min_group
    points["suppressed"] = hidden
    points["mean_overall"] = points["mean_overall"].where(~hidden, None)
    points["n"] = points["n"].where(~hidden, None)
    return points


def scatter_points(cohort: Cohort, *, min_group: int) -> pd.DataFrame:
    """Baseline and latest overall per family, anonymous, for the reliable change chart.

    Empty when the cohort is below min_group: single points are families.
    """
    overall = cohort.overall
    if len(overall) < min_group:
        return pd.DataFrame(columns=["baseline", "latest", "classification"])
    classification = np.select(
        [overall["rci"] > RELIABLE_CHANGE_Z, overall["rci"] < -RELIABLE_CHANGE_Z],
        ["Reliably better", "Reliably worse"],
        default="No reliable change",
    )
    return (
        pd.DataFrame(
            {
                "baseline": overall["baseline"],
                "latest": overall["latest"],
                "classification": classification,
            }
        )
        .sample(frac=1, random_state=0)  # order carries no information about who is who
        .reset_index(drop=True)
    )


def caveats(cohort: Cohort, result: dict, *, tier_filter: str | None = None) -> list[str]:
    """Plain-words warnings that belong next to the figures."""
    notes = []
    families = len(cohort.pairs)
    reviewed = cohort.with_review
    awaiting = families - reviewed
    if 0 < reviewed < 20:
        notes.append(
            "Fewer than 20 families have had a review, so these figures can swing a lot "
            "with each new review. Treat them as early signs."
        )
    if families and awaiting / families > 0.3:
        notes.append(
            f"{round(100 * awaiting / families)}% of families with a baseline are still "
            "awaiting their first review. They are not in the change figures."
        )
    overall = result["overall"]
    instrument = cohort.instrument
    if overall.get("mean_baseline") is not None:
        share = (overall["mean_baseline"] - instrument.scale_min) / instrument.scale_span
        goodness = share if instrument.higher_is_better else 1 - share
        if goodness < 0.5 or tier_filter == "tier 3":
            notes.append(
                "Families come to the service when things are hard, and scores taken at a "
                "low point tend to improve anyway (regression to the mean). Without a "
                "comparison group, not all of the change can be credited to the service."
            )
    return notes


def filter_choices(connection: Connection) -> dict[str, list[str]]:
    """The values each cohort filter can take, from what is stored."""

    def distinct(column) -> list[str]:
        rows = connection.execute(sa.select(column).where(column.is_not(None)).distinct())
        return sorted(value for (value,) in rows if value != "")

    return {
        "area": distinct(Family.area),
        "tier_of_need": distinct(Family.tier_of_need),
        "key_worker": distinct(KeyWorker.name),
        "key_worker_type": distinct(KeyWorker.background),
        "age_group": distinct(Family.age_group),
        "referral_source": distinct(Family.referral_source),
    }
