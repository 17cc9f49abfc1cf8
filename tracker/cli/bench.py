"""``tracker bench``: run the benchmark that lives beside the package, in a child process.

The benchmark (``bench/`` at the top of a checkout) is not installed with
``tracker``: it needs the ``bench`` extra and Streamlit's test harness, and
``tracker`` never imports it. So this command runs ``python -m bench`` with the
words it was given, options and ``--help`` included, and exits as the bench did.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from tracker.cli.common import EXIT_USAGE
from tracker.store.settings import PROJECT_ROOT

# A prefix no option uses: argparse then takes every word after ``bench`` as it is.
NO_OPTIONS = "\0"


def register(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "bench",
        help="time import, cohort figures, page and report card at a given size",
        add_help=False,
        prefix_chars=NO_OPTIONS,
    )
    parser.add_argument("bench_arguments", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=command_bench)


def command_bench(args: argparse.Namespace) -> int:
    if not (PROJECT_ROOT / "bench" / "__main__.py").is_file():
        print(
            f"tracker: the benchmark runs from a checkout of the project, "
            f"and there is no bench/ in {PROJECT_ROOT}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # The checkout goes on the child's path instead of being its working folder, so
    # relative paths (--workdir) mean what they mean here; -P keeps this folder off it.
    search_path = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    done = subprocess.run(
        [sys.executable, "-P", "-m", "bench", *args.bench_arguments],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(search_path)},
        check=False,
    )
    return done.returncode
