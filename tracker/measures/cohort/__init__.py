"""Cohort figures: how far a group of families has travelled, with suppression.

The maths lives here once; the CLI, the dashboard and the report card all build a
``Cohort`` and read their figures from it. Every figure that rests on fewer than
``min_group`` families comes back as null, so no caller can leak a small group by
forgetting to check.

The package reads the cohort from the database (``loading``), takes each family's
first journey and judges it against the service's yardstick (``building``), works out
the headline figures (``headline``, from ``statistics`` and ``suppression``) and the
dashboard's views (``views``, ``over_time``); ``published`` rounds them all for
publication, and ``audience`` gives the figures for an audience, stamped.
"""

from tracker.measures.cohort.audience import (
    RATER_VIEWS,
    cohort_figures,
    marked_hidden,
    not_shown,
    rater_view,
    stamp,
    stamp_lines,
)
from tracker.measures.cohort.building import build_cohort, load_cohort
from tracker.measures.cohort.glossary import STATISTICS
from tracker.measures.cohort.headline import (
    ANY_CHANGE_NOTE,
    EARLY_WORSENING_NOTE,
    caveats,
    figures,
)
from tracker.measures.cohort.loading import (
    DIMENSIONS,
    CohortFilter,
    filter_choices,
    in_order,
    main_instrument,
)
from tracker.measures.cohort.over_time import change_by_month
from tracker.measures.cohort.published import (
    published_breakdown,
    published_change_by_month,
    published_figures,
    published_transitions,
)
from tracker.measures.cohort.statistics import mean_interval, wilcoxon_p
from tracker.measures.cohort.views import breakdown, scatter_points, transitions
from tracker.measures.cohort.window import WindowError, describe_window, read_window

__all__ = [
    "ANY_CHANGE_NOTE",
    "DIMENSIONS",
    "EARLY_WORSENING_NOTE",
    "RATER_VIEWS",
    "STATISTICS",
    "CohortFilter",
    "WindowError",
    "breakdown",
    "build_cohort",
    "caveats",
    "change_by_month",
    "cohort_figures",
    "describe_window",
    "figures",
    "filter_choices",
    "in_order",
    "load_cohort",
    "main_instrument",
    "marked_hidden",
    "mean_interval",
    "not_shown",
    "published_breakdown",
    "published_change_by_month",
    "published_figures",
    "published_transitions",
    "rater_view",
    "read_window",
    "scatter_points",
    "stamp",
    "stamp_lines",
    "transitions",
    "wilcoxon_p",
]
