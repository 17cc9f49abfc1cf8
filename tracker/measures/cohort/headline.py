"""The cohort's headline figures, suppressed, and the caveats that go with them.

These are the figures of docs/metrics.md: counts, early worsening, per-domain and
overall change, reliable change against the service's yardstick. The CLI, the dashboard
and the report card read them from here, and every one that rests on fewer than
``min_group`` families comes back null.
"""

from __future__ import annotations

import pandas as pd

from tracker.instruments.loader import Instrument
from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.statistics import (
    direction_counts,
    holm_adjusted,
    json_number,
    mean_interval,
    net_improvement,
    percent,
    sign_test_p,
    standardised_response_mean,
    wilcoxon_p,
)
from tracker.measures.cohort.summed import SummedCohort
from tracker.measures.cohort.suppression import suppress_count, suppress_figures
from tracker.measures.disclosure import PUBLISHED, SUPPRESSED, PublishedRule
from tracker.measures.reliable_change import at_caseness, class_counts, reliably_recovered

# Below this many families with a review, the figures are called early signs.
FEW_REVIEWED = 20
EARLY_WORSENING_NOTE = (
    "A first review that is worse than the baseline is often hidden need coming to light "
    "as trust grows, not a sign that the work is failing."
)
# What the headline figures read: a cohort built from frames, or one summed in the database.
Figured = Cohort | SummedCohort
ANY_CHANGE_NOTE = (
    "Improved, same and worse count any change at all, however small; small changes are "
    'within measurement error, so "better off" counts only reliable improvement.'
)


def domain_figures(grouped: dict[str, pd.DataFrame], instrument: Instrument) -> list[dict]:
    """Per domain, in the instrument's order, over the families scored at both ends:
    ``grouped`` holds each domain's ``baseline, latest, change`` rows."""
    figures = []
    for key in instrument.domain_keys:
        group = grouped.get(key)
        if group is None or group.empty:
            group = pd.DataFrame({"baseline": [], "latest": [], "change": []}, dtype=float)
        figures.append(
            {
                "domain": key,
                "n": len(group),
                "mean_baseline": json_number(group["baseline"].mean()),
                "mean_latest": json_number(group["latest"].mean()),
                "mean_change": json_number(group["change"].mean()),
                "median_change": json_number(group["change"].median()),
                **direction_counts(group["change"]),
                "sign_test_p": sign_test_p(group["change"]),
                "p_holm": None,
            }
        )
    return figures


def shown_figures_by_domain(
    grouped: dict[str, pd.DataFrame], instrument: Instrument, min_group: int
) -> list:
    """The domains' figures, suppressed, with the sign tests Holm-adjusted across the
    domains shown: a hidden domain is not tested, so it does not widen the others'."""
    shown = [
        suppress_figures(figure, figure["n"], min_group, keep=("domain",))
        for figure in domain_figures(grouped, instrument)
    ]
    adjusted = holm_adjusted([figure["sign_test_p"] for figure in shown])
    return [{**figure, "p_holm": p} for figure, p in zip(shown, adjusted, strict=True)]


def overall_figures(cohort: Figured) -> dict:
    """The cohort's figures over families' overall scores."""
    overall = cohort.overall
    n = len(overall)
    change = overall["change"].astype(float)
    rci_known = cohort.s_diff is not None
    reliable = class_counts(overall)
    low, high = mean_interval(change)
    return {
        "n": n,
        "mean_baseline": json_number(overall["baseline"].mean()) if n else None,
        "mean_latest": json_number(overall["latest"].mean()) if n else None,
        "mean_change": json_number(change.mean()) if n else None,
        "mean_change_ci_low": low,
        "mean_change_ci_high": high,
        "median_change": json_number(change.median()) if n else None,
        **direction_counts(change),
        "wilcoxon_p": wilcoxon_p(change),
        **net_improvement(change),
        **standardised_response_mean(change),
        **{key: value if rci_known else None for key, value in reliable.items()},
        **{
            f"pct_{key}": percent(value, n) if rci_known else None
            for key, value in reliable.items()
        },
        "reliable_change_sd": cohort.s_diff,
        **(recovery_figures(cohort) if cohort.instrument.caseness is not None else {}),
    }


def recovery_figures(cohort: Figured) -> dict:
    """Reliable recovery, for an instrument that declares a caseness threshold: of the
    classifiable families at or past it at baseline, those reliably recovered."""
    rated = cohort.overall[cohort.overall["classifiable"].astype(bool)]
    cases = int(at_caseness(rated["baseline"], cohort.instrument).sum())
    recovered = int(reliably_recovered(rated, cohort.instrument).sum())
    known = cohort.s_diff is not None
    return {
        "cases_at_baseline": cases,
        "reliable_recovery": recovered if known else None,
        "pct_reliable_recovery": percent(recovered, cases) if known else None,
    }


def early_worsening_figures(cohort: Figured, min_group: int) -> dict:
    """Families whose first review is worse overall than their baseline, of those with a
    review; suppressed like the counts they rest on."""
    count, reviewed = cohort.early_worsening, cohort.with_review
    hidden = suppress_count(count, min_group) is None or 0 < reviewed < min_group
    return {
        "early_worsening": None if hidden else count,
        "pct_early_worsening": None if hidden else percent(count, reviewed),
    }


def figures(cohort: Figured, *, min_group: int) -> dict:
    """Every headline figure of a cohort, suppressed. See docs/metrics.md."""
    families = cohort.family_count
    with_review = cohort.with_review
    return {
        "instrument": cohort.instrument.key,
        "families": suppress_count(families, min_group),
        "with_review": suppress_count(with_review, min_group),
        "awaiting_review": suppress_count(families - with_review, min_group),
        **early_worsening_figures(cohort, min_group),
        "later_journeys": suppress_count(cohort.later_journeys, min_group),
        "min_group": min_group,
        "yardstick": cohort.yardstick.as_dict(),
        "overall": suppress_figures(overall_figures(cohort), len(cohort.overall), min_group),
        "domains": shown_figures_by_domain(
            cohort.changes_by_domain(), cohort.instrument, min_group
        ),
    }


def caveats(cohort: Figured, result: dict, *, tier_filter: str | None = None) -> list[str]:
    """Plain-words warnings that belong next to the figures; for published figures they
    are judged on the published (rounded) counts, so a warning tells nothing they hide."""
    notes = []
    if result.get("audience") == PUBLISHED:
        rule = PublishedRule(result["min_group"])
        families, awaiting = cohort.family_count, cohort.family_count - cohort.with_review
        reviewed = result["with_review"]
        few_reviewed = reviewed == SUPPRESSED or 0 < reviewed < FEW_REVIEWED
        share_awaiting = rule.percent(awaiting, families)
    else:
        families, reviewed = cohort.family_count, cohort.with_review
        few_reviewed = 0 < reviewed < FEW_REVIEWED
        share_awaiting = percent(families - reviewed, families)
    if few_reviewed:
        notes.append(
            f"Fewer than {FEW_REVIEWED} families have had a review, so these figures can "
            "swing a lot with each new review. Treat them as early signs."
        )
    if isinstance(share_awaiting, float) and share_awaiting > 30:
        notes.append(
            f"{round(share_awaiting)}% of families with a baseline are still "
            "awaiting their first review. They are not in the change figures."
        )
    overall = result["overall"]
    instrument = cohort.instrument
    if isinstance(overall.get("mean_baseline"), float | int):
        share = (overall["mean_baseline"] - instrument.scale_min) / instrument.scale_span
        goodness = share if instrument.higher_is_better else 1 - share
        if goodness < 0.5 or tier_filter == "tier 3":
            notes.append(
                "Families come to the service when things are hard, and scores taken at a "
                "low point tend to improve anyway (regression to the mean). Without a "
                "comparison group, not all of the change can be credited to the service."
            )
    return notes
