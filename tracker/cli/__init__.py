"""The ``tracker`` command line: set up, import, report and export without a browser."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tracker.files.backup import BackupError, backup, restore
from tracker.files.exporting import (
    canonical_frames,
    canonical_workbook,
    canonical_zip,
    write_canonical_csvs,
)
from tracker.files.importing import ImportReport, import_files
from tracker.files.research import ResearchExportError, research_zip
from tracker.files.sample import SampleSpec, generate, sample_end_date
from tracker.files.template import offline_form
from tracker.instruments.loader import InstrumentError, get_instrument
from tracker.measures.cohort import CohortFilter, cohort_figures
from tracker.measures.periods import Period, custom, financial_quarter, financial_year
from tracker.measures.reportcard import Scope, card_as_dict, report_card
from tracker.measures.scoring import BASELINE_RULES, FIRST_BASELINE
from tracker.people.audit import record
from tracker.people.auth import (
    create_demo_accounts,
    create_user,
    reset_password,
    set_active,
    users_frame,
)
from tracker.render.reportcard_export import card_html, card_pdf, card_xlsx
from tracker.store import migrate
from tracker.store.db import make_engine, read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import ROLES, Family
from tracker.store.settings import get_settings
from tracker.store.vocabulary import AGE_GROUPS, DEFAULT_RATERS, KEY_WORKER_BACKGROUNDS, RATERS

RATER_VIEWS = {
    "worker+joint": DEFAULT_RATERS,
    **{rater: (rater,) for rater in RATERS},
}

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from error


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker",
        description="Distance Travelled: outcomes tracker for family-support services.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create or upgrade the database schema")
    init.add_argument(
        "--sample",
        action="store_true",
        help="load the synthetic sample cohort if the database has no families yet",
    )

    load = commands.add_parser("import", help="import canonical CSV files, all or nothing")
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load.add_argument(
        "--replace",
        action="store_true",
        help="allow the files to overwrite stored values that differ",
    )
    load.add_argument("--dry-run", action="store_true", help="validate only; write nothing")

    cohort = commands.add_parser("cohort", help="distance travelled across a cohort")
    cohort.add_argument("--instrument", required=True, metavar="KEY")
    cohort.add_argument("--area")
    cohort.add_argument("--tier", help='tier of need, e.g. "tier 2-3"')
    cohort.add_argument("--key-worker")
    cohort.add_argument(
        "--key-worker-type",
        choices=list(KEY_WORKER_BACKGROUNDS),
        help="the key worker's professional background",
    )
    cohort.add_argument(
        "--age-group", choices=list(AGE_GROUPS), help="age group of the youngest child"
    )
    cohort.add_argument("--referral-source")
    cohort.add_argument("--status", choices=["open", "closed"], help="open or closed cases only")
    cohort.add_argument(
        "--baseline",
        choices=list(BASELINE_RULES),
        default=FIRST_BASELINE,
        help="which assessment counts as the baseline (default: first)",
    )
    cohort.add_argument(
        "--rater",
        choices=list(RATER_VIEWS),
        default="worker+joint",
        help="whose ratings to use (default: worker and joint)",
    )
    cohort.add_argument(
        "--from",
        dest="baseline_from",
        type=_iso_date,
        metavar="DATE",
        help="baselines on or after this date",
    )
    cohort.add_argument(
        "--to",
        dest="baseline_to",
        type=_iso_date,
        metavar="DATE",
        help="baselines on or before this date",
    )
    cohort.add_argument(
        "--min-group",
        type=_positive_int,
        default=None,
        metavar="N",
        help="suppress groups smaller than N families (default from settings)",
    )
    cohort.add_argument("--json", action="store_true", help="print one JSON object")

    export = commands.add_parser("export", help="write the canonical files (full export)")
    export.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR|FILE",
        help="a folder for csv; a file for zip or xlsx",
    )
    export.add_argument("--format", choices=["csv", "zip", "xlsx"], default="csv")

    research = commands.add_parser(
        "research-export", help="a pseudonymised extract of consenting families (zip)"
    )
    research.add_argument("--out", required=True, type=Path, metavar="FILE.zip")

    save = commands.add_parser("backup", help="a consistent copy of the database")
    save.add_argument("--out", required=True, type=Path, metavar="FILE")

    load_backup = commands.add_parser("restore", help="restore a backup into an empty database")
    load_backup.add_argument("file", type=Path, metavar="FILE")

    card = commands.add_parser("report-card", help="the RBA report card for a period")
    card.add_argument("--from", dest="period_from", type=_iso_date, required=True, metavar="DATE")
    card.add_argument("--to", dest="period_to", type=_iso_date, required=True, metavar="DATE")
    card.add_argument("--area")
    card.add_argument("--tier", help='tier of need, e.g. "tier 3"')
    card.add_argument("--key-worker-type", choices=list(KEY_WORKER_BACKGROUNDS))
    card.add_argument(
        "--instrument",
        default="taf-dtt",
        metavar="KEY",
        help="the tool distance travelled is measured on (default: taf-dtt)",
    )
    card.add_argument("--min-group", type=_positive_int, default=None, metavar="N")
    card.add_argument("--format", choices=["json", "html", "pdf", "xlsx"], required=True)
    card.add_argument("--out", type=Path, required=True, metavar="FILE")

    form = commands.add_parser("template", help="a blank offline Excel form for an instrument")
    form.add_argument("--instrument", required=True, metavar="KEY")
    form.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")

    users = commands.add_parser("users", help="manage sign-in accounts")
    user_commands = users.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add an account (prompts for the password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--display-name", default="")
    add.add_argument("--key-worker", help="the key worker record a practitioner works as")
    add.add_argument("--email", help="for sign-in through the organisation (OIDC)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    user_commands.add_parser("list", help="list the accounts")
    for name, text in (
        ("disable", "stop an account signing in"),
        ("enable", "let a disabled account sign in again"),
    ):
        action = user_commands.add_parser(name, help=text)
        action.add_argument("username")
    reset = user_commands.add_parser("reset-password", help="set a new password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")

    gen = commands.add_parser("generate", help="write a synthetic cohort as canonical CSVs")
    gen.add_argument("--families", type=_positive_int, default=120, metavar="N")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="DATE",
        help="the last date in the data (default: yesterday)",
    )
    gen.add_argument("--out", required=True, type=Path, metavar="DIR")

    bench = commands.add_parser(
        "bench", help="time import, cohort figures, page and report card at a given size"
    )
    bench.add_argument("--families", type=_positive_int, required=True, metavar="N")
    bench.add_argument(
        "--store",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres uses the server DATABASE_URL (or --database-url) points at",
    )
    bench.add_argument("--database-url", metavar="URL", help="the PostgreSQL server to use")
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="keep the generated CSVs (reused next time) and the SQLite file here",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _print_report(report: ImportReport) -> None:
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if not report.ok:
        print(
            f"Import refused: {len(report.errors)} problem(s). Nothing was written.",
            file=sys.stderr,
        )
        return
    verb = "Would import" if report.dry_run else "Imported"
    for kind, counts in report.counts.items():
        print(
            f"{verb} {kind}: {counts.get('new', 0)} new, {counts.get('unchanged', 0)} unchanged, "
            f"{counts.get('replaced', 0)} replaced"
        )
    if not report.changed_anything:
        print("Nothing changed: every row is already stored.")
    elif report.dry_run:
        print("Dry run: nothing was written.")


def command_init(args) -> int:
    engine = make_engine()
    migrate.upgrade(engine)
    print(f"Database is at schema revision {migrate.current_revision(engine)}.")
    if not args.sample:
        return EXIT_OK
    with read_session(engine) as session:
        has_families = session.execute(sa.select(sa.func.count(Family.id))).scalar_one() > 0
    if has_families:
        print("Sample data not loaded: the database already has families.")
        return EXIT_OK
    spec = SampleSpec(as_of=sample_end_date(date.today()))
    with tempfile.TemporaryDirectory() as folder:
        paths = write_canonical_csvs(generate(spec), Path(folder))
        report = import_files(engine, paths, actor="tracker init --sample")
    _print_report(report)
    if not report.ok:
        return EXIT_INVALID
    if get_settings().environment == "production":
        print("No demo accounts: TRACKER_ENV is production.")
        return EXIT_OK
    with write_session(engine) as session:
        password = create_demo_accounts(session)
    if password:
        print(
            "\nDemo accounts, one per role: demo-practitioner, demo-manager, "
            "demo-commissioner, demo-admin."
        )
        print(f"Their password (shown only this once): {password}\n")
    return EXIT_OK


def command_import(args) -> int:
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"No such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    report = import_files(make_engine(), args.files, replace=args.replace, dry_run=args.dry_run)
    _print_report(report)
    return EXIT_OK if report.ok else EXIT_INVALID


def _format_number(value, digits: int = 2) -> str:
    if value is None:
        return "*"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def command_cohort(args) -> int:
    instrument = get_instrument(args.instrument)
    cohort_filter = CohortFilter(
        instrument=instrument.key,
        area=args.area,
        tier_of_need=args.tier,
        key_worker=args.key_worker,
        key_worker_type=args.key_worker_type,
        age_group=args.age_group,
        referral_source=args.referral_source,
        status=args.status,
        raters=RATER_VIEWS[args.rater],
        baseline_from=args.baseline_from,
        baseline_to=args.baseline_to,
    )
    min_group = get_settings().min_group if args.min_group is None else args.min_group
    engine = make_engine()
    with engine.connect() as connection:
        figures = cohort_figures(
            connection, cohort_filter, instrument, min_group=min_group, baseline_rule=args.baseline
        )
    if args.json:
        print(json.dumps(figures))
        return EXIT_OK
    overall = figures["overall"]
    print(f"{instrument.name} ({instrument.key}), ratings: {args.rater}")
    print(
        f"Families with a baseline: {_format_number(figures['families'])}; "
        f"with a review: {_format_number(figures['with_review'])}; "
        f"awaiting review (not in the change figures): "
        f"{_format_number(figures['awaiting_review'])}"
    )
    print(
        f"Overall: n={_format_number(overall['n'])}, "
        f"mean change {_format_number(overall['mean_change'])} (positive is better), "
        f"improved {_format_number(overall['improved'])}, "
        f"worse {_format_number(overall['worse'])}, d_z {_format_number(overall['effect_size_dz'])}"
    )
    print(
        f"Reliable change: improved {_format_number(overall['reliable_improvement'])}, "
        f"no change {_format_number(overall['no_reliable_change'])}, "
        f"deteriorated {_format_number(overall['reliable_deterioration'])}"
    )
    print(
        f"{'domain':45} {'n':>5} {'baseline':>9} {'latest':>9} {'change':>8} {'%impr':>6} {'p':>7}"
    )
    for row in figures["domains"]:
        print(
            f"{row['domain']:45} {_format_number(row['n']):>5} "
            f"{_format_number(row['mean_baseline']):>9} {_format_number(row['mean_latest']):>9} "
            f"{_format_number(row['mean_change']):>8} {_format_number(row['pct_improved'], 0):>6} "
            f"{_format_number(row['wilcoxon_p'], 3):>7}"
        )
    print(f"* suppressed: fewer than {min_group} families.")
    return EXIT_OK


def _report_period(start: date, end: date) -> Period:
    """A financial quarter or year when the dates match one exactly, else custom dates."""
    for candidate in (financial_quarter(start), financial_year(start)):
        if (candidate.start, candidate.end) == (start, end):
            return candidate
    return custom(start, end)


def command_report_card(args) -> int:
    if args.period_to < args.period_from:
        print("tracker: --to is before --from", file=sys.stderr)
        return EXIT_USAGE
    chosen = [
        (kind, value)
        for kind, value in (
            ("area", args.area),
            ("tier_of_need", args.tier),
            ("key_worker_type", args.key_worker_type),
        )
        if value
    ]
    if len(chosen) > 1:
        print("tracker: choose one scope: --area, --tier or --key-worker-type", file=sys.stderr)
        return EXIT_USAGE
    scope = Scope(*chosen[0]) if chosen else Scope()
    instrument = get_instrument(args.instrument)
    min_group = get_settings().min_group if args.min_group is None else args.min_group
    with make_engine().connect() as connection:
        card = report_card(
            connection,
            _report_period(args.period_from, args.period_to),
            scope,
            instrument,
            min_group=min_group,
        )
    writers = {
        "json": lambda: json.dumps(card_as_dict(card), indent=2).encode("utf-8"),
        "html": lambda: card_html(card).encode("utf-8"),
        "pdf": lambda: card_pdf(card),
        "xlsx": lambda: card_xlsx(card),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(writers[args.format]())
    print(f"Wrote the {card.period.label} report card for {scope.label} to {args.out}")
    return EXIT_OK


def command_template(args) -> int:
    instrument = get_instrument(args.instrument)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(offline_form(instrument))
    print(f"Wrote a blank {instrument.name} form to {args.out}")
    return EXIT_OK


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise RecordInvalid({"password": "The two passwords do not match."})
    return first


def _operator() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


def command_users(args) -> int:
    engine = make_engine()
    try:
        if args.user_command == "list":
            with read_session(engine) as session:
                frame = users_frame(session)
            print(frame.to_string(index=False) if not frame.empty else "No accounts yet.")
            return EXIT_OK
        with write_session(engine) as session:
            if args.user_command == "add":
                password = _read_password(args.password_stdin)
                create_user(
                    session,
                    username=args.username,
                    role=args.role,
                    display_name=args.display_name or args.username,
                    password=password,
                    key_worker=args.key_worker,
                    email=args.email,
                    actor=_operator(),
                )
                print(f"Added {args.username} ({args.role}).")
            elif args.user_command in ("disable", "enable"):
                set_active(
                    session,
                    username=args.username,
                    active=args.user_command == "enable",
                    actor=_operator(),
                )
                print(f"{args.username} is now {args.user_command}d.")
            else:
                reset_password(
                    session,
                    username=args.username,
                    password=_read_password(args.password_stdin),
                    actor=_operator(),
                )
                print(f"New password set for {args.username}.")
    except RecordInvalid as invalid:
        for field_name, message in invalid.problems.items():
            print(f"tracker: {field_name}: {message}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _audit(action: str, what: str) -> None:
    with write_session(make_engine()) as session:
        record(session, actor=_operator(), action=action, entity="download", entity_id=what)


def command_export(args) -> int:
    with make_engine().connect() as connection:
        frames = canonical_frames(connection)
    _audit("export", f"full export ({args.format}) to {args.out.name}")
    if args.format == "csv":
        for path in write_canonical_csvs(frames, args.out):
            print(path)
        return EXIT_OK
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        canonical_zip(frames) if args.format == "zip" else canonical_workbook(frames)
    )
    print(args.out)
    return EXIT_OK


def command_research_export(args) -> int:
    with make_engine().connect() as connection:
        frames = canonical_frames(connection)
    try:
        data = research_zip(frames, get_settings().pseudonym_key)
    except ResearchExportError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_USAGE
    _audit("export", f"research extract to {args.out.name}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(args.out)
    return EXIT_OK


def command_backup(args) -> int:
    try:
        print(backup(make_engine(), args.out))
        _audit("backup", f"backup to {args.out.name}")
    except BackupError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def command_restore(args) -> int:
    try:
        restore(make_engine(), args.file)
    except BackupError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"Restored {args.file}.")
    return EXIT_OK


def command_generate(args) -> int:
    spec = SampleSpec(
        families=args.families,
        seed=args.seed,
        as_of=args.as_of or sample_end_date(date.today()),
    )
    for path in write_canonical_csvs(generate(spec), args.out):
        print(path)
    return EXIT_OK


def command_bench(args) -> int:
    from tracker.bench import BenchError, BenchSpec, as_table, run_bench

    spec = BenchSpec(
        families=args.families,
        store=args.store,
        database_url=args.database_url,
        seed=args.seed,
        workdir=args.workdir,
        min_group=get_settings().min_group,
    )
    try:
        figures = run_bench(spec, log=lambda text: print(f"bench: {text}", file=sys.stderr))
    except BenchError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(figures) if args.json else as_table(figures))
    return EXIT_OK


COMMANDS = {
    "init": command_init,
    "import": command_import,
    "cohort": command_cohort,
    "export": command_export,
    "report-card": command_report_card,
    "template": command_template,
    "users": command_users,
    "research-export": command_research_export,
    "backup": command_backup,
    "restore": command_restore,
    "generate": command_generate,
    "bench": command_bench,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InstrumentError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_USAGE
    except sa.exc.OperationalError as error:
        print(f"tracker: the database cannot be used: {error.orig}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader (``head``, say) stopped early; that is not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush
        return EXIT_OK
