"""Each cohort statistic's plain name and what it is, in one line (docs/metrics.md).

The page's tiles take their names and their "what is this?" lines from here, and so
does its list of what the figures mean, so a name and its explanation never drift apart.
"""

from __future__ import annotations

from typing import NamedTuple

from tracker.measures.reliable_change import NO_RELIABLE_CHANGE, RELIABLY_WORSE


class Statistic(NamedTuple):
    name: str
    meaning: str


# Keys are the figures' keys in ``figures()`` (docs/metrics.md), in the page's order.
STATISTICS = {
    "families": Statistic(
        "Families in cohort",
        "Families whose first baseline on this instrument matches the filters.",
    ),
    "with_review": Statistic(
        "With a review",
        "Families scored again after their first baseline: the change figures are theirs.",
    ),
    "awaiting_review": Statistic(
        "Awaiting review",
        "Families with a baseline but no review yet, so they are not in the change figures.",
    ),
    "reliable_improvement": Statistic(
        "Better off",
        "Families whose overall score improved by more than measurement error alone would "
        "give (reliable change), as a share of the families whose change was measured.",
    ),
    "mean_change": Statistic(
        "Mean distance travelled",
        "The average change in families' overall score from baseline to latest review, in "
        "points on the instrument's scale; + means better.",
    ),
    "no_reliable_change": Statistic(
        NO_RELIABLE_CHANGE,
        "Families whose overall change, better or worse, is within measurement error.",
    ),
    "reliable_deterioration": Statistic(
        RELIABLY_WORSE,
        "Families whose overall score got worse by more than measurement error alone would give.",
    ),
    "not_classifiable": Statistic(
        "Too few areas to judge",
        "Families scored in fewer than half the areas at both baseline and latest, so "
        "their change cannot be judged reliable or not.",
    ),
    "reliable_recovery": Statistic(
        "Reliably recovered",
        "Of the families past the instrument's threshold at baseline, those on the good "
        "side of it at the latest review and reliably better.",
    ),
    "standardised_response_mean": Statistic(
        "Consistency of change (SRM)",
        "The standardised response mean: the mean change divided by the spread of the "
        "families' changes; the higher, the more families moved the same way. It is not "
        "Cohen's effect size.",
    ),
    "improved": Statistic(
        "Improved (any change)",
        "Families whose overall score got better by any amount, however small.",
    ),
    "same": Statistic(
        "Same (any change)",
        "Families whose overall score did not change at all.",
    ),
    "worse": Statistic(
        "Worse (any change)",
        "Families whose overall score got worse by any amount, however small.",
    ),
    "net_improvement": Statistic(
        "Net improvement",
        "The percentage improved minus the percentage worse (any change), in percentage points.",
    ),
    "early_worsening": Statistic(
        "Worse at first review",
        "Families whose first review is worse overall than their baseline, as a share of "
        "those with a review.",
    ),
    "later_journeys": Statistic(
        "Later journeys",
        "Journeys begun by a later baseline (a re-referral); these figures follow each "
        "family's first journey only.",
    ),
}
