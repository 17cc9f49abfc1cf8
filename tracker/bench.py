"""The performance benchmark behind ``tracker bench`` (see docs/benchmarks.md).

It builds a fresh store from a synthetic cohort of a given size and times what a
county or a national programme does most: importing scores, working out the cohort
figures, drawing the cohort page and the report card. The cohort figures are checked
against an independent DuckDB computation over the same CSV files before anything
is timed, so a fast wrong answer cannot pass.

DuckDB is imported inside the function that uses it, as it is a bench extra, not a
runtime dependency. The cohort page is drawn by ``scripts/bench_page.py`` in a child
process, because ``tracker`` never imports Streamlit.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from scipy import stats
from sqlalchemy.engine import Engine, make_url

from tracker.files.importing import import_files
from tracker.instruments.loader import Instrument, get_instrument
from tracker.measures.cohort import CohortFilter, cohort_figures
from tracker.measures.periods import financial_quarter, previous
from tracker.measures.reportcard import Scope, report_card
from tracker.store import migrate
from tracker.store.db import make_engine
from tracker.store.models import Assessment, Score

# Exactly what ``--json`` prints, in this order.
FIGURE_KEYS = (
    "families",
    "score_rows",
    "import_rows_per_s",
    "cohort_s",
    "cohort_filtered_s",
    "reference_duckdb_s",
    "ratio_to_duckdb",
    "page_cold_s",
    "page_warm_s",
    "report_card_s",
    "peak_rss_mb",
)
INSTRUMENT = "taf-dtt"
# The filtered cohort: one area and one tier that exist at every size the generator makes.
FILTER_AREA, FILTER_TIER = "Northfield", "tier 3"
# A fixed "as of" date, so every size and every run sees the same cohort.
AS_OF = date(2026, 11, 1)
RUNS = 5
# Steps slower than this are timed once: five more runs would add nothing but waiting.
REPEAT_BELOW_S = 10.0
RELIABLE_CHANGE_Z = 1.96
ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """The bench cannot run as asked (no PostgreSQL URL, figures that disagree...)."""


@dataclass(frozen=True)
class BenchSpec:
    families: int
    store: str = "sqlite"  # or "postgres", on the server DATABASE_URL points at
    database_url: str | None = None
    seed: int = 1
    workdir: Path | None = None  # keeps the CSVs and the SQLite file; a temp folder if None
    min_group: int = 5


def timed(step: Callable[[], object], *, before: Callable[[], None] | None = None) -> float:
    """Median seconds of five runs after a warm-up; the warm-up alone for slow steps."""

    def once() -> float:
        if before is not None:
            before()
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    first = once()
    if first >= REPEAT_BELOW_S:
        return first
    return statistics.median(once() for _ in range(RUNS))


def peak_rss_mb() -> float:
    """This process's peak resident memory (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- the workload


def cohort_csvs(families: int, seed: int, folder: Path) -> Path:
    """The generated canonical CSVs for this size, made once per folder.

    ``tracker generate`` runs as a child process so that the generator's memory
    does not count towards the benchmark's own peak.
    """
    target = folder / f"cohort-{families}-seed-{seed}"
    done = target / ".complete"
    if not done.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tracker",
                "generate",
                "--families",
                str(families),
                "--seed",
                str(seed),
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(target),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        done.touch()
    return target


@contextmanager
def fresh_database(spec: BenchSpec, folder: Path) -> Iterator[str]:
    """An empty database URL: a new SQLite file, or a new database on the PostgreSQL server."""
    if spec.store == "sqlite":
        path = folder / f"bench-{spec.families}.db"
        for leftover in folder.glob(f"{path.name}*"):
            leftover.unlink()
        yield f"sqlite:///{path}"
        return
    server = spec.database_url or os.environ.get("DATABASE_URL")
    if not server or make_url(server).get_backend_name() != "postgresql":
        raise BenchError(
            "--store postgres needs a PostgreSQL server: set DATABASE_URL (or pass "
            "--database-url) to postgresql+psycopg://user@host/db; the bench creates and "
            "drops its own database there"
        )
    name = f"tracker_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _import(engine: Engine, paths: list[Path]) -> None:
    report = import_files(engine, paths, today=AS_OF, actor="tracker bench")
    if not report.ok:
        raise BenchError(f"the generated files did not import: {report.errors[:3]}")


def _empty_scores(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(Score))
        connection.execute(sa.delete(Assessment))


# --------------------------------------------------------------------------- the reference


def load_duckdb(csvs: Path):
    """The families and scores CSVs as in-memory DuckDB tables, every cell as text."""
    import duckdb

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
# means and median, and the signed ranks of the non-zero changes with their ties.
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
figures AS (
    SELECT series, count(*) AS n, avg(baseline) AS mean_baseline, avg(latest) AS mean_latest,
           avg(change) AS mean_change, median(change) AS median_change,
           stddev_samp(change) AS sd_change, stddev_samp(baseline) AS sd_baseline,
           count(*) FILTER (WHERE change > 0) AS improved,
           count(*) FILTER (WHERE change = 0) AS same,
           count(*) FILTER (WHERE change < 0) AS worse
    FROM series GROUP BY series
)
SELECT f.*, coalesce(r.n_nonzero, 0) AS n_nonzero, r.rank_plus, t.tie_term, t.largest_tie
FROM figures f LEFT JOIN signed_ranks r USING (series) LEFT JOIN ties t USING (series)
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
    """Two-sided normal-approximation p with tie correction (scipy's default for ties)."""
    n = row["n_nonzero"]
    if not n:
        return None
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
    database, instrument: Instrument, *, area: str | None = None, tier: str | None = None
) -> dict:
    """The cohort figures, worked out by DuckDB alone from the loaded CSVs (unsuppressed)."""
    parameters = {
        "instrument": instrument.key,
        "direction": instrument.direction,
        "area": area,
        "tier": tier,
    }
    families, with_review = database.execute(COUNTS_SQL, parameters).fetchone()
    cursor = database.execute(FIGURES_SQL, parameters)
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


# --------------------------------------------------------------------------- the page


def page_times() -> tuple[float, float]:
    """The cohort page's cold and warm times, from ``scripts/bench_page.py`` in its own process.

    The store and group size come from the environment, as the app reads them.
    """
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_page.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"timing the cohort page failed: {done.stderr.strip()[-500:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    return times["page_cold_s"], times["page_warm_s"]


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --------------------------------------------------------------------------- the run


def run_bench(spec: BenchSpec, log: Callable[[str], None] = lambda text: None) -> dict:
    """Every figure of the benchmark, keyed as ``FIGURE_KEYS``."""
    instrument = get_instrument(INSTRUMENT)
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as scratch:
        folder = spec.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        log(f"generating {spec.families:,} families")
        csvs = cohort_csvs(spec.families, spec.seed, folder)
        with fresh_database(spec, folder) as database_url:
            engine = make_engine(database_url)
            try:
                return _measure(spec, engine, database_url, csvs, instrument, log)
            finally:
                engine.dispose()


def _measure(
    spec: BenchSpec,
    engine: Engine,
    database_url: str,
    csvs: Path,
    instrument: Instrument,
    log: Callable[[str], None],
) -> dict:
    migrate.upgrade(engine)
    scores_csv = csvs / "scores.csv"
    _import(engine, [csvs / "key_workers.csv", csvs / "families.csv"])
    log("importing scores")
    import_s = timed(lambda: _import(engine, [scores_csv]), before=lambda: _empty_scores(engine))
    with engine.connect() as connection:
        score_rows = connection.execute(sa.select(sa.func.count()).select_from(Score)).scalar()
    others = [path for path in sorted(csvs.glob("*.csv")) if path.stem in OTHER_FILES]
    _import(engine, others)

    whole = CohortFilter(instrument=instrument.key)
    filtered = CohortFilter(instrument=instrument.key, area=FILTER_AREA, tier_of_need=FILTER_TIER)

    def cohort(cohort_filter: CohortFilter) -> dict:
        with engine.connect() as connection:
            return cohort_figures(connection, cohort_filter, instrument, min_group=spec.min_group)

    log("checking the cohort figures against DuckDB")
    duck = load_duckdb(csvs)
    for cohort_filter, area, tier in ((whole, None, None), (filtered, FILTER_AREA, FILTER_TIER)):
        problems = disagreements(
            cohort(cohort_filter),
            reference_figures(duck, instrument, area=area, tier=tier),
            min_group=spec.min_group,
        )
        if problems:
            raise BenchError("tracker and DuckDB disagree: " + "; ".join(problems[:5]))

    log("timing the cohort figures")
    cohort_s = timed(lambda: cohort(whole))
    cohort_filtered_s = timed(lambda: cohort(filtered))
    reference_s = timed(lambda: reference_figures(duck, instrument))
    duck.close()

    log("timing the report card")
    quarter = previous(financial_quarter(AS_OF))

    def card() -> None:
        with engine.connect() as connection:
            report_card(connection, quarter, Scope(), instrument, min_group=spec.min_group)

    report_card_s = timed(card)

    log("timing the cohort page")
    with _environment(DATABASE_URL=database_url, TRACKER_MIN_GROUP=str(spec.min_group)):
        page_cold_s, page_warm_s = page_times()

    return {
        "families": spec.families,
        "score_rows": score_rows,
        "import_rows_per_s": score_rows / import_s,
        "cohort_s": cohort_s,
        "cohort_filtered_s": cohort_filtered_s,
        "reference_duckdb_s": reference_s,
        "ratio_to_duckdb": cohort_s / reference_s,
        "page_cold_s": page_cold_s,
        "page_warm_s": page_warm_s,
        "report_card_s": report_card_s,
        "peak_rss_mb": peak_rss_mb(),
    }


# The files imported after the timed score import, for the report card and the page.
OTHER_FILES = ("goals", "activities", "referrals_on", "feedback", "notes")


def as_table(figures: dict) -> str:
    """The figures as a two-column text table."""
    width = max(len(key) for key in figures)
    lines = []
    for key, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        lines.append(f"{key:<{width}}  {shown:>14}")
    return "\n".join(lines)
