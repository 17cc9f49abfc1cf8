"""Cohort: how far families have travelled, for whom and where, with small groups hidden.

Managers, who may open every family's record, see exact figures; commissioners see
published ones (rounded, whole months of baselines), and so does every download a
manager marks "For publication". Every download says which it is (docs/disclosure.md).
"""

from datetime import date

import streamlit as st

from pages.common import (
    CACHE_TTL_SECONDS,
    chart_download,
    engine_for,
    instruments,
    require_page,
    show_table,
    table_downloads,
)
from tracker.measures.cohort import (
    ANY_CHANGE_NOTE,
    DIMENSIONS,
    EARLY_WORSENING_NOTE,
    RATER_VIEWS,
    STATISTICS,
    CohortFilter,
    WindowError,
    breakdown,
    caveats,
    change_by_month,
    describe_window,
    figures,
    filter_choices,
    load_cohort,
    main_instrument,
    marked_hidden,
    not_shown,
    published_breakdown,
    published_change_by_month,
    published_figures,
    published_transitions,
    read_window,
    scatter_points,
    stamp,
    stamp_lines,
    transitions,
)
from tracker.measures.cohort.published import published_yardstick
from tracker.measures.cohort.statistics import NET_IMPROVEMENT_METHOD, SRM_NOTE
from tracker.measures.cohort.window import EXAMPLE, FROM_LABEL, TO_LABEL
from tracker.measures.disclosure import (
    PUBLISHED,
    SERVICE,
    SUPPRESSED,
    AudienceError,
    check_published_min_group,
    whole_months,
)
from tracker.people.access import allowed
from tracker.render.cohort_charts import (
    breakdown_chart,
    change_by_domain,
    cohort_star,
    nothing_to_draw,
    over_time_chart,
    reliable_change_scatter,
    significance_legend,
    transition_heatmap,
)
from tracker.render.cohort_tables import (
    DOMAIN_COLUMNS,
    MOVEMENT_COLUMNS,
    OVER_TIME_COLUMNS,
    breakdown_meanings,
    breakdown_table,
    column_meanings,
    count_with_pct,
    domain_table,
    figure_text,
    interval_text,
    meanings_list,
    over_time_table,
    transition_table,
)
from tracker.render.downloads import footnote
from tracker.store.settings import get_settings
from tracker.store.vocabulary import KEY_WORKER_BACKGROUNDS

ANY = "All"


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_choices(database_url: str) -> dict[str, list[str]]:
    with engine_for(database_url).connect() as connection:
        return filter_choices(connection)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_main_instrument(database_url: str, keys: tuple[str, ...], setting: str | None) -> str:
    with engine_for(database_url).connect() as connection:
        return main_instrument(connection, list(keys), setting)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner="Working out the cohort…")
def cached_cohort(database_url: str, cohort_filter: CohortFilter):
    instrument = instruments()[cohort_filter.instrument]
    with engine_for(database_url).connect() as connection:
        return load_cohort(connection, cohort_filter, instrument)


def pick(column, label: str, options: list[str], labels: dict[str, str] | None = None):
    """A filter selectbox offering "All" first; shows ``labels`` and returns the stored key."""
    shown = {labels.get(option, option) if labels else option: option for option in options}
    choice = column.selectbox(label, [ANY, *shown])
    return None if choice == ANY else shown[choice]


def columns_explained(table, meanings: dict[str, str]) -> None:
    st.expander("What the columns mean").markdown(meanings_list(column_meanings(table, meanings)))


def too_few(message: str) -> None:
    st.info(message, icon=":material/shield:")


viewer = require_page(__file__)
settings = get_settings()
min_group = settings.min_group
database_url = settings.database_url
choices = cached_choices(database_url)
available = instruments()
# Exact figures are for people who may open every family's record; everyone else on
# this page (a commissioner) sees what may be published.
screen = SERVICE if viewer.sees_whole_service else PUBLISHED
publishable = True
try:
    check_published_min_group(min_group)
except AudienceError as error:
    publishable = False
    if screen == PUBLISHED:
        st.error(f"{error} Ask an administrator to raise TRACKER_MIN_GROUP.")
        st.stop()

with st.sidebar:
    st.header("Filters")
    keys = list(available)
    main = settings.main_instrument
    if main is not None and main not in available:
        st.warning(
            f"TRACKER_MAIN_INSTRUMENT is {main!r}, which is not one of this service's "
            f"instruments ({', '.join(keys)}), so the page opens on the one most families "
            "have been scored on. Ask an administrator to correct it."
        )
    opening = cached_main_instrument(database_url, tuple(keys), main)
    instrument_key = st.selectbox(
        "Instrument",
        keys,
        index=keys.index(opening),
        format_func=lambda key: available[key].name,
    )
    for_publication = screen == PUBLISHED or st.toggle(
        "For publication",
        disabled=not publishable,
        help="Downloads for a board or a commissioner: counts rounded to the nearest 5 and "
        "small ones hidden, whole months of baselines, and a stamp saying so. The figures "
        "on screen stay exact.",
    )
    # Typed dates apply on Enter, each end on its own; a date picker's range would
    # apply only once both ends were picked.
    typed = f"A date such as {EXAMPLE} or 1 Apr 2025; press Enter to apply. Leave it empty"
    start_text = st.text_input(
        FROM_LABEL, placeholder=f"e.g. {EXAMPLE}", help=f"{typed} for the earliest baseline."
    )
    end_text = st.text_input(
        TO_LABEL,
        placeholder="e.g. 31/03/2026",
        help=f"{typed} for the latest baseline."
        + (" Published figures cover whole months." if for_publication else ""),
    )
    try:
        start, end = read_window(start_text, end_text)
    except WindowError as error:
        st.error(f"{error} Until then the figures cover every baseline.")
        start = end = None
    if for_publication and (start, end) != whole_months(start, end):
        start, end = whole_months(start, end)
        st.caption(
            "Published figures cover whole months, so the baselines are "
            f"{describe_window(start, end)}."
        )
    area = pick(st, DIMENSIONS["area"], choices["area"])
    tier = pick(st, DIMENSIONS["tier_of_need"], choices["tier_of_need"])
    # Staff names are for managers; commissioners compare key worker types only.
    worker = (
        pick(st, "Key worker", choices["key_worker"]) if allowed(viewer, "view_staff") else None
    )
    worker_type = pick(
        st, DIMENSIONS["key_worker_type"], choices["key_worker_type"], KEY_WORKER_BACKGROUNDS
    )
    age = pick(st, DIMENSIONS["age_group"], choices["age_group"])
    source = pick(st, DIMENSIONS["referral_source"], choices["referral_source"])
    status = st.radio("Cases", ["All", "Open", "Closed"], horizontal=True)
    view = st.radio(
        "Whose ratings",
        list(RATER_VIEWS.values()),
        help="The family's own ratings are shown separately, never mixed in.",
    )

cohort_filter = CohortFilter(
    instrument=instrument_key,
    area=area,
    tier_of_need=tier,
    key_worker=worker,
    key_worker_type=worker_type,
    age_group=age,
    referral_source=source,
    status=None if status == "All" else status.lower(),
    raters={name: raters for raters, name in RATER_VIEWS.items()}[view],
    baseline_from=start,
    baseline_to=end,
)
instrument = available[instrument_key]
cohort = cached_cohort(database_url, cohort_filter)
# What is downloaded: published for a commissioner, or when a manager asks for it.
take_away = PUBLISHED if for_publication else SERVICE


def on_screen_and_taken(service, published, **options):
    """The view on screen, and the one downloads are made from (the same, unless a
    manager asked for published downloads)."""

    def made(audience):
        maker = published if audience == PUBLISHED else service
        return maker(cohort, min_group=min_group, **options)

    shown = made(screen)
    return shown, shown if take_away == screen else made(take_away)


result, taken = on_screen_and_taken(figures, published_figures)
result = marked_hidden(result)
overall = result["overall"]


def yardstick_of(audience: str):
    if audience == PUBLISHED:
        return published_yardstick(cohort.yardstick, min_group)
    return cohort.yardstick


# Every download carries what reliable change was measured against, and its stamp: who it
# is for, how it was made, of which families, and when.
notes = (
    yardstick_of(take_away).caption(),
    *stamp_lines(
        stamp(take_away, min_group, cohort_filter, date.today(), instrument_name=instrument.name)
    ),
)

st.title("Cohort: distance travelled")
st.caption(
    f"{instrument.name} · {view.lower()} ratings · baselines: {describe_window(start, end)} · "
    "change compares each family's first baseline with its latest review before any "
    "re-referral; positive means better."
)
if screen == PUBLISHED:
    st.info(
        "Published figures: counts are rounded to the nearest 5, small ones are hidden (*) "
        "and averages are rounded so that no family can be picked out.",
        icon=":material/shield:",
    )

# Fixed-width tiles in rows that wrap: a figure or its name is never cut short on a tablet.
TILE_WIDTH = 200
shown_statistics = []


def tile(row, key: str, value: str, more: str = "") -> None:
    """A figure under its plain name, with its one-line meaning as the tile's help."""
    statistic = STATISTICS[key]
    shown_statistics.append(statistic)
    row.metric(statistic.name, value, help=f"{statistic.meaning} {more}".strip(), width=TILE_WIDTH)


def tiles_explained() -> None:
    st.expander("What is this? Every figure explained").markdown(meanings_list(shown_statistics))


problem = not_shown(result, min_group)
# Too few to show: say so plainly, rather than tiles of * and an empty star; the counts
# show when the cohort itself is big enough.
if problem is not None:
    too_few(problem)
    if result["families"] in (0, SUPPRESSED):
        st.stop()
else:
    for note in caveats(cohort, {**result, "audience": screen}, tier_filter=tier):
        st.warning(note, icon=":material/info:")
tiles = st.container(horizontal=True, gap="medium")
for key in ("families", "with_review", "awaiting_review"):
    tile(tiles, key, figure_text(result[key]))
if problem is not None:
    tiles_explained()
    st.caption(footnote(min_group).replace("*", "\\*", 1))
    st.stop()

interval = interval_text(overall["mean_change_ci_low"], overall["mean_change_ci_high"], 2)
srm_interval = interval_text(
    overall["standardised_response_mean_ci_low"], overall["standardised_response_mean_ci_high"], 2
)
net = overall["net_improvement"]
net_interval = interval_text(overall["net_improvement_ci_low"], overall["net_improvement_ci_high"])
tile(
    tiles,
    "reliable_improvement",
    count_with_pct(overall["reliable_improvement"], overall["pct_reliable_improvement"]),
)
tile(
    tiles,
    "mean_change",
    figure_text(overall["mean_change"], digits=2),
    f"95% interval {interval}." if interval else "",
)
tiles = st.container(horizontal=True, gap="medium")
for key in ("no_reliable_change", "reliable_deterioration", "not_classifiable"):
    tile(tiles, key, count_with_pct(overall[key], overall[f"pct_{key}"]))
if instrument.caseness is not None:
    tile(
        tiles,
        "reliable_recovery",
        count_with_pct(overall["reliable_recovery"], overall["pct_reliable_recovery"]),
        f"Threshold: {instrument.caseness.source}.",
    )
tile(
    tiles,
    "standardised_response_mean",
    figure_text(overall["standardised_response_mean"], digits=2),
    f"95% interval {srm_interval}." if srm_interval else "",
)
tiles = st.container(horizontal=True, gap="medium")
for key in ("improved", "same", "worse"):
    tile(tiles, key, count_with_pct(overall[key], overall[f"pct_{key}"]))
tile(
    tiles,
    "net_improvement",
    figure_text(net) if net in (None, SUPPRESSED) else f"{net:+.0f} points",
    f"95% interval {net_interval} percentage points." if net_interval else "",
)
tile(
    tiles,
    "early_worsening",
    count_with_pct(result["early_worsening"], result["pct_early_worsening"]),
)
tiles_explained()

if interval:
    st.caption(f"Mean distance travelled 95% interval: {interval}.")
if srm_interval:
    st.caption(f"Consistency of change (SRM) 95% interval: {srm_interval}. {SRM_NOTE}")
st.caption(yardstick_of(screen).caption())
st.caption(f"{ANY_CHANGE_NOTE} {EARLY_WORSENING_NOTE}")
if net_interval:
    st.caption(
        f"Net improvement 95% interval: {net_interval} percentage points "
        f"({NET_IMPROVEMENT_METHOD})."
    )
later = result["later_journeys"]
if later != 0:
    st.caption(
        f"{STATISTICS['later_journeys'].name}: {figure_text(later)}. "
        f"{STATISTICS['later_journeys'].meaning}"
    )
st.caption(footnote(min_group).replace("*", "\\*", 1))
DOWNLOADS_ARE = {
    SERVICE: "Downloads hold exact service figures, not for publication.",
    PUBLISHED: "Downloads hold published figures, stamped as such.",
}
st.caption(DOWNLOADS_ARE[take_away])

tab_names = ["Star", "By area", "Movement", "Breakdowns", "Over time"]
if allowed(viewer, "view_scatter"):
    tab_names.append("Reliable change")
tabs = st.tabs(tab_names)
taken_domains = taken["domains"]
TOO_FEW = f"Too few families to show: fewer than {min_group} families "
no_area = nothing_to_draw(row["n"] for row in result["domains"])
NO_AREA = TOO_FEW + "were scored in any one area at both baseline and latest."

with tabs[0]:
    if no_area:
        too_few(NO_AREA)
    else:
        st.plotly_chart(cohort_star(result["domains"], instrument), width="stretch")
        chart_download(cohort_star(taken_domains, instrument), "cohort-star", notes)
        show_table(table := domain_table(result, instrument))
        columns_explained(table, DOMAIN_COLUMNS)
        table_downloads(
            domain_table(marked_hidden(taken), instrument), "cohort-by-area", min_group, notes
        )

with tabs[1]:
    if no_area:
        too_few(NO_AREA)
    else:
        st.plotly_chart(change_by_domain(result["domains"], instrument), width="stretch")
        st.caption(
            f"{significance_legend(result['domains'])} "
            "n is the number of families scored at both baseline and latest."
        )
        chart_download(change_by_domain(taken_domains, instrument), "change-by-area", notes)

with tabs[2]:
    labels = {d.key: d.label for d in instrument.domains}
    domain = st.selectbox("Area", list(labels), format_func=labels.get)
    cells, taken_cells = on_screen_and_taken(transitions, published_transitions, domain=domain)
    if nothing_to_draw(cells["families"]):
        too_few(TOO_FEW + f"were scored in {labels[domain]} at both baseline and latest.")
    else:
        st.plotly_chart(transition_heatmap(cells, instrument, domain), width="stretch")
        chart_download(
            transition_heatmap(taken_cells, instrument, domain), f"movement-{domain}", notes
        )
        show_table(table := transition_table(cells, instrument))
        columns_explained(table, MOVEMENT_COLUMNS)
        table_downloads(
            transition_table(taken_cells, instrument), f"movement-{domain}", min_group, notes
        )

with tabs[3]:
    dimension = st.selectbox(
        "Break down by",
        [d for d in DIMENSIONS if d != "referral_source"],
        format_func=DIMENSIONS.get,
    )
    groups, taken_groups = on_screen_and_taken(breakdown, published_breakdown, dimension=dimension)
    label = DIMENSIONS[dimension]
    if groups.empty:
        st.info("No families with a review match these filters.")
    elif nothing_to_draw(groups["n"]):
        too_few(TOO_FEW + f"with a review share any one {label.lower()}.")
    else:
        st.plotly_chart(breakdown_chart(groups, label), width="stretch")
        chart_download(breakdown_chart(taken_groups, label), f"breakdown-{dimension}", notes)
        show_table(table := breakdown_table(groups, label))
        columns_explained(table, breakdown_meanings(label))
        table_downloads(
            breakdown_table(taken_groups, label), f"breakdown-{dimension}", min_group, notes
        )

with tabs[4]:
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
    points, taken_points = on_screen_and_taken(
        change_by_month, published_change_by_month, dimension=grouping
    )
    if nothing_to_draw(points["n"]):
        too_few(TOO_FEW + "were assessed in any one month since their baseline.")
    else:
        chart = over_time_chart(points, instrument, scores=same_families)
        st.plotly_chart(chart, width="stretch")
        st.caption(
            "Each point compares families with themselves: the mean change from their own "
            "baseline of the families assessed that many months after it (n), over the "
            "areas scored at both. Different families are assessed at different months, "
            "so compare points with care."
        )
        chart_download(
            over_time_chart(taken_points, instrument, scores=same_families), "over-time", notes
        )
        show_table(table := over_time_table(points))
        columns_explained(table, OVER_TIME_COLUMNS)
        table_downloads(over_time_table(taken_points), "over-time", min_group, notes)

if allowed(viewer, "view_scatter"):
    with tabs[5]:
        dots = scatter_points(cohort, min_group=min_group)
        if dots.empty:
            too_few(TOO_FEW + "with a review could have their change judged reliable or not.")
        else:
            figure = reliable_change_scatter(dots, cohort.s_diff, instrument)
            st.plotly_chart(figure, width="stretch")
            st.caption(
                "For managers only. Dots carry no names or references, and their order "
                "is shuffled. The shaded band is change too small to be reliable. "
                "Families with fewer than half the areas paired are not drawn. "
                + cohort.yardstick.caption()
            )
            if take_away == PUBLISHED:
                st.caption("Not for publication: each dot is a family, so it has no download.")
            else:
                chart_download(figure, "reliable-change", notes)
