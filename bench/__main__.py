"""The benchmark run, ``python -m bench`` (also ``tracker bench``): every figure at one size.

It builds a fresh store from a synthetic cohort of the given size and times what
a county or a national programme does most: importing scores, working out the
cohort figures, drawing the cohort page and the report card; in-process, and
again as whole processes run from outside (``tracker --help``, ``tracker cohort
--json``, ``tracker import``) beside a DuckDB script doing the same from the CSVs.
The cohort figures are checked against the independent DuckDB computation before
anything is timed, so a fast wrong answer cannot pass. docs/benchmarks.md says what
each figure is.
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
from bench.facts import load_average, started
from bench.process import measured, run_child
from bench.profiles import profiled
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
from tracker.store.journeys import Journey
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
    profile: Path | None = None  # a pyinstrument profile of each in-process step goes here


# ``tracker`` as a user runs it: the console script beside this interpreter, else the module.
_SCRIPT = Path(sys.executable).with_name("tracker")
TRACKER = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "tracker"]


def run_bench(spec: BenchSpec, log: Callable[[str], None] = lambda text: None) -> dict:
    """Every figure of the benchmark, in the order ``--json`` prints them."""
    facts = started(spec.store)
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
                figures = _measure(spec, engine, database_url, csvs, instrument, log)
            finally:
                engine.dispose()
    return {**facts, **figures, "load_average_end": load_average()}


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

    def empty() -> None:
        _empty_scores(engine)

    log("importing scores")
    import_s = timed(lambda: _import(engine, [scores_csv]), before=empty)
    profiled(spec.profile, "import", lambda: _import(engine, [scores_csv]), before=empty)
    with engine.connect() as connection:
        score_rows = connection.execute(sa.select(sa.func.count()).select_from(Score)).scalar()
    child_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRACKER_MIN_GROUP": str(spec.min_group),
    }
    log("importing scores with tracker import, a process of its own")
    import_cli = measured([*TRACKER, "import", str(scores_csv)], child_env, before=empty)
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
    cohort_cli = [*TRACKER, "cohort", "--instrument", instrument.key, "--json"]
    duckdb_script = [sys.executable, "-m", "bench.duckdb_cohort", str(csvs)]
    _check_script_agrees(cohort_cli, duckdb_script, child_env, spec.min_group)

    log("timing the cohort figures")
    cohort_s = timed(lambda: cohort(whole))
    cohort_filtered_s = timed(lambda: cohort(filtered))
    profiled(spec.profile, "cohort", lambda: cohort(whole))
    profiled(spec.profile, "cohort_filtered", lambda: cohort(filtered))
    reference_s = timed(lambda: reference_figures(duck, instrument))
    duck.close()

    log("timing tracker --help, tracker cohort --json and the DuckDB script as processes")
    help_s = measured([*TRACKER, "--help"], child_env).seconds
    cohort_cli_s = measured(cohort_cli, child_env).seconds
    duckdb_script_s = measured(duckdb_script, child_env).seconds

    log("timing the report card")
    quarter = previous(financial_quarter(AS_OF))

    def card() -> None:
        with engine.connect() as connection:
            report_card(
                connection, quarter, Scope(), instrument, min_group=spec.min_group, today=AS_OF
            )

    report_card_s = timed(card)
    profiled(spec.profile, "report_card", card)

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
        "help_s": help_s,
        "cohort_cli_s": cohort_cli_s,
        "duckdb_script_s": duckdb_script_s,
        "cli_ratio_to_duckdb": cohort_cli_s / duckdb_script_s,
        "import_cli_rows_per_s": score_rows / import_cli.seconds,
        "import_cli_peak_rss_mb": import_cli.peak_rss_mb,
    }


def _check_script_agrees(
    cohort_cli: list[str], duckdb_script: list[str], env: dict, min_group: int
) -> None:
    """``tracker cohort --json`` and the DuckDB script, each run once as a process, print
    the same figures; checked before either is timed."""
    ours = json.loads(run_child(cohort_cli, env).stdout)
    theirs = json.loads(run_child(duckdb_script, env).stdout)
    problems = disagreements(ours, theirs, min_group=min_group)
    if problems:
        raise BenchError(
            "tracker cohort --json and the DuckDB script disagree: " + "; ".join(problems[:5])
        )


def _import(engine: Engine, paths: list[Path]) -> None:
    report = import_files(engine, paths, today=AS_OF, actor="tracker bench")
    if not report.ok:
        raise BenchError(f"the generated files did not import: {report.errors[:3]}")


def _empty_scores(engine: Engine) -> None:
    """No assessments, scores or journeys: the store as before the scores were imported.
    PostgreSQL truncates (a DELETE of millions of rows takes minutes and leaves them dead);
    CASCADE names the tables that refer to assessments, all empty in the bench's own
    database at this point (invitations, say)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            tables = ", ".join(model.__tablename__ for model in (Score, Journey, Assessment))
            connection.exec_driver_sql(f"TRUNCATE {tables} CASCADE")
            return
        for model in (Score, Journey, Assessment):
            connection.execute(sa.delete(model))


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
        if isinstance(value, float):
            shown = f"{value:,.3f}"
        elif isinstance(value, int):
            shown = f"{value:,}"
        elif isinstance(value, list):  # a load average: 1, 5 and 15 minutes
            shown = " ".join(f"{part:.2f}" for part in value)
        else:
            shown = str(value)
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
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="write a pyinstrument profile (STEP.html, STEP.txt) of each in-process step here",
    )
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
        profile=args.profile,
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
