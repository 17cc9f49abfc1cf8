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
    CohortFilter,
    breakdown,
    caveats,
    change_by_month,
    figures,
    filter_choices,
    load_cohort,
    marked_hidden,
    published_breakdown,
    published_change_by_month,
    published_figures,
    published_transitions,
    scatter_points,
    stamp,
    stamp_lines,
    transitions,
)
from tracker.measures.cohort.published import published_yardstick
from tracker.measures.cohort.statistics import NET_IMPROVEMENT_METHOD, SRM_NOTE
from tracker.measures.disclosure import (
    PUBLISHED,
    SERVICE,
    SUPPRESSED,
    AudienceError,
    check_published_min_group,
    whole_months,
)
from tracker.measures.reliable_change import NO_RELIABLE_CHANGE, RELIABLY_WORSE
from tracker.people.access import allowed
from tracker.render.cohort_charts import (
    breakdown_chart,
    change_by_domain,
    cohort_star,
    over_time_chart,
    reliable_change_scatter,
    significance_legend,
    transition_heatmap,
)
from tracker.render.cohort_tables import (
    breakdown_table,
    domain_table,
    over_time_table,
    transition_table,
)
from tracker.render.downloads import footnote
from tracker.store.settings import get_settings
from tracker.store.vocabulary import DEFAULT_RATERS, KEY_WORKER_BACKGROUNDS

ANY = "All"


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_choices(database_url: str) -> dict[str, list[str]]:
    with engine_for(database_url).connect() as connection:
        return filter_choices(connection)


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
    instrument_key = st.selectbox(
        "Instrument", list(available), format_func=lambda key: available[key].name
    )
    for_publication = screen == PUBLISHED or st.toggle(
        "For publication",
        disabled=not publishable,
        help="Downloads for a board or a commissioner: counts rounded to the nearest 5 and "
        "small ones hidden, whole months of baselines, and a stamp saying so. The figures "
        "on screen stay exact.",
    )
    window = st.date_input(
        "Baselines between",
        value=(),
        max_value=date.today(),
        format="DD/MM/YYYY",
        help="Leave empty for every baseline."
        + (" Published figures cover whole months." if for_publication else ""),
    )
    window = tuple(window) if isinstance(window, tuple | list) else (window,)
    start = window[0] if len(window) >= 1 else None
    end = window[1] if len(window) == 2 else None
    if for_publication and (start, end) != whole_months(start, end):
        start, end = whole_months(start, end)
        st.caption(
            "Published figures cover whole months, so baselines are taken "
            + (f"from {start:%d/%m/%Y} " if start else "")
            + (f"to {end:%d/%m/%Y}" if end else "onwards")
            + "."
        )
    area = pick(st, "Area", choices["area"])
    tier = pick(st, "Tier of need", choices["tier_of_need"])
    # Staff names are for managers; commissioners compare key worker types only.
    worker = (
        pick(st, "Key worker", choices["key_worker"]) if allowed(viewer, "view_staff") else None
    )
    worker_type = pick(st, "Key worker type", choices["key_worker_type"], KEY_WORKER_BACKGROUNDS)
    age = pick(st, "Age of youngest child", choices["age_group"])
    source = pick(st, "Referral source", choices["referral_source"])
    status = st.radio("Cases", ["All", "Open", "Closed"], horizontal=True)
    view = st.radio(
        "Whose ratings",
        ["Worker and joint", "The family's own"],
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
    raters=DEFAULT_RATERS if view == "Worker and joint" else ("family",),
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
    *stamp_lines(stamp(take_away, min_group, cohort_filter, date.today())),
)

st.title("Cohort: distance travelled")
st.caption(
    f"{instrument.name} · {view.lower()} ratings · change compares each family's first "
    "baseline with its latest review before any re-referral; positive means better."
)
if screen == PUBLISHED:
    st.info(
        "Published figures: counts are rounded to the nearest 5, small ones are hidden (*) "
        "and averages are rounded so that no family can be picked out.",
        icon=":material/shield:",
    )
for note in caveats(cohort, {**result, "audience": screen}, tier_filter=tier):
    st.warning(note, icon=":material/info:")

NOT_AVAILABLE = "–"


def shown(value, suffix: str = "", digits: int = 0) -> str:
    """A figure for a tile: ``*`` when hidden, a dash when there is none to show."""
    if value == SUPPRESSED:
        return SUPPRESSED
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.{digits}f}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


def with_pct(count, pct) -> str:
    if count in (None, SUPPRESSED):
        return shown(count)
    return f"{count} ({shown(pct, '%')})"


# Fixed-width tiles in rows that wrap: a figure or its name is never cut short on a tablet.
TILE_WIDTH = 200
tiles = st.container(horizontal=True, gap="medium")
tiles.metric("Families in cohort", shown(result["families"]), width=TILE_WIDTH)
tiles.metric("With a review", shown(result["with_review"]), width=TILE_WIDTH)
tiles.metric(
    "Awaiting review",
    shown(result["awaiting_review"]),
    help="They have a baseline but no review yet, so they are not in the change figures.",
    width=TILE_WIDTH,
)
tiles.metric(
    "Better off",
    with_pct(overall["reliable_improvement"], overall["pct_reliable_improvement"]),
    help="Reliably better: families whose overall score improved by more than "
    "measurement error alone would give.",
    width=TILE_WIDTH,
)
interval = (
    f"{shown(overall['mean_change_ci_low'], digits=2)} to "
    f"{shown(overall['mean_change_ci_high'], digits=2)}"
)
tiles.metric(
    "Mean distance travelled",
    shown(overall["mean_change"], digits=2),
    help=f"95% confidence interval {interval}; on the "
    f"{instrument.scale_min:g}-{instrument.scale_max:g} scale, + is better.",
    width=TILE_WIDTH,
)
st.caption(f"Mean distance travelled 95% interval: {interval}.")
tiles = st.container(horizontal=True, gap="medium")
tiles.metric(
    NO_RELIABLE_CHANGE,
    with_pct(overall["no_reliable_change"], overall["pct_no_reliable_change"]),
    width=TILE_WIDTH,
)
tiles.metric(
    RELIABLY_WORSE,
    with_pct(overall["reliable_deterioration"], overall["pct_reliable_deterioration"]),
    width=TILE_WIDTH,
)
tiles.metric(
    "Not classifiable",
    with_pct(overall["not_classifiable"], overall["pct_not_classifiable"]),
    help="Fewer than half the areas were scored at both baseline and latest, so their "
    "overall change cannot be judged reliable or not.",
    width=TILE_WIDTH,
)
if instrument.caseness is not None:
    tiles.metric(
        "Reliably recovered",
        with_pct(overall["reliable_recovery"], overall["pct_reliable_recovery"]),
        help="Of the families past the caseness threshold at baseline: on the good side of "
        f"it at the latest and reliably better ({instrument.caseness.source}).",
        width=TILE_WIDTH,
    )
srm_interval = (
    f"{shown(overall['standardised_response_mean_ci_low'], digits=2)} to "
    f"{shown(overall['standardised_response_mean_ci_high'], digits=2)}"
)
tiles.metric(
    "Standardised response mean",
    shown(overall["standardised_response_mean"], digits=2),
    help=f"Mean change divided by the spread of the changes; 95% interval {srm_interval}.",
    width=TILE_WIDTH,
)
st.caption(f"Standardised response mean 95% interval: {srm_interval}. {SRM_NOTE}")
st.caption(yardstick_of(screen).caption())
tiles = st.container(horizontal=True, gap="medium")
for label, key in (("Improved", "improved"), ("Same", "same"), ("Worse", "worse")):
    tiles.metric(
        f"{label} (any change)",
        with_pct(overall[key], overall[f"pct_{key}"]),
        width=TILE_WIDTH,
    )
net = overall["net_improvement"]
net_interval = (
    f"{shown(overall['net_improvement_ci_low'])} to {shown(overall['net_improvement_ci_high'])}"
)
tiles.metric(
    "Net improvement",
    shown(net) if net in (None, SUPPRESSED) else f"{net:+.0f} points",
    help="% improved minus % worse (any change), in percentage points; "
    f"95% interval {net_interval}.",
    width=TILE_WIDTH,
)
tiles.metric(
    "Worse at first review",
    with_pct(result["early_worsening"], result["pct_early_worsening"]),
    help="Families whose first review is worse overall than their baseline, of those "
    "with a review.",
    width=TILE_WIDTH,
)
st.caption(f"{ANY_CHANGE_NOTE} {EARLY_WORSENING_NOTE}")
st.caption(
    f"Net improvement 95% interval: {net_interval} percentage points ({NET_IMPROVEMENT_METHOD})."
)
later = result["later_journeys"]
if later != 0:
    st.caption(
        f"Later journeys (re-referrals after a new baseline): {shown(later)}. "
        "They are not in these figures, which follow each family's first journey."
    )
st.caption(footnote(min_group).replace("*", "\\*", 1))
DOWNLOADS_ARE = {
    SERVICE: "Downloads hold exact service figures, not for publication.",
    PUBLISHED: "Downloads hold published figures, stamped as such.",
}
st.caption(DOWNLOADS_ARE[take_away])

tab_names = ["Cohort star", "Change by area", "Movement", "Breakdowns", "Over time"]
if allowed(viewer, "view_scatter"):
    tab_names.append("Reliable change")
tabs = st.tabs(tab_names)
taken_domains = taken["domains"]

with tabs[0]:
    st.plotly_chart(cohort_star(result["domains"], instrument), width="stretch")
    chart_download(cohort_star(taken_domains, instrument), "cohort-star", notes)
    show_table(domain_table(result, instrument))
    table_downloads(
        domain_table(marked_hidden(taken), instrument), "cohort-by-area", min_group, notes
    )

with tabs[1]:
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
    st.plotly_chart(transition_heatmap(cells, instrument, domain), width="stretch")
    chart_download(transition_heatmap(taken_cells, instrument, domain), f"movement-{domain}", notes)
    show_table(transition_table(cells, instrument))
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
    if groups.empty:
        st.info("No families with a review match these filters.")
    else:
        label = DIMENSIONS[dimension]
        st.plotly_chart(breakdown_chart(groups, label), width="stretch")
        chart_download(breakdown_chart(taken_groups, label), f"breakdown-{dimension}", notes)
        show_table(breakdown_table(groups, label))
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
    st.plotly_chart(over_time_chart(points, instrument, scores=same_families), width="stretch")
    st.caption(
        "Each point compares families with themselves: the mean change from their own "
        "baseline of the families assessed that many months after it (n), over the areas "
        "scored at both. Different families are assessed at different months, so compare "
        "points with care."
    )
    chart_download(
        over_time_chart(taken_points, instrument, scores=same_families), "over-time", notes
    )
    show_table(over_time_table(points))
    table_downloads(over_time_table(taken_points), "over-time", min_group, notes)

if allowed(viewer, "view_scatter"):
    with tabs[5]:
        dots = scatter_points(cohort, min_group=min_group)
        if dots.empty:
            st.info(f"Hidden: fewer than {min_group} families have a review in this cohort.")
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
