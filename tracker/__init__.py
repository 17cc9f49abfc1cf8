"""Distance Travelled: the domain core of the outcomes tracker.

Nothing in this package imports Streamlit, so everything here can be driven from the
command line and tested without a browser. Its subpackages are layers, and each imports
only from the layers below it (``lint-imports`` checks this; docs/architecture.md):

    cli                          the ``tracker`` command
    render                       charts, tables, summaries and board exports
    measures | files | records   figures; files in and out; records kept by hand
    people | instruments         access, sign-in and audit; the scoring tools
    store                        settings, database, tables, migrations
"""

__version__ = "0.1.0"
