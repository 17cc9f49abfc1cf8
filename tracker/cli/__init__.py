"""The ``tracker`` command line: set up, import, report and export without a browser.

One module per command, each holding its options beside its handler;
``tracker.cli.program`` puts them together. ``main`` is the console script.
"""

from tracker.cli.program import build_parser, main

__all__ = ["build_parser", "main"]
