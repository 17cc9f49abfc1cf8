"""Render: figures as people see them, in charts, tables, summaries and board papers.

- ``charts``, ``cohort_charts``, ``reportcard_charts``: plotly figures, pure functions
  of already-suppressed data;
- ``cohort_tables``: the cohort's figures as tables, ``*`` where suppressed;
- ``downloads``: tables and charts as CSV, Excel, PNG or HTML files;
- ``reportcard_export``: the report card as HTML, PDF and Excel;
- ``summary``: the family's one-page summary;
- ``plain_text``: people's own words inside Markdown, shown as typed.

Import from those modules; this package stays empty so that a table download loads
no chart renderer.
"""
