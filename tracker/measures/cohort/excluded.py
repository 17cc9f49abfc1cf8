"""Who is not in these figures, and why: each family in a cohort view, and its reason.

Every family whose start falls in the view is in the figures or left out for exactly
one reason (docs/metrics.md, "Who is not in these figures"). The reasons reuse the
cohort's own rules: awaiting review and later journeys as ``building`` finds them, paired
areas as ``scoring`` pairs them, classifiable as ``reliable_change`` judges it. A
family's start is its first baseline in the chosen raters' view; a family with no
baseline in that view starts at its first baseline by anyone.

Managers see counts with small ones hidden, and the families by reference; published
counts go through ``PublishedRule`` and are hidden together wherever the total less the
counts shown, or the headline figures beside them, would give a hidden one back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.measures.cohort.building import Cohort, in_window, later_journeys_of
from tracker.measures.cohort.glossary import STATISTICS, Statistic
from tracker.measures.cohort.loading import CohortFilter, conditions_of, load_assessments
from tracker.measures.cohort.suppression import suppress_count
from tracker.measures.disclosure import SUPPRESSED, PublishedRule
from tracker.measures.reliable_change import class_counts
from tracker.measures.scoring import journeys
from tracker.store.models import Family, family_label
from tracker.store.vocabulary import RATERS

IN_FIGURES = "in_figures"
AWAITING_REVIEW = "awaiting_review"
NO_PAIRED_AREAS = "no_paired_areas"
NOT_CLASSIFIABLE = "not_classifiable"
OTHER_RATER_ONLY = "other_rater_only"
LATER_JOURNEYS = "later_journeys"
EVERY_FAMILY = "every_family"
# Each family is in exactly one of these; later journeys are journeys, counted apart.
FAMILY_REASONS = (AWAITING_REVIEW, NO_PAIRED_AREAS, NOT_CLASSIFIABLE, OTHER_RATER_ONLY)
REASONS = {
    IN_FIGURES: Statistic(
        "In these figures",
        "Scored in at least half the areas at both baseline and latest review: counted in "
        "every figure, better off included.",
    ),
    AWAITING_REVIEW: STATISTICS["awaiting_review"],
    NO_PAIRED_AREAS: Statistic(
        "No paired areas",
        "Reviewed, but no area was scored at both the baseline and the latest review, so "
        "there is no change to measure.",
    ),
    NOT_CLASSIFIABLE: Statistic(
        "Too few areas to judge",
        f"{STATISTICS['not_classifiable'].meaning} They are in the average change, not in "
        "better off or reliably worse.",
    ),
    OTHER_RATER_ONLY: Statistic(
        "Other rater only",
        "No baseline in this view of whose ratings count: the family's baseline was rated "
        "only by someone else (for example the family's own rating only).",
    ),
    EVERY_FAMILY: Statistic(
        "Every family in this view",
        "Families whose first baseline falls in these dates and filters, whoever rated it.",
    ),
    LATER_JOURNEYS: Statistic(
        "Later journeys",
        f"{STATISTICS['later_journeys'].meaning} Counted in journeys, not families: the "
        "family's first journey is in a row above.",
    ),
}
COUNT_ROWS = (IN_FIGURES, *FAMILY_REASONS, EVERY_FAMILY, LATER_JOURNEYS)
COUNT_COLUMNS = ["reason", "name", "meaning", "count"]


def other_rater_only(
    connection: Connection, cohort_filter: CohortFilter, cohort: Cohort
) -> pd.DataFrame:
    """Families passing the filters with no baseline among the chosen raters, whose first
    baseline by anyone falls in the window: family_id and that baseline's day."""
    everyone = load_assessments(connection, conditions_of(replace(cohort_filter, raters=RATERS)))
    return others_in_view(everyone, cohort, cohort_filter.baseline_from, cohort_filter.baseline_to)


def others_in_view(
    everyone: pd.DataFrame, cohort: Cohort, baseline_from: date | None, baseline_to: date | None
) -> pd.DataFrame:
    """``other_rater_only`` from the filtered families' assessments by every rater."""
    found = journeys(everyone)
    started = in_window(found[found["journey"] == 1], baseline_from, baseline_to)
    here = journeys(cohort.assessments)["family_id"]
    return started.loc[~started["family_id"].isin(here), ["family_id", "baseline_on"]]


def family_reasons(cohort: Cohort, others: pd.DataFrame) -> pd.DataFrame:
    """Each family in the view, with its first baseline's day and why it is left out
    (``IN_FIGURES`` when it is not): family_id, baseline_on, reason."""
    pairs = cohort.pairs
    paired = pairs["family_id"].isin(cohort.overall["family_id"])
    classifiable = pairs["family_id"].isin(
        cohort.overall.loc[cohort.overall["classifiable"].astype(bool), "family_id"]
    )
    reason = pd.Series(IN_FIGURES, index=pairs.index)
    reason[paired & ~classifiable] = NOT_CLASSIFIABLE
    reason[pairs["latest_id"].notna() & ~paired] = NO_PAIRED_AREAS
    reason[pairs["latest_id"].isna()] = AWAITING_REVIEW
    found = pairs.loc[:, ["family_id", "baseline_on"]].assign(reason=reason)
    return pd.concat(
        [found, others.loc[:, ["family_id", "baseline_on"]].assign(reason=OTHER_RATER_ONLY)],
        ignore_index=True,
    )


def _exact_counts(cohort: Cohort, reasons: pd.DataFrame) -> dict[str, int]:
    counts = reasons["reason"].value_counts()
    exact = {key: int(counts.get(key, 0)) for key in (IN_FIGURES, *FAMILY_REASONS)}
    return {**exact, EVERY_FAMILY: len(reasons), LATER_JOURNEYS: cohort.later_journeys}


def _table(counts: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"reason": key, "name": REASONS[key].name, "meaning": REASONS[key].meaning}
            | {"count": counts[key]}
            for key in COUNT_ROWS
        ],
        columns=COUNT_COLUMNS,
    )


def excluded_counts(cohort: Cohort, reasons: pd.DataFrame, *, min_group: int) -> pd.DataFrame:
    """The counts for a manager: exact, 1 to ``min_group - 1`` shown as ``*``."""
    exact = _exact_counts(cohort, reasons)
    return _table(
        {
            key: SUPPRESSED if suppress_count(count, min_group) is None else count
            for key, count in exact.items()
        }
    )


def _pinned(exact: dict, cohort: Cohort, rule: PublishedRule) -> bool:
    """Whether the counts, rounded, leave a hidden one only one value: against their own
    total, or against the headline figures published beside them (families, with a
    review, the families with a paired area, and the reliable change classes)."""
    shown = {key: rule.count(count) for key, count in exact.items()}
    with_pairs = exact[IN_FIGURES] + exact[NOT_CLASSIFIABLE]
    reviewed = with_pairs + exact[NO_PAIRED_AREAS]
    relations = [
        (shown[EVERY_FAMILY], [shown[key] for key in (IN_FIGURES, *FAMILY_REASONS)]),
        (shown[EVERY_FAMILY], [rule.count(len(cohort.pairs)), shown[OTHER_RATER_ONLY]]),
        (rule.count(len(cohort.pairs)), [rule.count(reviewed), shown[AWAITING_REVIEW]]),
        (rule.count(reviewed), [rule.count(with_pairs), shown[NO_PAIRED_AREAS]]),
        (rule.count(with_pairs), [shown[IN_FIGURES], shown[NOT_CLASSIFIABLE]]),
    ]
    if cohort.s_diff is not None:
        classes = class_counts(cohort.overall)
        parts = [rule.count(count) for key, count in classes.items() if key != NOT_CLASSIFIABLE]
        relations.append((shown[IN_FIGURES], parts))
    return any(rule.pins_a_part(whole, parts) for whole, parts in relations)


def published_excluded(cohort: Cohort, reasons: pd.DataFrame, *, min_group: int) -> pd.DataFrame:
    """The counts for publication: rounded to 5, 1 to ``min_group - 1`` as ``*``, and
    every count ``*`` (zeros too) when the view is that small or a hidden one could be
    worked out by differencing."""
    rule = PublishedRule(min_group)
    exact = _exact_counts(cohort, reasons)
    if 0 < exact[EVERY_FAMILY] < min_group or _pinned(exact, cohort, rule):
        return _table(dict.fromkeys(exact, SUPPRESSED))
    return _table({key: rule.count(count) for key, count in exact.items()})


def excluded_families(
    connection: Connection, cohort: Cohort, reasons: pd.DataFrame
) -> pd.DataFrame:
    """For a manager: each family left out, by reference (and short name, as staff see
    it), why, and its first baseline's day; a family with later journeys is listed
    under them too. Never for a commissioner or a published download."""
    later = later_journeys_of(journeys(cohort.assessments), cohort.pairs)
    later_rows = (
        later.groupby("family_id")["baseline_on"]
        .min()
        .rename("baseline_on")
        .reset_index()
        .assign(reason=LATER_JOURNEYS)
    )
    rows = pd.concat([reasons[reasons["reason"] != IN_FIGURES], later_rows], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=["family", "reason", "baseline_on"])
    ids = sa.bindparam(
        "ids",
        value=sorted(int(i) for i in rows["family_id"].unique()),
        expanding=True,
        literal_execute=True,
    )
    labels = {
        family_id: family_label(ref, short_name)
        for family_id, ref, short_name in connection.execute(
            sa.select(Family.id, Family.family_ref, Family.short_name).where(Family.id.in_(ids))
        )
    }
    order = {key: index for index, key in enumerate(COUNT_ROWS)}
    listed = rows.assign(
        family=rows["family_id"].map(labels), rank=rows["reason"].map(order)
    ).sort_values(["rank", "family"])
    return listed.loc[:, ["family", "reason", "baseline_on"]].reset_index(drop=True)
