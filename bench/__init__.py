"""The performance benchmark: ``python -m bench`` from a checkout (docs/benchmarks.md).

It lives beside ``tracker``, not in it: it is not installed, it needs the
``bench`` extra (DuckDB) and Streamlit's test harness, and ``tracker`` never
imports it (``tracker bench`` runs it as a child process). It is split by idea:
``timing`` (how a step is timed), ``process`` (a command timed as a whole process),
``facts`` (the date, commit and load of a run), ``profiles`` (``--profile``),
``scratch`` (the database it builds and drops), ``workload`` (the generated cohort),
``reference`` (the DuckDB computation the figures are checked against),
``duckdb_cohort`` (that computation as a script of its own), ``page`` (the cohort
page, in its own process) and ``__main__`` (the run and its options).

Import from those modules; this package stays empty so that the page's own process
loads no DuckDB.
"""
