"""The cohort page's views, one function each: the charts' tabs, needs at entry and who is
not in the figures.

Each draws what is on screen from the figures for the viewer (exact for a manager,
published for a commissioner) and offers downloads made from the figures being taken
away (published when a commissioner, or a manager who asked "For publication"). Every
chart has its "Chart data" beside it: the numbers it was drawn from, as taken away.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pages.common import (
    CACHE_TTL_SECONDS,
    chart_data_downloads,
    chart_download,
    engine_for,
    instruments,
    show_table,
    table_downloads,
)
from tracker.instruments.loader import Instrument
from tracker.measures.cohort import (
    DIMENSIONS,
    CohortFilter,
    breakdown,
    change_by_month,
    load_cohort,
    published_breakdown,
    published_change_by_month,
    published_transitions,
    scatter_points,
    transitions,
)
from tracker.measures.cohort.building import Cohort
from tracker.measures.cohort.excluded import (
    REASONS,
    excluded_counts,
    excluded_families,
    family_reasons,
    other_rater_only,
    published_excluded,
)
from tracker.measures.cohort.snapshot import published_snapshot, snapshot
from tracker.measures.disclosure import PUBLISHED, SERVICE
from tracker.render.cohort_charts import (
    breakdown_chart,
    change_by_domain,
    cohort_star,
    nothing_to_draw,
    over_time_chart,
    reliable_change_scatter,
    significance_legend,
    snapshot_chart,
    transition_heatmap,
)
from tracker.render.cohort_reports import (
    EXCLUDED_COLUMNS,
    LIST_COLUMNS,
    SNAPSHOT_COLUMNS,
    TOP_NEEDS_COLUMNS,
    breakdown_data,
    change_by_area_data,
    excluded_list_table,
    excluded_table,
    movement_data,
    over_time_data,
    scatter_data,
    snapshot_data,
    snapshot_table,
    star_data,
    top_needs_table,
)
from tracker.render.cohort_tables import (
    DOMAIN_COLUMNS,
    MOVEMENT_COLUMNS,
    OVER_TIME_COLUMNS,
    breakdown_meanings,
    breakdown_table,
    column_meanings,
    domain_table,
    meanings_list,
    over_time_table,
    transition_table,
)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner="Working out the cohort…")
def cached_cohort(database_url: str, cohort_filter: CohortFilter) -> Cohort:
    instrument = instruments()[cohort_filter.instrument]
    with engine_for(database_url).connect() as connection:
        return load_cohort(connection, cohort_filter, instrument)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_reasons(database_url: str, cohort_filter: CohortFilter) -> pd.DataFrame:
    """Each family in the view and why it is not in the figures (no references)."""
    cohort = cached_cohort(database_url, cohort_filter)
    with engine_for(database_url).connect() as connection:
        return family_reasons(cohort, other_rater_only(connection, cohort_filter, cohort))


def columns_explained(table, meanings: dict[str, str]) -> None:
    st.expander("What the columns mean").markdown(meanings_list(column_meanings(table, meanings)))


def too_few(message: str) -> None:
    st.info(message, icon=":material/shield:")


@dataclass(frozen=True)
class CohortView:
    """What every view needs: the cohort, who sees it, what downloads hold, and how."""

    cohort: Cohort
    cohort_filter: CohortFilter
    instrument: Instrument
    database_url: str
    min_group: int
    screen: str  # SERVICE for a manager, PUBLISHED for a commissioner
    take_away: str  # what downloads hold: PUBLISHED for a commissioner or "For publication"
    notes: tuple[str, ...]  # the yardstick's caption and the stamp, in every download

    @property
    def too_few_start(self) -> str:
        return f"Too few families to show: fewer than {self.min_group} families "

    def both(self, service, published, **options):
        """The view on screen, and the one downloads are made from (the same, unless a
        manager asked for published downloads)."""

        def made(audience):
            maker = published if audience == PUBLISHED else service
            return maker(self.cohort, min_group=self.min_group, **options)

        shown = made(self.screen)
        return shown, shown if self.take_away == self.screen else made(self.take_away)

    def tables(self, table: pd.DataFrame, name: str) -> None:
        table_downloads(table, name, self.min_group, self.notes)

    def chart_data(self, data: pd.DataFrame, name: str, holds: str) -> None:
        chart_data_downloads(data, name, self.min_group, self.notes, holds=holds)


def star_tab(view: CohortView, result: dict, taken: dict) -> None:
    instrument = view.instrument
    st.plotly_chart(cohort_star(result["domains"], instrument), width="stretch")
    chart_download(cohort_star(taken["domains"], instrument), "cohort-star", view.notes)
    view.chart_data(
        star_data(taken, instrument),
        "cohort-star",
        "The numbers the star is drawn from: each area's families and its mean at baseline "
        "and at the latest review",
    )
    show_table(table := domain_table(result, instrument))
    columns_explained(table, DOMAIN_COLUMNS)
    view.tables(domain_table(taken, instrument), "cohort-by-area")


def by_area_tab(view: CohortView, result: dict, taken: dict) -> None:
    instrument = view.instrument
    st.plotly_chart(change_by_domain(result["domains"], instrument), width="stretch")
    st.caption(
        f"{significance_legend(result['domains'])} "
        "n is the number of families scored at both baseline and latest."
    )
    chart_download(change_by_domain(taken["domains"], instrument), "change-by-area", view.notes)
    view.chart_data(
        change_by_area_data(taken, instrument),
        "change-by-area",
        "The numbers the bars are drawn from: each area's families, % worse, the same and "
        "improved, and whether it has a ◆",
    )


def movement_tab(view: CohortView) -> None:
    instrument = view.instrument
    labels = {d.key: d.label for d in instrument.domains}
    domain = st.selectbox("Area", list(labels), format_func=labels.get)
    cells, taken_cells = view.both(transitions, published_transitions, domain=domain)
    if nothing_to_draw(cells["families"]):
        too_few(
            view.too_few_start + f"were scored in {labels[domain]} at both baseline and latest."
        )
        return
    st.plotly_chart(transition_heatmap(cells, instrument, domain), width="stretch")
    chart_download(
        transition_heatmap(taken_cells, instrument, domain), f"movement-{domain}", view.notes
    )
    view.chart_data(
        movement_data(taken_cells),
        f"movement-{domain}",
        "The numbers the grid is drawn from: families per band at baseline and band at "
        "the latest review, one row per pair",
    )
    show_table(table := transition_table(cells, instrument))
    columns_explained(table, MOVEMENT_COLUMNS)
    view.tables(transition_table(taken_cells, instrument), f"movement-{domain}")


def breakdowns_tab(view: CohortView) -> None:
    dimension = st.selectbox(
        "Break down by",
        [d for d in DIMENSIONS if d != "referral_source"],
        format_func=DIMENSIONS.get,
    )
    groups, taken_groups = view.both(breakdown, published_breakdown, dimension=dimension)
    label = DIMENSIONS[dimension]
    if groups.empty:
        st.info("No families with a review match these filters.")
        return
    if nothing_to_draw(groups["n"]):
        too_few(view.too_few_start + f"with a review share any one {label.lower()}.")
        return
    st.plotly_chart(breakdown_chart(groups, label), width="stretch")
    chart_download(breakdown_chart(taken_groups, label), f"breakdown-{dimension}", view.notes)
    view.chart_data(
        breakdown_data(taken_groups, label),
        f"breakdown-{dimension}",
        "The numbers the bars are drawn from: each group's families, mean change with its "
        "95% interval, and % reliably improved",
    )
    show_table(table := breakdown_table(groups, label))
    columns_explained(table, breakdown_meanings(label))
    view.tables(breakdown_table(taken_groups, label), f"breakdown-{dimension}")


def over_time_tab(view: CohortView) -> None:
    instrument = view.instrument
    grouping = st.selectbox(
        "Lines for",
        [None, *[d for d in DIMENSIONS if d != "referral_source"]],
        format_func=lambda d: "The whole cohort" if d is None else DIMENSIONS[d],
    )
    same_families = st.toggle(
        "Show scores: the same families at month 0 and at each month",
        help="Each point then shows the mean score of the families assessed that month, "
        "and the same families' mean at their baseline, over the areas scored at both.",
    )
    points, taken_points = view.both(change_by_month, published_change_by_month, dimension=grouping)
    if nothing_to_draw(points["n"]):
        too_few(view.too_few_start + "were assessed in any one month since their baseline.")
        return
    st.plotly_chart(over_time_chart(points, instrument, scores=same_families), width="stretch")
    st.caption(
        "Each point compares families with themselves: the mean change from their own "
        "baseline of the families assessed that many months after it (n), over the "
        "areas scored at both. Different families are assessed at different months, "
        "so compare points with care."
    )
    chart_download(
        over_time_chart(taken_points, instrument, scores=same_families), "over-time", view.notes
    )
    view.chart_data(
        over_time_data(taken_points, scores=same_families),
        "over-time",
        "The numbers the lines are drawn from: each group's families and "
        + ("mean scores" if same_families else "mean change from baseline")
        + " at each month since baseline",
    )
    show_table(table := over_time_table(points))
    columns_explained(table, OVER_TIME_COLUMNS)
    view.tables(over_time_table(taken_points), "over-time")


def scatter_tab(view: CohortView) -> None:
    """For managers only: a dot per family, so never published, with or without its data."""
    cohort = view.cohort
    dots = scatter_points(cohort, min_group=view.min_group)
    if dots.empty:
        too_few(
            view.too_few_start + "with a review could have their change judged reliable or not."
        )
        return
    figure = reliable_change_scatter(dots, cohort.s_diff, view.instrument)
    st.plotly_chart(figure, width="stretch")
    st.caption(
        "For managers only. Dots carry no names or references, and their order "
        "is shuffled. The shaded band is change too small to be reliable. "
        "Families with fewer than half the areas paired are not drawn. "
        + cohort.yardstick.caption()
    )
    if view.take_away == PUBLISHED:
        st.caption("Not for publication: each dot is a family, so it has no download.")
        return
    chart_download(figure, "reliable-change", view.notes)
    view.chart_data(
        scatter_data(dots),
        "reliable-change",
        "The numbers the dots are drawn from: one row per family, no name or reference, "
        "its overall score at baseline and at the latest review and its reliable change",
    )


def entry_tab(view: CohortView) -> None:
    """Needs at entry: every family with a baseline, those awaiting review included."""
    instrument = view.instrument
    shown, taken = view.both(snapshot, published_snapshot)
    st.caption(
        "Where families stood at their first baseline in this view, area by area: every "
        "family with a baseline, including those still awaiting their first review. Each "
        "share is of the families scored in that area at baseline. A bar falls short of "
        "100% where a band with too few families to show is left out."
    )
    if nothing_to_draw(shown.bands["n"]):
        too_few(view.too_few_start + "were scored in any one area at baseline.")
        return
    st.plotly_chart(snapshot_chart(shown.bands, instrument), width="stretch")
    chart_download(snapshot_chart(taken.bands, instrument), "needs-at-entry", view.notes)
    view.chart_data(
        snapshot_data(taken, instrument),
        "needs-at-entry",
        "The numbers the bars and the table are drawn from: each area's families scored at "
        "baseline and, for each band, the families there and their share",
    )
    show_table(table := snapshot_table(shown, instrument))
    columns_explained(table, SNAPSHOT_COLUMNS)
    st.subheader("The most common needs at entry")
    need = " or ".join(f'"{band}"' for band in shown.need_bands)
    st.caption(
        f"A need is a score at {need} at baseline. The three areas where the largest share "
        "of families scored there had one."
    )
    top = top_needs_table(shown, instrument)
    if top.empty:
        too_few(view.too_few_start + "had a need at baseline in any one area.")
        return
    show_table(top)
    columns_explained(top, TOP_NEEDS_COLUMNS)
    view.tables(top_needs_table(taken, instrument), "top-needs-at-entry")


def left_out_tab(view: CohortView) -> None:
    """Who is not in these figures, and why: counts for everyone, references for managers."""
    reasons = cached_reasons(view.database_url, view.cohort_filter)

    def counts(audience: str) -> pd.DataFrame:
        maker = published_excluded if audience == PUBLISHED else excluded_counts
        return excluded_table(maker(view.cohort, reasons, min_group=view.min_group))

    table = counts(view.screen)
    show_table(shown := table.drop(columns=["What it means"]))
    columns_explained(shown, EXCLUDED_COLUMNS)
    st.expander("What each reason means").markdown(
        meanings_list((reason.name, reason.meaning) for reason in REASONS.values())
    )
    taken = table if view.take_away == view.screen else counts(view.take_away)
    view.tables(taken, "not-in-these-figures")
    if view.screen != SERVICE:
        return
    st.subheader("The families")
    with engine_for(view.database_url).connect() as connection:
        listed = excluded_list_table(excluded_families(connection, view.cohort, reasons))
    st.caption(
        "For managers only: families by reference. Never in published figures, and no "
        'download while "For publication" is on.'
    )
    if listed.empty:
        st.info("Every family in this view is in the figures.")
        return
    show_table(listed)
    columns_explained(listed, LIST_COLUMNS)
    if view.take_away == PUBLISHED:
        st.caption("Not for publication: the list names families, so it has no download.")
    else:
        view.tables(listed, "not-in-these-figures-families")
