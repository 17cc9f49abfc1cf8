"""Measures: every figure the tracker shows, worked out from the store and nowhere else.

``docs/metrics.md`` defines each figure; the code that computes it lives here:

- ``scoring``: which assessments count as a family's baseline and latest, and the change;
- ``reliable_change``: whether a change is bigger than the instrument's noise;
- ``cohort``: a group's distance travelled, its breakdowns and views, suppressed;
- ``reportcard``: the Results Based Accountability card, its 27 measures and inputs;
- ``review_schedule``: when reviews fall due, for the caseload and the card alike;
- ``caseload``, ``journey``, ``overview``: one worker's families, one family, the service;
- ``periods``: financial quarters and years.

Import from those modules (the cohort and report card packages have faces of their
own); this package stays empty so that loading one measure loads no other.
"""
