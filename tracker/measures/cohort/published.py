"""Published cohort figures: the exact figures put through ``PublishedRule``.

Service figures (``headline``, ``views``, ``over_time``) are left as they are; a published
output is worked out from the same cohort with every small group unhidden, then each
figure is rounded or hidden here (docs/disclosure.md, "Published figures"):

- every count goes through ``PublishedRule.count`` and every percentage is worked out from
  the rounded counts (``PublishedRule.percent``);
- every mean, median and interval of ``n`` families through ``PublishedRule.magnitude``,
  with the width one family's value can span: the scale's span for an overall or domain
  score, twice it for a change, 200 points for net improvement (a family counts +100, 0
  or −100), and twice the span in SDs of change (``2 × span / SD``) for the standardised
  response mean, whose one-family share is its change over the SD, divided by n;
- every p-value as a band;
- a group of 1 to ``min_group − 1`` families shows every figure as ``*``, so nothing about
  a hidden group, not even a zero, is published: a hidden count's parts are hidden too.

A hidden figure is ``*`` (``SUPPRESSED``); ``None`` means there is nothing to show (no
families reviewed, too few values for an interval), never "hidden".
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.headline import Figured, figures
from tracker.measures.cohort.over_time import FIGURE_COLUMNS, POINT_COLUMNS, change_by_month
from tracker.measures.cohort.statistics import holm_adjusted
from tracker.measures.cohort.views import BREAKDOWN_COLUMNS, group_members, transitions
from tracker.measures.cohort.views import group_figures as exact_group_figures
from tracker.measures.disclosure import PUBLISHED, SUPPRESSED, PublishedRule
from tracker.measures.yardstick import Yardstick

# Net improvement is 100 × (improved − worse) / n: each family adds +100, 0 or −100.
NET_IMPROVEMENT_WIDTH = 200
# The yardstick is one service-wide figure, not a group's: shown to two places.
YARDSTICK_PLACES = 2
FAMILY_COUNT = re.compile(r"\b(\d+) families")
# The reliable change classes, each a count with its percentage.
CLASS_KEYS = ("reliable_improvement", "no_reliable_change", "reliable_deterioration")


def _hidden(block: dict, keep: tuple[str, ...]) -> dict:
    """Every figure of a hidden group as ``*``, but for the names in ``keep``."""
    return {key: value if key in keep else SUPPRESSED for key, value in block.items()}


def _counts_and_percentages(
    exact: dict, rule: PublishedRule, n: int, keys: tuple[str, ...]
) -> dict:
    """Each count in ``keys``, rounded, with its percentage of ``n`` from rounded counts."""
    shown = {}
    for key in keys:
        shown[key] = rule.count(exact[key])
        shown[f"pct_{key}"] = None if exact[key] is None else rule.percent(exact[key], n)
    return shown


def change_sd(changes: pd.Series) -> float | None:
    sd = float(changes.std(ddof=1)) if len(changes) >= 2 else None
    return sd if sd else None


def srm_width(span: float, changes: pd.Series) -> float | None:
    """How far one family can move the SRM, in SDs of change: its change spans ``2 × span``."""
    sd = change_sd(changes)
    return None if sd is None else 2 * span / sd


def _overall(cohort: Figured, exact: dict, rule: PublishedRule) -> dict:
    overall = exact
    n = len(cohort.overall)
    span = cohort.instrument.scale_span
    reliable_change_sd = _yardstick(cohort.yardstick, rule.min_group)["s_diff"]
    if n == 0:
        return {key: None for key in overall} | {"n": 0}
    if n < rule.min_group:
        hidden = _hidden(overall, keep=("net_improvement_method",))
        return hidden | {"reliable_change_sd": reliable_change_sd}

    def magnitude(key: str, width: float | None):
        return None if width is None else rule.magnitude(overall[key], n, width)

    shown = {
        "n": rule.count(n),
        "mean_baseline": magnitude("mean_baseline", span),
        "mean_latest": magnitude("mean_latest", span),
        **{
            key: magnitude(key, 2 * span)
            for key in ("mean_change", "mean_change_ci_low", "mean_change_ci_high", "median_change")
        },
        **_counts_and_percentages(overall, rule, n, ("improved", "same", "worse")),
        "wilcoxon_p": rule.p_value(overall["wilcoxon_p"]),
        **{
            key: magnitude(key, NET_IMPROVEMENT_WIDTH)
            for key in ("net_improvement", "net_improvement_ci_low", "net_improvement_ci_high")
        },
        "net_improvement_method": overall["net_improvement_method"],
        **{
            key: magnitude(key, srm_width(span, cohort.overall["change"].astype(float)))
            for key in (
                "standardised_response_mean",
                "standardised_response_mean_ci_low",
                "standardised_response_mean_ci_high",
            )
        },
        **_counts_and_percentages(overall, rule, n, (*CLASS_KEYS, "not_classifiable")),
        "reliable_change_sd": reliable_change_sd,
    }
    if _pinned(shown, rule):
        return _hidden(shown, keep=("net_improvement_method", "reliable_change_sd"))
    if "cases_at_baseline" in overall:
        cases = overall["cases_at_baseline"]
        shown["cases_at_baseline"] = rule.count(cases)
        shown["reliable_recovery"] = rule.count(overall["reliable_recovery"])
        shown["pct_reliable_recovery"] = (
            None
            if overall["reliable_recovery"] is None
            else rule.percent(overall["reliable_recovery"], cases)
        )
    return shown


def _pinned(block: dict, rule: PublishedRule) -> bool:
    """Whether a block's n and its rounded parts (improved, same and worse; the reliable
    change classes) leave a hidden part only one value."""
    splits = [("improved", "same", "worse"), (*CLASS_KEYS, "not_classifiable")]
    return any(
        rule.pins_a_part(block["n"], [block[key] for key in split])
        for split in splits
        if all(key in block and block[key] is not None for key in split)
    )


def _places(value: float | None) -> float | None:
    return None if value is None else round(value, YARDSTICK_PLACES)


def _domain(exact: dict, rule: PublishedRule, span: float) -> dict:
    n = exact["n"]
    if n == 0:
        return {key: None for key in exact} | {"domain": exact["domain"], "n": 0}
    if n < rule.min_group:
        return _hidden(exact, keep=("domain",))
    shown = {
        "domain": exact["domain"],
        "n": rule.count(n),
        "mean_baseline": rule.magnitude(exact["mean_baseline"], n, span),
        "mean_latest": rule.magnitude(exact["mean_latest"], n, span),
        "mean_change": rule.magnitude(exact["mean_change"], n, 2 * span),
        "median_change": rule.magnitude(exact["median_change"], n, 2 * span),
        **_counts_and_percentages(exact, rule, n, ("improved", "same", "worse")),
        "sign_test_p": rule.p_value(exact["sign_test_p"]),
        "p_holm": None,
    }
    return _hidden(shown, keep=("domain",)) if _pinned(shown, rule) else shown


def _domains(exact: list[dict], rule: PublishedRule, span: float) -> list[dict]:
    """Each domain rounded, with the sign tests Holm-adjusted across the domains shown."""
    shown = [_domain(row, rule, span) for row in exact]
    tested = [
        row["sign_test_p"] if published["n"] not in (0, SUPPRESSED) else None
        for row, published in zip(exact, shown, strict=True)
    ]
    for row, p in zip(shown, holm_adjusted(tested), strict=True):
        if row["n"] not in (0, SUPPRESSED):
            row["p_holm"] = rule.p_value(p)
    return shown


def published_yardstick(yardstick: Yardstick, min_group: int) -> Yardstick:
    """The service's yardstick with its figures to two places and its counts rounded, in
    its source's words too ("estimated from 52 families' baselines")."""
    rule = PublishedRule(min_group)

    def rounded(found: re.Match) -> str:
        return f"about {rule.count(int(found.group(1)))} families"

    return replace(
        yardstick,
        reference_sd=_places(yardstick.reference_sd),
        reliability=_places(yardstick.reliability),
        source=FAMILY_COUNT.sub(rounded, yardstick.source),
        n_reference=rule.count(yardstick.n_reference),
    )


def _yardstick(yardstick: Yardstick, min_group: int) -> dict:
    shown = published_yardstick(yardstick, min_group).as_dict()
    return {**shown, "s_diff": _places(shown["s_diff"])}


def published_figures(cohort: Figured, *, min_group: int) -> dict:
    """Every headline figure of ``figures``, for publication."""
    rule = PublishedRule(min_group)
    exact = figures(cohort, min_group=1)
    families, reviewed = cohort.family_count, cohort.with_review
    span = cohort.instrument.scale_span
    early = cohort.early_worsening
    counts = {
        "families": rule.count(families),
        "with_review": rule.count(reviewed),
        "awaiting_review": rule.count(families - reviewed),
        "early_worsening": rule.count(early),
        "pct_early_worsening": rule.percent(early, reviewed),
        "later_journeys": rule.count(cohort.later_journeys),
    }
    if 0 < families < min_group or rule.pins_a_part(
        counts["families"], [counts["with_review"], counts["awaiting_review"]]
    ):
        # The parts of a hidden whole are hidden too, zeros included: two hidden parts
        # that could not be 0 would otherwise pin a whole of 2 down to 1 + 1.
        counts = dict.fromkeys(counts, SUPPRESSED)
    elif 0 < reviewed < min_group:
        counts |= {"early_worsening": SUPPRESSED, "pct_early_worsening": SUPPRESSED}
    return {
        "audience": PUBLISHED,
        "instrument": exact["instrument"],
        **counts,
        "min_group": min_group,
        "yardstick": _yardstick(cohort.yardstick, min_group),
        "overall": _overall(cohort, exact["overall"], rule),
        "domains": _domains([{**row, "n": row["n"] or 0} for row in exact["domains"]], rule, span),
    }


def published_breakdown(cohort: Cohort, dimension: str, *, min_group: int) -> pd.DataFrame:
    """``views.breakdown`` for publication: counts and percentages from rounded counts,
    the mean change and its interval rounded for the group's n."""
    rule = PublishedRule(min_group)
    width = 2 * cohort.instrument.scale_span
    rows = []
    for group, members in group_members(cohort, dimension):
        exact = exact_group_figures(cohort, members)
        n = exact["n"]
        if n < min_group:
            rows.append(
                {**dict.fromkeys(BREAKDOWN_COLUMNS, SUPPRESSED), "group": group, "suppressed": True}
            )
            continue
        reliable = exact["reliable_improvement"]
        rows.append(
            {
                "group": group,
                "n": rule.count(n),
                **{
                    key: rule.magnitude(exact[key], n, width)
                    for key in ("mean_change", "ci_low", "ci_high")
                },
                "pct_improved": rule.percent(exact["improved"], n),
                "pct_reliable_improvement": None if reliable is None else rule.percent(reliable, n),
                "suppressed": False,
            }
        )
    if rule.pins_a_part(rule.count(len(cohort.overall)), [row["n"] for row in rows]):
        rows = [
            {
                **dict.fromkeys(BREAKDOWN_COLUMNS, SUPPRESSED),
                "group": row["group"],
                "suppressed": True,
            }
            for row in rows
        ]
    return pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)


def published_transitions(cohort: Cohort, domain: str, *, min_group: int) -> pd.DataFrame:
    """``views.transitions`` for publication: each cell rounded, the whole table hidden
    when fewer than ``min_group`` families are paired on the domain."""
    rule = PublishedRule(min_group)
    cells = transitions(cohort, domain, min_group=1)
    paired = int(cells["families"].sum())
    shown = [rule.count(int(count)) for count in cells["families"]]
    hidden = 0 < paired < min_group or rule.pins_a_part(rule.count(paired), shown)
    cells["families"] = [SUPPRESSED if hidden else count for count in shown]
    return cells


def published_change_by_month(
    cohort: Cohort, *, min_group: int, dimension: str | None = None
) -> pd.DataFrame:
    """``over_time.change_by_month`` for publication: each point's n rounded, its means
    rounded for that n (a change spans twice the scale, a score the scale)."""
    rule = PublishedRule(min_group)
    span = cohort.instrument.scale_span
    points = change_by_month(cohort, min_group=1, dimension=dimension)
    widths = {"mean_change": 2 * span, "mean_baseline": span, "mean_at_month": span}
    shown = points.astype({column: object for column in FIGURE_COLUMNS})
    hidden = points["n"] < min_group
    for index, point in points.iterrows():
        n = int(point["n"])
        shown.at[index, "n"] = SUPPRESSED if hidden[index] else rule.count(n)
        for column, width in widths.items():
            shown.at[index, column] = (
                SUPPRESSED if hidden[index] else rule.magnitude(point[column], n, width)
            )
    if dimension is not None:
        hidden = hidden | _pinned_months(cohort, shown, rule)
        shown.loc[hidden, ["n", *widths]] = SUPPRESSED
    shown["suppressed"] = hidden
    return shown.loc[:, POINT_COLUMNS]


def _pinned_months(cohort: Cohort, points: pd.DataFrame, rule: PublishedRule) -> pd.Series:
    """The points of months whose groups, against the whole cohort's point that month,
    leave a hidden group only one n."""
    whole = change_by_month(cohort, min_group=1).set_index("month")["n"]
    pinned = {
        month
        for month, group in points.groupby("month")
        if rule.pins_a_part(rule.count(int(whole.get(month, 0))), list(group["n"]))
    }
    return points["month"].isin(pinned)
