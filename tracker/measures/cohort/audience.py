"""Cohort figures for an audience, and the stamp every output carries.

A service output (a manager's screen) has exact figures with small groups hidden; a
published one (a commissioner, a board download) is rounded by ``published``, covers
whole months of baselines only, and is stamped with who it is for, how it was made and
when (docs/disclosure.md, "Published figures").
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Connection

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.building import load_cohort
from tracker.measures.cohort.headline import figures
from tracker.measures.cohort.loading import DIMENSIONS, CohortFilter
from tracker.measures.cohort.published import published_figures
from tracker.measures.cohort.summed import summed_cohort
from tracker.measures.cohort.window import describe_window, uk_date
from tracker.measures.disclosure import (
    AUDIENCES,
    PUBLISHED,
    SERVICE,
    SUPPRESSED,
    SUPPRESSED_MEANS,
    AudienceError,
    PublishedRule,
    check_published_min_group,
    check_whole_months,
)
from tracker.store.vocabulary import DEFAULT_RATERS, KEY_WORKER_BACKGROUNDS, RATER_LABELS

BASELINE_RULE = (
    "first journey: each family's first baseline, paired with its latest review before "
    "any re-referral"
)
SERVICE_METHOD = "Exact figures; counts of 1 to {below} families hidden ({mark})."


def check_published(cohort_filter: CohortFilter, min_group: int) -> None:
    check_published_min_group(min_group)
    check_whole_months(cohort_filter.baseline_from, cohort_filter.baseline_to)


def method_of(audience: str, min_group: int) -> str:
    if audience == PUBLISHED:
        return PublishedRule(min_group).method
    return SERVICE_METHOD.format(below=max(min_group - 1, 0), mark=SUPPRESSED)


def stamp(
    audience: str,
    min_group: int,
    cohort_filter: CohortFilter,
    made_on: date,
    *,
    instrument_name: str,
) -> dict:
    """Who an output is for, how its figures were made, of which families, and when."""
    if audience not in AUDIENCES:
        raise AudienceError(f"unknown audience {audience!r}: use {' or '.join(AUDIENCES)}")
    return {
        "audience": audience,
        "method": method_of(audience, min_group),
        "min_group": min_group,
        "instrument_name": instrument_name,
        "filters": cohort_filter.describe(),
        "baseline_rule": BASELINE_RULE,
        "made_on": made_on.isoformat(),
    }


# The page's two views of whose ratings count; the CLI can also ask for one rater alone.
RATER_VIEWS = {DEFAULT_RATERS: "Worker and joint", ("family",): "The family's own"}
# The filters a stamp names, beside the breakdown dimensions; the window is said apart.
FILTER_NAMES = {**DIMENSIONS, "key_worker": "Key worker"}
CASES = {"open": "open cases only", "closed": "closed cases only"}


def rater_view(raters) -> str:
    """Whose ratings a figure uses, as the page offers the choice."""
    raters = tuple(raters)
    return RATER_VIEWS.get(raters) or " and ".join(RATER_LABELS[rater] for rater in raters)


def _chosen_filters(filters: dict) -> str:
    chosen = [
        f"{FILTER_NAMES[name].lower()} is "
        f"{KEY_WORKER_BACKGROUNDS.get(value, value) if name == 'key_worker_type' else value}"
        for name, value in filters.items()
        if name in FILTER_NAMES and value is not None
    ]
    if filters.get("status") in CASES:
        chosen.append(CASES[filters["status"]])
    return "; ".join(chosen) if chosen else "none (every family)"


def stamp_lines(stamped: dict) -> tuple[str, ...]:
    """The stamp in plain words, a line each, for the foot of a table or a chart: the
    instrument, whose ratings, the baseline dates, the filters, who it is for, how small
    groups were hidden, the baseline rule and the day it was made."""
    filters = stamped["filters"]
    window = [
        None if filters[end] is None else date.fromisoformat(filters[end])
        for end in ("baseline_from", "baseline_to")
    ]
    return (
        f"Instrument: {stamped['instrument_name']}.",
        f"Whose ratings: {rater_view(filters['raters'])}.",
        f"Baselines: {describe_window(*window)}.",
        f"Filters: {_chosen_filters(filters)}.",
        f"Audience: {AUDIENCES[stamped['audience']]}.",
        f"Method: {stamped['method']} {SUPPRESSED} means {SUPPRESSED_MEANS}.",
        f"Smallest group shown: {stamped['min_group']} families.",
        f"Baseline rule: {stamped['baseline_rule']}.",
        f"Made on {uk_date(date.fromisoformat(stamped['made_on']))}.",
    )


def _hidden_block(block: dict, none_reviewed: bool) -> dict:
    """A block (overall, a domain) resting on too few families: every figure ``*``."""
    if none_reviewed or block["n"] not in (None, SUPPRESSED):
        return block
    return {key: value if key == "domain" else SUPPRESSED for key, value in block.items()}


def marked_hidden(figures: dict) -> dict:
    """The figures with ``*`` wherever one was hidden, so that a null left is a figure
    there is none of (too few values, nobody reviewed). Service figures hide a count, or
    a whole block, as null; published ones already say ``*``."""
    counts = ("families", "with_review", "awaiting_review", "later_journeys", "early_worsening")
    none_reviewed = figures["with_review"] == 0
    marked = {
        **figures,
        **{key: SUPPRESSED if figures[key] is None else figures[key] for key in counts},
        "overall": _hidden_block(figures["overall"], none_reviewed),
        "domains": [_hidden_block(row, none_reviewed) for row in figures["domains"]],
    }
    if marked["early_worsening"] == SUPPRESSED:
        marked["pct_early_worsening"] = SUPPRESSED
    return marked


def not_shown(marked: dict, min_group: int) -> str | None:
    """Why a cohort's change figures cannot be shown, in plain words, or None when they
    can; ``marked`` are figures as ``marked_hidden`` gives them."""
    if marked["families"] == 0:
        return "No families match these filters. Widen them to see figures."
    protect = "and figures about so few could identify them."
    if marked["families"] == SUPPRESSED:
        return (
            f"Too few families to show: fewer than {min_group} families match these "
            f"filters, {protect} Widen the filters to see figures."
        )
    if marked["with_review"] == 0:
        return "No family here has had a review yet, so there is no change to show."
    if marked["overall"]["n"] == SUPPRESSED:
        return (
            f"Too few families to show change: fewer than {min_group} families here have "
            f"had a review, {protect}"
        )
    return None


def cohort_figures(
    connection: Connection,
    cohort_filter: CohortFilter,
    instrument: Instrument,
    *,
    min_group: int,
    audience: str = SERVICE,
    made_on: date | None = None,
) -> dict:
    """Load the filtered cohort from the database and summarise it for ``audience``,
    stamped."""
    stamped = stamp(
        audience,
        min_group,
        cohort_filter,
        made_on or date.today(),
        instrument_name=instrument.name,
    )
    if audience == PUBLISHED:
        check_published(cohort_filter, min_group)
    cohort = summed_cohort(connection, cohort_filter, instrument) or load_cohort(
        connection, cohort_filter, instrument, every_score=False
    )
    if audience == PUBLISHED:
        result = published_figures(cohort, min_group=min_group)
    else:
        result = figures(cohort, min_group=min_group)
    return {**result, **stamped}
