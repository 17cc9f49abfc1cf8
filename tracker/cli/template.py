"""``tracker template``: a blank offline Excel form for an instrument.

Workers without a connection fill the form in and the importer reads it back,
so the form is made from the same instrument file the app uses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.cli.common import EXIT_OK


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser("template", help="a blank offline Excel form for an instrument")
    parser.add_argument("--instrument", required=True, metavar="KEY")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")
    parser.set_defaults(handler=command_template)


def command_template(args: argparse.Namespace) -> int:
    from tracker.files.template import offline_form
    from tracker.instruments.loader import get_instrument

    instrument = get_instrument(args.instrument)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(offline_form(instrument))
    print(f"Wrote a blank {instrument.name} form to {args.out}")
    return EXIT_OK
