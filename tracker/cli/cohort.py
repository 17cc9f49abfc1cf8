"""``tracker cohort``: distance travelled across a cohort, as a table or one JSON object.

The options are the dashboard's filters, so a figure seen on the cohort page can
be had again from a script; ``--json`` is the contract scripts rely on.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from tracker.cli.common import EXIT_OK, EXIT_USAGE, iso_date, non_negative_int
from tracker.measures.disclosure import AUDIENCES, SERVICE, AudienceError
from tracker.store.vocabulary import AGE_GROUPS, DEFAULT_RATERS, KEY_WORKER_BACKGROUNDS, RATERS

if TYPE_CHECKING:
    from tracker.measures.yardstick import Yardstick

NOT_AVAILABLE = "-"
RATER_VIEWS = {
    "worker+joint": DEFAULT_RATERS,
    **{rater: (rater,) for rater in RATERS},
}


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("cohort", help="distance travelled across a cohort")
    parser.add_argument("--instrument", required=True, metavar="KEY")
    parser.add_argument("--area")
    parser.add_argument("--tier", help='tier of need, e.g. "tier 2-3"')
    parser.add_argument("--key-worker")
    parser.add_argument(
        "--key-worker-type",
        choices=list(KEY_WORKER_BACKGROUNDS),
        help="the key worker's professional background",
    )
    parser.add_argument(
        "--age-group", choices=list(AGE_GROUPS), help="age group of the youngest child"
    )
    parser.add_argument("--referral-source")
    parser.add_argument("--status", choices=["open", "closed"], help="open or closed cases only")
    parser.add_argument(
        "--rater",
        choices=list(RATER_VIEWS),
        default="worker+joint",
        help="whose ratings to use (default: worker and joint)",
    )
    parser.add_argument(
        "--from",
        dest="baseline_from",
        type=iso_date,
        metavar="DATE",
        help="baselines on or after this date",
    )
    parser.add_argument(
        "--to",
        dest="baseline_to",
        type=iso_date,
        metavar="DATE",
        help="baselines on or before this date",
    )
    parser.add_argument(
        "--min-group",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="suppress groups smaller than N families (default from settings)",
    )
    parser.add_argument(
        "--audience",
        choices=list(AUDIENCES),
        default=SERVICE,
        help="service: exact figures for people entitled to the records (default); "
        "published: rounded and hidden for boards and commissioners (--min-group 3 or "
        "more, --from and --to whole months)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=command_cohort)


def command_cohort(args: argparse.Namespace) -> int:
    from tracker.instruments.loader import get_instrument
    from tracker.measures.cohort import (
        EARLY_WORSENING_NOTE,
        CohortFilter,
        cohort_figures,
        marked_hidden,
        stamp_lines,
    )
    from tracker.store.db import make_engine
    from tracker.store.settings import get_settings

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
    try:
        with engine.connect() as connection:
            figures = cohort_figures(
                connection, cohort_filter, instrument, min_group=min_group, audience=args.audience
            )
    except AudienceError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(figures))
        return EXIT_OK
    figures = marked_hidden(figures)
    overall = figures["overall"]
    print(f"{instrument.name} ({instrument.key}), ratings: {args.rater}")
    print(
        f"Families with a baseline: {_format_number(figures['families'])}; "
        f"with a review: {_format_number(figures['with_review'])}; "
        f"awaiting review (not in the change figures): "
        f"{_format_number(figures['awaiting_review'])}; "
        f"later journeys (re-referrals, not in the figures): "
        f"{_format_number(figures['later_journeys'])}"
    )
    print(
        f"Worse at the first review than at baseline: {_format_number(figures['early_worsening'])}"
        f" ({_format_number(figures['pct_early_worsening'], 0)}% of those with a review). "
        + EARLY_WORSENING_NOTE
    )
    print(
        f"Overall: n={_format_number(overall['n'])}, "
        f"mean change {_format_number(overall['mean_change'])} (positive is better), "
        f"any change: improved {_format_number(overall['improved'])}, "
        f"worse {_format_number(overall['worse'])}, "
        f"net improvement {_format_number(overall['net_improvement'], 0)} points "
        f"(95% interval {_format_number(overall['net_improvement_ci_low'], 0)} to "
        f"{_format_number(overall['net_improvement_ci_high'], 0)}), "
        f"standardised response mean {_format_number(overall['standardised_response_mean'])} "
        f"({_format_number(overall['standardised_response_mean_ci_low'])} to "
        f"{_format_number(overall['standardised_response_mean_ci_high'])})"
    )
    print(
        f"Reliable change: better off {_format_number(overall['reliable_improvement'])}, "
        f"no reliable change {_format_number(overall['no_reliable_change'])}, "
        f"reliably worse {_format_number(overall['reliable_deterioration'])}, "
        f"not classifiable (fewer than half the areas paired) "
        f"{_format_number(overall['not_classifiable'])}"
    )
    print(_yardstick_of(figures).caption())
    print(
        f"{'domain':45} {'n':>5} {'baseline':>9} {'latest':>9} {'change':>8} {'%impr':>6} "
        f"{'sign p':>7} {'Holm p':>7}"
    )
    for row in figures["domains"]:
        print(
            f"{row['domain']:45} {_format_number(row['n']):>5} "
            f"{_format_number(row['mean_baseline']):>9} {_format_number(row['mean_latest']):>9} "
            f"{_format_number(row['mean_change']):>8} {_format_number(row['pct_improved'], 0):>6} "
            f"{_format_number(row['sign_test_p'], 3):>7} {_format_number(row['p_holm'], 3):>7}"
        )
    for line in stamp_lines(figures):
        print(line)
    return EXIT_OK


def _yardstick_of(figures: dict) -> Yardstick:
    from tracker.measures.yardstick import Yardstick

    parts = {key: value for key, value in figures["yardstick"].items() if key != "s_diff"}
    return Yardstick(**parts)


def _format_number(value, digits: int = 2) -> str:
    """A figure as the table shows it: ``*`` where it was hidden, ``-`` where there is none
    (too few values, no families reviewed), a band as it is."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)
