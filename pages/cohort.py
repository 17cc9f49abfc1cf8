"""Cohort: how far families have travelled, for whom and where, with small groups hidden."""

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
    scatter_points,
    transitions,
)
from tracker.measures.cohort.statistics import NET_IMPROVEMENT_METHOD, SRM_NOTE
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

with st.sidebar:
    st.header("Filters")
    instrument_key = st.selectbox(
        "Instrument", list(available), format_func=lambda key: available[key].name
    )
    window = st.date_input(
        "Baselines between",
        value=(),
        max_value=date.today(),
        format="DD/MM/YYYY",
        help="Leave empty for every baseline.",
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

window = tuple(window) if isinstance(window, tuple | list) else (window,)
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
    baseline_from=window[0] if len(window) >= 1 else None,
    baseline_to=window[1] if len(window) == 2 else None,
)
instrument = available[instrument_key]
cohort = cached_cohort(database_url, cohort_filter)
result = figures(cohort, min_group=min_group)
overall = result["overall"]
# Every download carries what reliable change was measured against.
notes = (cohort.yardstick.caption(),)

st.title("Cohort: distance travelled")
st.caption(
    f"{instrument.name} · {view.lower()} ratings · change compares each family's first "
    "baseline with its latest review before any re-referral; positive means better."
)
for note in caveats(cohort, result, tier_filter=tier):
    st.warning(note, icon=":material/info:")


def shown(value, suffix: str = "", digits: int = 0) -> str:
    if value is None:
        return "*"
    return f"{value:.{digits}f}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


def with_pct(count, pct) -> str:
    return "*" if count is None else f"{count} ({shown(pct, '%')})"


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
st.caption(cohort.yardstick.caption())
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
    "*" if net is None else f"{net:+.0f} points",
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

tab_names = ["Cohort star", "Change by area", "Movement", "Breakdowns", "Over time"]
if allowed(viewer, "view_scatter"):
    tab_names.append("Reliable change")
tabs = st.tabs(tab_names)
domains_table = domain_table(result, instrument)

with tabs[0]:
    figure = cohort_star(result["domains"], instrument)
    st.plotly_chart(figure, width="stretch")
    chart_download(figure, "cohort-star")
    show_table(domains_table)
    table_downloads(domains_table, "cohort-by-area", min_group, notes)

with tabs[1]:
    figure = change_by_domain(result["domains"], instrument)
    st.plotly_chart(figure, width="stretch")
    st.caption(
        f"{significance_legend(result['domains'])} "
        "n is the number of families scored at both baseline and latest."
    )
    chart_download(figure, "change-by-area")

with tabs[2]:
    labels = {d.key: d.label for d in instrument.domains}
    domain = st.selectbox("Area", list(labels), format_func=labels.get)
    cells = transitions(cohort, domain, min_group=min_group)
    figure = transition_heatmap(cells, instrument, domain)
    st.plotly_chart(figure, width="stretch")
    chart_download(figure, f"movement-{domain}")
    movement = transition_table(cells, instrument)
    show_table(movement)
    table_downloads(movement, f"movement-{domain}", min_group, notes)

with tabs[3]:
    dimension = st.selectbox(
        "Break down by",
        [d for d in DIMENSIONS if d != "referral_source"],
        format_func=DIMENSIONS.get,
    )
    groups = breakdown(cohort, dimension, min_group=min_group)
    if groups.empty:
        st.info("No families with a review match these filters.")
    else:
        figure = breakdown_chart(groups, DIMENSIONS[dimension])
        st.plotly_chart(figure, width="stretch")
        chart_download(figure, f"breakdown-{dimension}")
        table = breakdown_table(groups, DIMENSIONS[dimension])
        show_table(table)
        table_downloads(table, f"breakdown-{dimension}", min_group, notes)

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
    points = change_by_month(cohort, min_group=min_group, dimension=grouping)
    figure = over_time_chart(points, instrument, scores=same_families)
    st.plotly_chart(figure, width="stretch")
    st.caption(
        "Each point compares families with themselves: the mean change from their own "
        "baseline of the families assessed that many months after it (n), over the areas "
        "scored at both. Different families are assessed at different months, so compare "
        "points with care."
    )
    chart_download(figure, "over-time")
    table = over_time_table(points)
    show_table(table)
    table_downloads(table, "over-time", min_group, notes)

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
            chart_download(figure, "reliable-change")
