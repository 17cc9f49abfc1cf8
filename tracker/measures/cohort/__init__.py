"""Cohort figures: how far a group of families has travelled, with suppression.

The maths lives here once; the CLI, the dashboard and the report card all build a
``Cohort`` and read their figures from it. Every figure that rests on fewer than
``min_group`` families comes back as null, so no caller can leak a small group by
forgetting to check.

The package reads the cohort from the database (``loading``), pairs baselines with
latest assessments (``building``), works out the headline figures (``headline``,
from ``statistics`` and ``suppression``) and the dashboard's views (``views``).
"""

from tracker.measures.cohort.building import build_cohort, load_cohort
from tracker.measures.cohort.headline import caveats, cohort_figures, figures
from tracker.measures.cohort.loading import DIMENSIONS, CohortFilter, filter_choices
from tracker.measures.cohort.statistics import mean_interval, wilcoxon_p
from tracker.measures.cohort.views import (
    breakdown,
    overall_by_month,
    scatter_points,
    transitions,
)

__all__ = [
    "DIMENSIONS",
    "CohortFilter",
    "breakdown",
    "build_cohort",
    "caveats",
    "cohort_figures",
    "figures",
    "filter_choices",
    "load_cohort",
    "mean_interval",
    "overall_by_month",
    "scatter_points",
    "transitions",
    "wilcoxon_p",
]
