"""Cohort: how far families have travelled, for whom and where, with small groups hidden.

Managers, who may open every family's record, see exact figures; commissioners see
published ones (rounded, whole months of baselines), and so does every download a
manager marks "For publication". Every download says which it is (docs/disclosure.md).
"""

from datetime import date

import streamlit as st

from pages.cohort_sections import (
    CohortView,
    breakdowns_tab,
    by_area_tab,
    cached_cohort,
    entry_tab,
    left_out_tab,
    movement_tab,
    over_time_tab,
    scatter_tab,
    star_tab,
    too_few,
)
from pages.common import CACHE_TTL_SECONDS, engine_for, instruments, require_page
from tracker.measures.cohort import (
    ANY_CHANGE_NOTE,
    DIMENSIONS,
    EARLY_WORSENING_NOTE,
    RATER_VIEWS,
    STATISTICS,
    CohortFilter,
    WindowError,
    caveats,
    describe_window,
    figures,
    filter_choices,
    main_instrument,
    marked_hidden,
    not_shown,
    published_figures,
    read_window,
    stamp,
    stamp_lines,
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
from tracker.render.cohort_charts import nothing_to_draw
from tracker.render.cohort_tables import count_with_pct, figure_text, interval_text, meanings_list
from tracker.render.downloads import footnote
from tracker.store.settings import get_settings
from tracker.store.vocabulary import KEY_WORKER_BACKGROUNDS

ANY = "All"
ENTRY = "Needs at entry"
LEFT_OUT = "Not in these figures"


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_choices(database_url: str) -> dict[str, list[str]]:
    with engine_for(database_url).connect() as connection:
        return filter_choices(connection)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_main_instrument(database_url: str, keys: tuple[str, ...], setting: str | None) -> str:
    with engine_for(database_url).connect() as connection:
        return main_instrument(connection, list(keys), setting)


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
cohort_view = CohortView(
    cohort, cohort_filter, instrument, database_url, min_group, screen, take_away, notes
)
result, taken = cohort_view.both(figures, published_figures)
result = marked_hidden(result)
overall = result["overall"]

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
    # Needs at entry and who is left out do not wait for anyone's review.
    for tab, draw in zip(st.tabs([ENTRY, LEFT_OUT]), (entry_tab, left_out_tab), strict=True):
        with tab:
            draw(cohort_view)
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

tab_names = ["Star", "By area", "Movement", "Breakdowns", "Over time", ENTRY, LEFT_OUT]
if allowed(viewer, "view_scatter"):
    tab_names.append("Reliable change")
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))
no_area = nothing_to_draw(row["n"] for row in result["domains"])
NO_AREA = cohort_view.too_few_start + "were scored in any one area at both baseline and latest."
for name, draw in (("Star", star_tab), ("By area", by_area_tab)):
    with tabs[name]:
        if no_area:
            too_few(NO_AREA)
        else:
            draw(cohort_view, result, taken)
for name, draw in (
    ("Movement", movement_tab),
    ("Breakdowns", breakdowns_tab),
    ("Over time", over_time_tab),
    (ENTRY, entry_tab),
    (LEFT_OUT, left_out_tab),
    ("Reliable change", scatter_tab),
):
    if name in tabs:
        with tabs[name]:
            draw(cohort_view)
