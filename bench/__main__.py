"""The benchmark run, ``python -m bench`` (also ``tracker bench``): every figure at one size.

It builds a fresh store from a synthetic cohort of the given size and times what
a county or a national programme does most: importing scores, working out the
cohort figures, drawing the cohort page and the report card. The cohort figures
are checked against the independent DuckDB computation before anything is timed,
so a fast wrong answer cannot pass. docs/benchmarks.md says what each figure is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.errors import BenchError
from bench.reference import disagreements, load_duckdb, reference_figures
from bench.scratch import fresh_database
from bench.timing import peak_rss_mb, timed
from bench.workload import AS_OF, FILTER_AREA, FILTER_TIER, INSTRUMENT, OTHER_FILES, cohort_csvs
from tracker.cli.common import EXIT_INVALID, EXIT_OK, non_negative_int, reporting_errors
from tracker.files.importing import import_files
from tracker.instruments.loader import Instrument, get_instrument
from tracker.measures.cohort import CohortFilter, cohort_figures
from tracker.measures.periods import financial_quarter, previous
from tracker.measures.reportcard import Scope, report_card
from tracker.store import migrate
from tracker.store.db import make_engine
from tracker.store.models import Assessment, Score
from tracker.store.settings import get_settings


@dataclass(frozen=True)
class BenchSpec:
    families: int
    store: str = "sqlite"  # or "postgres", on the server DATABASE_URL points at
    database_url: str | None = None
    seed: int = 1
    workdir: Path | None = None  # keeps the CSVs and the SQLite file; a temp folder if None
    min_group: int = 5


def run_bench(spec: BenchSpec, log: Callable[[str], None] = lambda text: None) -> dict:
    """Every figure of the benchmark, in the order ``--json`` prints them."""
    instrument = get_instrument(INSTRUMENT)
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as scratch:
        folder = spec.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        log(f"generating {spec.families:,} families")
        csvs = cohort_csvs(spec.families, spec.seed, folder)
        with fresh_database(
            spec.store, folder, families=spec.families, server_url=spec.database_url
        ) as database_url:
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
            report_card(
                connection, quarter, Scope(), instrument, min_group=spec.min_group, today=AS_OF
            )

    report_card_s = timed(card)

    log("timing the cohort page")
    page_cold_s, page_warm_s = _page_times(database_url, spec.min_group)

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


def _import(engine: Engine, paths: list[Path]) -> None:
    report = import_files(engine, paths, today=AS_OF, actor="tracker bench")
    if not report.ok:
        raise BenchError(f"the generated files did not import: {report.errors[:3]}")


def _empty_scores(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(Score))
        connection.execute(sa.delete(Assessment))


def _page_times(database_url: str, min_group: int) -> tuple[float, float]:
    """The cohort page's cold and warm times, from ``python -m bench.page`` on this store."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.page"],
        env={**os.environ, "DATABASE_URL": database_url, "TRACKER_MIN_GROUP": str(min_group)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"timing the cohort page failed: {done.stderr.strip()[-500:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    return times["page_cold_s"], times["page_warm_s"]


def as_table(figures: dict) -> str:
    """The figures as a two-column text table."""
    width = max(len(key) for key in figures)
    lines = []
    for key, value in figures.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        lines.append(f"{key:<{width}}  {shown:>14}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Time import, cohort figures, page and report card at a given size "
            "(also run as tracker bench; see docs/benchmarks.md)."
        ),
    )
    parser.add_argument("--families", type=non_negative_int, required=True, metavar="N")
    parser.add_argument(
        "--store",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres uses the server DATABASE_URL (or --database-url) points at",
    )
    parser.add_argument("--database-url", metavar="URL", help="the PostgreSQL server to use")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="keep the generated CSVs (reused next time) and the SQLite file here",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    spec = BenchSpec(
        families=args.families,
        store=args.store,
        database_url=args.database_url,
        seed=args.seed,
        workdir=args.workdir,
        min_group=get_settings().min_group,
    )

    def bench() -> int:
        try:
            figures = run_bench(spec, log=lambda text: print(f"bench: {text}", file=sys.stderr))
        except BenchError as error:
            print(f"tracker: {error}", file=sys.stderr)
            return EXIT_INVALID
        print(json.dumps(figures) if args.json else as_table(figures))
        return EXIT_OK

    return reporting_errors(bench)


if __name__ == "__main__":
    raise SystemExit(main())
