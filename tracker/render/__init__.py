"""Render: figures as people see them, in charts, tables, summaries and board papers.

- ``charts``, ``cohort_charts``, ``reportcard_charts``: plotly figures, pure functions
  of already-suppressed data;
- ``cohort_tables``: the cohort's figures as tables, ``*`` where suppressed;
- ``downloads``: tables and charts as CSV, Excel, PNG or HTML files;
- ``reportcard_export``: the report card as Excel, and the one entry for every format;
- ``reportcard_words``, ``reportcard_drawing``: the card's shared wording, and its charts
  drawn as shapes with no browser;
- ``reportcard_html``, ``reportcard_pdf``: the board paper as HTML and as PDF;
- ``summary``: the family's one-page summary;
- ``plain_text``: people's own words inside Markdown, shown as typed;
- ``qr_code``: a family's self-rating link as a QR code (SVG);
- ``self_rating``: the words and steps of the family's own rating page.

Import from those modules; this package stays empty so that a table download loads
no chart renderer.
"""
