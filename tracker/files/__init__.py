"""Files: the canonical CSV layout, read in and written out, and the files built from it.

- ``canonical``: the one table that describes each canonical file and where it is stored;
- ``tabular``, ``validation``: reading CSV, Excel and zip files, and checking their cells;
- ``archives``, ``problems``: unpacking zips within the limits, and what is wrong with a
  file (the first problems listed, up to a limit; every one counted);
- ``formula_guard``: the rule against spreadsheet formulas, both ways;
- ``importing``: all-or-nothing imports (a package with its own face);
- ``exporting``, ``research``, ``template``: full exports, the pseudonymised extract,
  the offline form;
- ``backup``: consistent copies of the store; ``sample``: the synthetic cohort;
- ``audit_export``: the audit trail as CSV; ``private``: files created owner-only.

Import from those modules; this package stays empty so that reading a CSV loads no
Excel writer.
"""
