"""The cohort figures worked out again by DuckDB, independently, and the comparison with tracker's.

A fast wrong answer must not pass as a benchmark result, so before anything is
timed the bench checks ``cohort_figures`` against this computation over the same
CSV files. The SQL is written afresh (its own journeys, baseline, first review and
latest selection, orientation, medians, signed ranks with tie correction, the exact
count of sign flips for small series, the service's yardstick with Cronbach's alpha,
and reliable change) and shares no code with ``tracker.measures``; only the t quantile
and the normal tail are taken in Python, and the 1.96 of reliable change is the
tracker's own constant, used as it stands. Its running time is also the yardstick
``ratio_to_duckdb`` measures against.
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
# The yardstick's reliability without enough complete baselines to estimate it.
FALLBACK_RELIABILITY, FEWEST_COMPLETE = 0.70, 30


def load_duckdb(csvs: Path) -> duckdb.DuckDBPyConnection:
    """The families and scores CSVs as in-memory DuckDB tables, every cell as text."""
    database = duckdb.connect(":memory:")
    for name in ("families", "scores"):
        database.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(csvs / f"{name}.csv")],
        )
    return database


# Every first baseline in the service (worker or joint, joint first on a day, no filter),
# its scores on the instrument's domains, and what the yardstick is made of: the SD of
# the families' mean baseline scores, and Cronbach's alpha over the families that scored
# every domain (k/(k-1) x (1 - sum of the domains' variances / variance of the totals)).
YARDSTICK_SQL = """
WITH firsts AS (
    SELECT DISTINCT family_ref, CAST(assessed_on AS DATE) AS assessed_on, rater,
           CASE rater WHEN 'joint' THEN 0 ELSE 1 END AS precedence
    FROM scores
    WHERE instrument = $instrument AND occasion = 'baseline' AND rater IN ('worker', 'joint')
    QUALIFY row_number() OVER (PARTITION BY family_ref ORDER BY assessed_on, precedence) = 1
),
items AS (
    SELECT f.family_ref, s.domain, TRY_CAST(s.score AS DOUBLE) AS value
    FROM firsts f JOIN scores s
      ON s.family_ref = f.family_ref AND CAST(s.assessed_on AS DATE) = f.assessed_on
     AND s.rater = f.rater AND s.occasion = 'baseline' AND s.instrument = $instrument
    WHERE TRY_CAST(s.score AS DOUBLE) IS NOT NULL AND list_contains($domains, s.domain)
),
means AS (SELECT family_ref, avg(value) AS mean FROM items GROUP BY family_ref),
complete AS (
    SELECT family_ref, sum(value) AS total FROM items
    GROUP BY family_ref HAVING count(DISTINCT domain) = len($domains)
),
spreads AS (
    SELECT domain, var_samp(value) AS spread FROM items
    WHERE family_ref IN (SELECT family_ref FROM complete) GROUP BY domain
)
SELECT (SELECT stddev_samp(mean) FROM means), (SELECT count(*) FROM means),
       (SELECT count(*) FROM complete), (SELECT sum(spread) FROM spreads),
       (SELECT var_samp(total) FROM complete)
"""

# Every assessment of the instrument by the chosen raters; each day with a baseline starts
# a journey, the first is the family's. Its assessments are those after its baseline and
# before the next baseline: the latest is the newest, the first review the oldest (joint
# before worker on a day). Then the domains scored at both ends, each family's overall
# (mean of paired domains) and the same at the first review.
COHORT_CTES = """
WITH chosen AS (
    SELECT DISTINCT s.family_ref, s.occasion, CAST(s.assessed_on AS DATE) AS assessed_on,
           s.rater, CASE s.rater WHEN 'joint' THEN 0 ELSE 1 END AS precedence
    FROM scores s JOIN families f ON f.family_ref = s.family_ref
    WHERE s.instrument = $instrument AND s.rater IN ('worker', 'joint')
      AND ($area IS NULL OR f.area = $area) AND ($tier IS NULL OR f.tier_of_need = $tier)
),
baseline_days AS (
    SELECT family_ref, assessed_on, rater FROM chosen WHERE occasion = 'baseline'
    QUALIFY row_number() OVER (PARTITION BY family_ref, assessed_on ORDER BY precedence) = 1
),
starts AS (
    SELECT family_ref, assessed_on AS baseline_on, rater AS baseline_rater,
           row_number() OVER (PARTITION BY family_ref ORDER BY assessed_on) AS journey,
           lead(assessed_on) OVER (PARTITION BY family_ref ORDER BY assessed_on) AS next_on
    FROM baseline_days
),
baseline AS (SELECT * FROM starts WHERE journey = 1),
journey AS (
    SELECT c.family_ref, c.assessed_on, c.rater, c.precedence
    FROM chosen c JOIN baseline b ON b.family_ref = c.family_ref
    WHERE c.assessed_on > b.baseline_on AND (b.next_on IS NULL OR c.assessed_on < b.next_on)
),
latest AS (
    SELECT family_ref, assessed_on AS latest_on, rater AS latest_rater FROM journey
    QUALIFY row_number() OVER (PARTITION BY family_ref ORDER BY assessed_on DESC, precedence) = 1
),
first_review AS (
    SELECT family_ref, assessed_on AS review_on, rater AS review_rater FROM journey
    QUALIFY row_number() OVER (PARTITION BY family_ref ORDER BY assessed_on, precedence) = 1
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
    SELECT family_ref, count(*) AS domains, avg(baseline) AS baseline, avg(latest) AS latest,
           avg(change) AS change
    FROM changes GROUP BY family_ref
),
early AS (
    SELECT b.family_ref, avg((sr.value - sb.value) * $direction) AS change
    FROM baseline b
    JOIN first_review r ON r.family_ref = b.family_ref
    JOIN scored sb ON sb.family_ref = b.family_ref AND sb.assessed_on = b.baseline_on
                  AND sb.rater = b.baseline_rater
    JOIN scored sr ON sr.family_ref = b.family_ref AND sr.assessed_on = r.review_on
                  AND sr.rater = r.review_rater AND sr.domain = sb.domain
    GROUP BY b.family_ref
)
"""

COUNTS_SQL = (
    COHORT_CTES
    + """
SELECT (SELECT count(*) FROM baseline), (SELECT count(*) FROM latest),
       (SELECT count(*) FROM early WHERE change < 0),
       (SELECT count(*) FROM starts WHERE journey > 1)
"""
)

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

# A family is classified only when at least half the domains are paired.
RELIABLE_SQL = (
    COHORT_CTES
    + """
SELECT count(*) FILTER (WHERE change / $s_diff > $z AND 2 * domains >= len($domains)),
       count(*) FILTER (WHERE change / $s_diff < -$z AND 2 * domains >= len($domains)),
       count(*) FILTER (WHERE change / $s_diff BETWEEN -$z AND $z
                        AND 2 * domains >= len($domains)),
       count(*) FILTER (WHERE 2 * domains < len($domains))
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


def _sign_test_p(row: dict) -> float | None:
    """Exact two-sided sign test of improved against worse, ties left out: twice the
    smaller binomial tail at one half, at most 1."""
    tries = row["improved"] + row["worse"]
    if not tries:
        return None
    fewer = min(row["improved"], row["worse"])
    return min(1.0, 2 * float(stats.binom.cdf(fewer, tries, 0.5)))


def reference_yardstick(database: duckdb.DuckDBPyConnection, instrument: Instrument) -> dict:
    """The service's yardstick from every first baseline (declared figures win)."""
    domains = list(instrument.domain_keys)
    sd, families, complete, item_spread, total_spread = database.execute(
        YARDSTICK_SQL, {"instrument": instrument.key, "domains": domains}
    ).fetchone()
    k = len(domains)
    alpha = (
        k / (k - 1) * (1 - item_spread / total_spread)
        if complete >= FEWEST_COMPLETE and k > 1 and total_spread
        else None
    )
    if instrument.reliability is not None:
        reliability = instrument.reliability.value
    else:
        reliability = alpha if alpha is not None and 0 < alpha < 1 else FALLBACK_RELIABILITY
    if instrument.reference_sd is not None:
        sd = instrument.reference_sd.value
    sd = sd or None  # no spread, or fewer than two families: no yardstick
    return {
        "reference_sd": sd,
        "reliability": reliability,
        "n_reference": families,
        "s_diff": sd * math.sqrt(2 * (1 - reliability)) if sd else None,
    }


def _standardised_response_mean(mean: float, sd: float | None, n: int) -> dict:
    """Mean change ÷ SD of change, with ± 1.96 × √(1/n + SRM²/(2n)); null without spread."""
    if not sd or n < 2:
        return {}
    srm = mean / sd
    half = 1.96 * math.sqrt(1 / n + srm**2 / (2 * n))
    return {
        "standardised_response_mean": srm,
        "standardised_response_mean_ci_low": srm - half,
        "standardised_response_mean_ci_high": srm + half,
    }


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
    yardstick = reference_yardstick(database, instrument)
    families, with_review, early, later = database.execute(COUNTS_SQL, parameters).fetchone()
    cursor = database.execute(FIGURES_SQL, {**parameters, "exact_pairs": EXACT_PAIRS})
    names = [column[0] for column in cursor.description]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    overall = rows.pop("*overall", None)
    result = {
        "families": families,
        "with_review": with_review,
        "awaiting_review": families - with_review,
        "early_worsening": early,
        "pct_early_worsening": _pct(early, with_review),
        "later_journeys": later,
        "yardstick": yardstick,
        "overall": None,
        "domains": [
            {"domain": key, **_series_figures(rows[key]), "sign_test_p": _sign_test_p(rows[key])}
            if key in rows
            else {"domain": key}
            for key in instrument.domain_keys
        ],
    }
    if overall is None:
        return result
    n, mean, sd = overall["n"], overall["mean_change"], overall["sd_change"]
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n >= 2 else None
    s_diff = yardstick["s_diff"]
    reliable = dict.fromkeys(("improvement", "deterioration", "no_change", "unclassifiable"))
    if s_diff:
        counts = database.execute(
            RELIABLE_SQL,
            {
                **parameters,
                "s_diff": s_diff,
                "z": RELIABLE_CHANGE_Z,
                "domains": list(instrument.domain_keys),
            },
        ).fetchone()
        reliable = dict(zip(reliable, counts, strict=True))
    result["overall"] = {
        **_series_figures(overall),
        "wilcoxon_p": _wilcoxon_p(overall),
        "mean_change_ci_low": mean - half if half is not None else None,
        "mean_change_ci_high": mean + half if half is not None else None,
        **_standardised_response_mean(mean, sd, n),
        "reliable_improvement": reliable["improvement"],
        "reliable_deterioration": reliable["deterioration"],
        "no_reliable_change": reliable["no_change"],
        "pct_reliable_improvement": _pct(reliable["improvement"], n) if s_diff else None,
        "pct_reliable_deterioration": _pct(reliable["deterioration"], n) if s_diff else None,
        "pct_no_reliable_change": _pct(reliable["no_change"], n) if s_diff else None,
        **(
            {
                "not_classifiable": reliable["unclassifiable"],
                "pct_not_classifiable": _pct(reliable["unclassifiable"], n),
            }
            if s_diff
            else {}
        ),
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

    # A count, and the figure hidden whenever it is (the count, or what it rests on, small).
    counted = {
        "families": ("families",),
        "with_review": ("with_review",),
        "awaiting_review": ("awaiting_review",),
        "early_worsening": ("early_worsening", "with_review"),
        "pct_early_worsening": ("early_worsening", "with_review"),
        "later_journeys": ("later_journeys",),
    }
    for key, resting_on in counted.items():
        ours, theirs = tracker[key], reference[key]
        small = any(0 < reference[count] < min_group for count in resting_on)
        if not (_same_number(ours, theirs) or (ours is None and small)):
            found.append(f"{key}: tracker {ours!r}, reference {theirs!r}")
    for key, theirs in reference["yardstick"].items():
        ours = tracker["yardstick"][key]
        if not _same_number(ours, theirs):
            found.append(f"yardstick.{key}: tracker {ours!r}, reference {theirs!r}")
    overall_n = reference["overall"]["n"] if reference["overall"] else 0
    compare("overall", tracker["overall"], reference["overall"], overall_n)
    for ours, theirs in zip(tracker["domains"], reference["domains"], strict=True):
        compare(f"domains[{theirs['domain']}]", ours, theirs, theirs.get("n", 0))
    return found
