"""The cohort figures worked out again by DuckDB, independently, and the comparison with tracker's.

A fast wrong answer must not pass as a benchmark result, so before anything is
timed the bench checks ``cohort_figures`` against this computation over the same
CSV files. The SQL is written afresh (its own baseline and latest selection,
orientation, medians, signed ranks with tie correction, the exact count of sign
flips for small series, and reliable change) and shares no code with
``tracker.measures``; only the t quantile and the normal tail are taken in Python,
and the reliable-change threshold is the tracker's own rule, used as it stands.
Its running time is also the yardstick ``ratio_to_duckdb`` measures against.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
from scipy import stats

from bench.errors import BenchError
from tracker.instruments.loader import Instrument
from tracker.measures.reliable_change import RELIABLE_CHANGE_Z

# scipy's default signed-rank test counts every sign flip at or below this many pairs.
EXACT_PAIRS = 13


def load_duckdb(csvs: Path) -> duckdb.DuckDBPyConnection:
    """The families and scores CSVs as in-memory DuckDB tables, every cell as text."""
    database = duckdb.connect(":memory:")
    for name in ("families", "scores"):
        database.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(csvs / f"{name}.csv")],
        )
    return database


# Every assessment of the instrument by the chosen raters, then each family's first
# baseline and its latest later assessment (joint before worker on the same day), the
# domains scored at both ends, and each family's overall (mean of paired domains).
COHORT_CTES = """
WITH chosen AS (
    SELECT DISTINCT s.family_ref, s.occasion, CAST(s.assessed_on AS DATE) AS assessed_on,
           s.rater, CASE s.rater WHEN 'joint' THEN 0 ELSE 1 END AS precedence
    FROM scores s JOIN families f ON f.family_ref = s.family_ref
    WHERE s.instrument = $instrument AND s.rater IN ('worker', 'joint')
      AND ($area IS NULL OR f.area = $area) AND ($tier IS NULL OR f.tier_of_need = $tier)
),
baseline AS (
    SELECT family_ref, assessed_on AS baseline_on, rater AS baseline_rater
    FROM chosen WHERE occasion = 'baseline'
    QUALIFY row_number() OVER (PARTITION BY family_ref ORDER BY assessed_on, precedence) = 1
),
latest AS (
    SELECT c.family_ref, c.assessed_on AS latest_on, c.rater AS latest_rater
    FROM chosen c JOIN baseline b ON b.family_ref = c.family_ref
    WHERE c.assessed_on > b.baseline_on
    QUALIFY row_number() OVER (
        PARTITION BY c.family_ref ORDER BY c.assessed_on DESC, c.precedence
    ) = 1
),
scored AS (
    SELECT family_ref, CAST(assessed_on AS DATE) AS assessed_on, rater, domain,
           TRY_CAST(score AS DOUBLE) AS value
    FROM scores WHERE instrument = $instrument AND TRY_CAST(score AS DOUBLE) IS NOT NULL
),
changes AS (
    SELECT b.family_ref, sb.domain, sb.value AS baseline, sl.value AS latest,
           (sl.value - sb.value) * $direction AS change
    FROM baseline b
    JOIN latest l ON l.family_ref = b.family_ref
    JOIN scored sb ON sb.family_ref = b.family_ref AND sb.assessed_on = b.baseline_on
                  AND sb.rater = b.baseline_rater
    JOIN scored sl ON sl.family_ref = b.family_ref AND sl.assessed_on = l.latest_on
                  AND sl.rater = l.latest_rater AND sl.domain = sb.domain
),
overall AS (
    SELECT family_ref, avg(baseline) AS baseline, avg(latest) AS latest, avg(change) AS change
    FROM changes GROUP BY family_ref
)
"""

COUNTS_SQL = COHORT_CTES + "SELECT (SELECT count(*) FROM baseline), (SELECT count(*) FROM latest)"

# Per series of changes (each domain, and the families' overall changes): the counts,
# means and median, and the signed ranks of the non-zero changes with their ties. For a
# series of at most $exact_pairs pairs, also the exact p: every way of giving the non-zero
# changes signs (one bit each of a mask), and the share of rank sums at least as extreme.
FIGURES_SQL = (
    COHORT_CTES
    + """
, series AS (
    SELECT domain AS series, baseline, latest, change FROM changes
    UNION ALL
    SELECT '*overall' AS series, baseline, latest, change FROM overall
),
nonzero AS (
    SELECT series, change, abs(change) AS size,
           rank() OVER (PARTITION BY series ORDER BY abs(change))
             + (count(*) OVER (PARTITION BY series, abs(change)) - 1) / 2.0 AS rank
    FROM series WHERE change <> 0
),
signed_ranks AS (
    SELECT series, count(*) AS n_nonzero,
           coalesce(sum(rank) FILTER (WHERE change > 0), 0) AS rank_plus
    FROM nonzero GROUP BY series
),
ties AS (
    SELECT series, sum(t * t * t - t) AS tie_term, max(t) AS largest_tie
    FROM (SELECT series, size, count(*) AS t FROM nonzero GROUP BY series, size)
    GROUP BY series
),
numbered AS (
    SELECT series, rank, row_number() OVER (PARTITION BY series ORDER BY size) - 1 AS bit
    FROM nonzero
    WHERE series IN (SELECT series FROM series GROUP BY series HAVING count(*) <= $exact_pairs)
),
flips AS (
    SELECT nb.series, masks.mask,
           coalesce(sum(nb.rank) FILTER (WHERE (masks.mask >> nb.bit) & 1 = 1), 0) AS rank_plus
    FROM numbered nb
    JOIN (SELECT series, count(*) AS k FROM numbered GROUP BY series) sizes USING (series)
    JOIN range(1 << $exact_pairs) AS masks(mask) ON masks.mask < (1 << sizes.k)
    GROUP BY nb.series, masks.mask
),
exact AS (
    SELECT f.series,
           least(1, 2 * least(avg((f.rank_plus <= r.rank_plus)::INT),
                              avg((f.rank_plus >= r.rank_plus)::INT))) AS exact_p
    FROM flips f JOIN signed_ranks r ON r.series = f.series
    GROUP BY f.series
),
figures AS (
    SELECT series, count(*) AS n, avg(baseline) AS mean_baseline, avg(latest) AS mean_latest,
           avg(change) AS mean_change, median(change) AS median_change,
           stddev_samp(change) AS sd_change, stddev_samp(baseline) AS sd_baseline,
           count(*) FILTER (WHERE change > 0) AS improved,
           count(*) FILTER (WHERE change = 0) AS same,
           count(*) FILTER (WHERE change < 0) AS worse
    FROM series GROUP BY series
)
SELECT f.*, coalesce(r.n_nonzero, 0) AS n_nonzero, r.rank_plus, t.tie_term, t.largest_tie,
       e.exact_p
FROM figures f LEFT JOIN signed_ranks r USING (series) LEFT JOIN ties t USING (series)
     LEFT JOIN exact e USING (series)
"""
)

RELIABLE_SQL = (
    COHORT_CTES
    + """
SELECT count(*) FILTER (WHERE change / $s_diff > $z),
       count(*) FILTER (WHERE change / $s_diff < -$z),
       count(*) FILTER (WHERE change / $s_diff BETWEEN -$z AND $z)
FROM overall
"""
)


def _wilcoxon_p(row: dict) -> float | None:
    """Two-sided signed-rank p as scipy's defaults give it.

    Up to ``EXACT_PAIRS`` pairs, the exact share over every sign flip (from the SQL);
    above, the normal approximation with tie correction and no continuity correction.
    """
    n = row["n_nonzero"]
    if not n:
        return None
    if row["n"] <= EXACT_PAIRS:
        return row["exact_p"]
    if n <= 50 and not (row["largest_tie"] > 1 or n < row["n"]):
        raise BenchError("the reference covers the tied or zero case only (as the bench's data)")
    mean = n * (n + 1) / 4
    se = math.sqrt((n * (n + 1) * (2 * n + 1) - row["tie_term"] / 2) / 24)
    return math.erfc(abs(row["rank_plus"] - mean) / se / math.sqrt(2))


def _pct(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _series_figures(row: dict) -> dict:
    n = row["n"]
    return {
        "n": n,
        "mean_baseline": row["mean_baseline"],
        "mean_latest": row["mean_latest"],
        "mean_change": row["mean_change"],
        "median_change": row["median_change"],
        "improved": row["improved"],
        "same": row["same"],
        "worse": row["worse"],
        "pct_improved": _pct(row["improved"], n),
        "pct_same": _pct(row["same"], n),
        "pct_worse": _pct(row["worse"], n),
        "wilcoxon_p": _wilcoxon_p(row),
    }


def reference_figures(
    database: duckdb.DuckDBPyConnection,
    instrument: Instrument,
    *,
    area: str | None = None,
    tier: str | None = None,
) -> dict:
    """The cohort figures, worked out by DuckDB alone from the loaded CSVs (unsuppressed)."""
    parameters = {
        "instrument": instrument.key,
        "direction": instrument.direction,
        "area": area,
        "tier": tier,
    }
    families, with_review = database.execute(COUNTS_SQL, parameters).fetchone()
    cursor = database.execute(FIGURES_SQL, {**parameters, "exact_pairs": EXACT_PAIRS})
    names = [column[0] for column in cursor.description]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    overall = rows.pop("*overall", None)
    result = {
        "families": families,
        "with_review": with_review,
        "awaiting_review": families - with_review,
        "overall": None,
        "domains": [
            {"domain": key, **_series_figures(rows[key])} if key in rows else {"domain": key}
            for key in instrument.domain_keys
        ],
    }
    if overall is None:
        return result
    n, mean, sd = overall["n"], overall["mean_change"], overall["sd_change"]
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n >= 2 else None
    s_diff = (
        overall["sd_baseline"] * math.sqrt(2 * (1 - instrument.reliability))
        if n >= 2 and overall["sd_baseline"]
        else None
    )
    reliable = dict.fromkeys(("improvement", "deterioration", "no_change"))
    if s_diff:
        counts = database.execute(
            RELIABLE_SQL, {**parameters, "s_diff": s_diff, "z": RELIABLE_CHANGE_Z}
        ).fetchone()
        reliable = dict(zip(reliable, counts, strict=True))
    result["overall"] = {
        **_series_figures(overall),
        "mean_change_ci_low": mean - half if half is not None else None,
        "mean_change_ci_high": mean + half if half is not None else None,
        "effect_size_dz": mean / sd if sd else None,
        "reliable_improvement": reliable["improvement"],
        "reliable_deterioration": reliable["deterioration"],
        "no_reliable_change": reliable["no_change"],
        "pct_reliable_improvement": _pct(reliable["improvement"], n) if s_diff else None,
        "pct_reliable_deterioration": _pct(reliable["deterioration"], n) if s_diff else None,
        "pct_no_reliable_change": _pct(reliable["no_change"], n) if s_diff else None,
        "reliable_change_sd": s_diff,
    }
    return result


def _same_number(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


def disagreements(tracker: dict, reference: dict, *, min_group: int) -> list[str]:
    """Where ``tracker cohort --json`` figures differ from the reference; empty when they agree.

    A figure the tracker suppressed must rest on fewer than ``min_group`` families in
    the reference; every other figure must be equal (floats to 1e-9 relative).
    """
    found = []

    def compare(where: str, ours: dict | None, theirs: dict | None, n: int) -> None:
        if ours is None or theirs is None:
            if not (ours is None and (theirs is None or n < min_group)):
                found.append(f"{where}: tracker {ours!r}, reference {theirs!r}")
            return
        for key, value in theirs.items():
            if key == "domain" or (ours.get(key) is None and n < min_group):
                continue
            if not _same_number(ours.get(key), value):
                found.append(f"{where}.{key}: tracker {ours.get(key)!r}, reference {value!r}")

    for key in ("families", "with_review", "awaiting_review"):
        ours, theirs = tracker[key], reference[key]
        if not (_same_number(ours, theirs) or (ours is None and 0 < theirs < min_group)):
            found.append(f"{key}: tracker {ours!r}, reference {theirs!r}")
    overall_n = reference["overall"]["n"] if reference["overall"] else 0
    compare("overall", tracker["overall"], reference["overall"], overall_n)
    for ours, theirs in zip(tracker["domains"], reference["domains"], strict=True):
        compare(f"domains[{theirs['domain']}]", ours, theirs, theirs.get("n", 0))
    return found
