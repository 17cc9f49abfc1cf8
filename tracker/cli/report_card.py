"""``tracker report-card``: the RBA report card for a period and scope, written to a file.

The same card as the dashboard's, in the format a commissioner asks for (JSON,
HTML, PDF or Excel), so quarterly returns can be produced by a scheduled job. It is
published by default: counts rounded and small ones hidden (docs/disclosure.md);
``--audience service`` gives the managers' exact card, not for publication.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.cli.common import EXIT_OK, EXIT_USAGE, audit_download, iso_date, non_negative_int
from tracker.measures.disclosure import AUDIENCES, PUBLISHED, AudienceError
from tracker.store.vocabulary import KEY_WORKER_BACKGROUNDS

if TYPE_CHECKING:
    from tracker.measures.periods import Period


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("report-card", help="the RBA report card for a period")
    parser.add_argument("--from", dest="period_from", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--to", dest="period_to", type=iso_date, required=True, metavar="DATE")
    parser.add_argument("--area")
    parser.add_argument("--tier", help='tier of need, e.g. "tier 3"')
    parser.add_argument("--key-worker-type", choices=list(KEY_WORKER_BACKGROUNDS))
    parser.add_argument(
        "--instrument",
        default="taf-dtt",
        metavar="KEY",
        help="the tool distance travelled is measured on (default: taf-dtt)",
    )
    parser.add_argument("--min-group", type=non_negative_int, default=None, metavar="N")
    parser.add_argument(
        "--audience",
        choices=list(AUDIENCES),
        default=PUBLISHED,
        help="published (default): rounded and safe to publish, whole months and a minimum "
        "group of at least 3; service: exact figures for managers, not for publication",
    )
    parser.add_argument("--format", choices=["json", "html", "pdf", "xlsx"], required=True)
    parser.add_argument("--out", type=Path, required=True, metavar="FILE")
    parser.set_defaults(handler=command_report_card)


def command_report_card(args: argparse.Namespace) -> int:
    from tracker.files.private import fresh_owner_only
    from tracker.instruments.loader import get_instrument
    from tracker.measures.reportcard import Scope, card_as_dict, report_card
    from tracker.store.db import make_engine
    from tracker.store.settings import get_settings

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
    try:
        with make_engine().connect() as connection:
            card = report_card(
                connection,
                _report_period(args.period_from, args.period_to),
                scope,
                instrument,
                min_group=min_group,
                today=date.today(),
                audience=args.audience,
            )
    except AudienceError as refusal:
        print(f"tracker: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    # Loaded only for the format asked for: the PDF library alone takes half a second.
    from tracker.render.reportcard_export import card_html, card_pdf, card_xlsx

    writers = {
        "json": lambda: json.dumps(card_as_dict(card), indent=2).encode("utf-8"),
        "html": lambda: card_html(card).encode("utf-8"),
        "pdf": lambda: card_pdf(card),
        "xlsx": lambda: card_xlsx(card),
    }
    data = writers[args.format]()
    audit_download("export", f"report card ({args.format}) to {args.out.name}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fresh_owner_only(args.out).write_bytes(data)
    print(
        f"Wrote the {card.period.label} report card ({card.stamp['Audience']}) for "
        f"{scope.label} to {args.out}"
    )
    return EXIT_OK


def _report_period(start: date, end: date) -> Period:
    """A financial quarter or year when the dates match one exactly, else custom dates."""
    from tracker.measures.periods import custom, financial_quarter, financial_year

    for candidate in (financial_quarter(start), financial_year(start)):
        if (candidate.start, candidate.end) == (start, end):
            return candidate
    return custom(start, end)
