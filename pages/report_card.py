"""Report card: the three RBA questions and cost, with trends, the story, and board exports.

A commissioner always gets the published card (rounded, safe to publish); a manager sees
the service card, exact but for small groups, and can tick "For publication" to see and
download the published one. Every download's label says which it is.
"""

from datetime import date

import streamlit as st

from pages.common import (
    CACHE_TTL_SECONDS,
    audited,
    engine_for,
    instruments,
    require,
    require_page,
    save,
    today,
)
from tracker.measures.disclosure import (
    AUDIENCES,
    PUBLISHED,
    SERVICE,
    AudienceError,
    check_published_min_group,
    check_whole_months,
)
from tracker.measures.periods import (
    Period,
    custom,
    financial_year,
    last_full_quarter,
    quarters_up_to,
)
from tracker.measures.reportcard import (
    MEASURES,
    QUADRANTS,
    SCOPE_KINDS,
    STORY_FIELDS,
    Scope,
    report_card,
    scope_choices,
)
from tracker.measures.reportcard.inputs import save_cost, save_story, save_target
from tracker.people.access import COMMISSIONER, allowed
from tracker.render.plain_text import markdown_literal
from tracker.render.reportcard_charts import chart_note, turn_the_curve
from tracker.render.reportcard_export import card_html, card_pdf, card_xlsx
from tracker.render.reportcard_words import (
    NOISE_NOTE,
    change_text,
    format_value,
    headline,
    shown,
    shown_part,
    stamp_lines,
)
from tracker.store.models import ProgrammeCost, ReportStory, longest
from tracker.store.settings import get_settings
from tracker.store.vocabulary import KEY_WORKER_BACKGROUNDS


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def cached_scopes(database_url: str) -> dict[str, list[str]]:
    with engine_for(database_url).connect() as connection:
        return scope_choices(connection)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner="Working out the report card…")
def cached_card(
    database_url: str,
    start: date,
    end: date,
    label: str,
    scope: Scope,
    instrument_key: str,
    min_group: int,
    day: date,
    audience: str,
):
    with engine_for(database_url).connect() as connection:
        return report_card(
            connection,
            Period(start, end, label),
            scope,
            instruments()[instrument_key],
            min_group=min_group,
            today=day,
            audience=audience,
        )


viewer = require_page(__file__)
settings = get_settings()
st.title("Report card")

with st.sidebar:
    st.header("Period and scope")
    kind = st.radio("Period", ["Quarter", "Financial year", "Custom dates"], horizontal=True)
    if kind == "Quarter":
        quarters = list(reversed(quarters_up_to(today(), 9)))
        default = quarters.index(last_full_quarter(today()))
        period = st.selectbox(
            "Quarter",
            quarters,
            index=default,
            format_func=lambda p: f"{p.label} ({p.start:%b}-{p.end:%b %Y})",
        )
    elif kind == "Financial year":
        years = [financial_year(date(today().year - back, 6, 1)) for back in range(0, 4)]
        period = st.selectbox("Financial year", years, format_func=lambda p: p.label)
    else:
        chosen = st.date_input(
            "From and to",
            value=(last_full_quarter(today()).start, last_full_quarter(today()).end),
            max_value=today(),
            format="DD/MM/YYYY",
        )
        if not isinstance(chosen, tuple | list) or len(chosen) != 2:
            st.info("Pick both a start and an end date.")
            st.stop()
        period = custom(*chosen)
    scope_kind = st.selectbox("Scope", list(SCOPE_KINDS), format_func=SCOPE_KINDS.get)
    scope_value = ""
    if scope_kind != "service":
        options = cached_scopes(settings.database_url)[scope_kind]
        scope_value = (
            st.selectbox(
                SCOPE_KINDS[scope_kind],
                options,
                format_func=lambda v: KEY_WORKER_BACKGROUNDS.get(v, v),
            )
            or ""
        )
        if not scope_value:
            st.info("There is nothing to choose for this scope yet.")
            st.stop()
    available = instruments()
    instrument_key = st.selectbox(
        "Distance travelled on",
        list(available),
        index=list(available).index("taf-dtt") if "taf-dtt" in available else 0,
        format_func=lambda key: available[key].name,
    )
    if viewer.role == COMMISSIONER:
        audience = PUBLISHED
    else:
        for_publication = st.checkbox(
            "For publication",
            help="Round counts to 5 and hide what could give a family away, for boards and "
            "commissioners; the card on screen and every download are then the published one.",
        )
        audience = PUBLISHED if for_publication else SERVICE

if audience == PUBLISHED:
    try:
        check_published_min_group(settings.min_group)
        check_whole_months(period.start, period.end)
    except AudienceError as refusal:
        st.error(str(refusal))
        st.stop()

scope = Scope(scope_kind, scope_value)
card = cached_card(
    settings.database_url,
    period.start,
    period.end,
    period.label,
    scope,
    instrument_key,
    settings.min_group,
    today(),
    audience,
)
WHICH = {PUBLISHED: "published", SERVICE: "service, not for publication"}
st.caption(
    f"{scope.label} · {period.label}: {period.start:%d %b %Y} to {period.end:%d %b %Y} "
    f"· compared with {card.previous_period.label} · distance travelled on "
    f"{card.instrument.name}"
)
st.caption(f"**{markdown_literal(AUDIENCES[audience].capitalize())}.**")
st.caption(card.yardstick.caption())
show_charts = st.toggle("Show the turn-the-curve chart for every measure", value=False)

TREND_WORDS = {
    "better": "better",
    "worse": "worse",
    "up": "up",
    "down": "down",
    "same": "about the same",
}
# Blue and orange, not green and red, so colour-blind readers can tell them apart.
DELTA_COLOURS = {"better": "blue", "worse": "orange"}


def draw_measure(result) -> None:
    change = result.change
    delta, arrow = None, "off"
    if change.difference is not None:
        delta = f"{change_text(result)} ({TREND_WORDS[result.trend]})"
        # About the same (within noise) gets no arrow.
        if result.trend != "same":
            arrow = "up" if change.difference > 0 else "down"
    st.metric(
        result.spec.label,
        headline(result),
        delta=delta,
        delta_color=DELTA_COLOURS.get(result.trend, "gray"),
        delta_arrow=arrow,
        help=result.spec.definition,
    )
    notes = [f"{card.previous_period.label}: {shown(result.spec.unit, result.previous)}"]
    if result.target is not None:
        notes.append(f"target {format_value(result.spec.unit, result.target)}")
    if result.current.note:
        notes.append(result.current.note)
    st.caption(" · ".join(notes).replace("*", "\\*"))
    if result.current.parts:
        with st.expander("Breakdown"):
            st.markdown(
                "\n".join(
                    # A part's name may be typed text (a signposting destination).
                    f"- {markdown_literal(key)}: " + shown_part(value).replace("*", "\\*")
                    for key, value in result.current.parts.items()
                )
            )
    if show_charts:
        st.plotly_chart(
            turn_the_curve(result, card), width="stretch", key=f"curve-{result.spec.key}"
        )
        st.caption(chart_note(result))


# Each measure is a tile of fixed width in a row that wraps: three or four to a row on a
# laptop, one or two on a tablet, and never a truncated name.
TILE_WIDTH = 260


def quadrant(key: str, highlight: bool = False) -> None:
    with st.container(border=True):
        st.header((":material/star: " if highlight else "") + QUADRANTS[key])
        tiles = st.container(horizontal=True, gap="medium")
        for result in card.quadrant(key):
            with tiles.container(width=TILE_WIDTH):
                draw_measure(result)


quadrant("better_off", highlight=True)
quadrant("how_much")
quadrant("how_well")
quadrant("cost")
st.caption(
    f"{markdown_literal(card.legend)} {NOISE_NOTE} Hover over a measure's name for its definition."
)

st.header("Download for the board")
stamp = markdown_literal("; ".join(stamp_lines(card)))
st.caption(f"These downloads are the {WHICH[audience]} card. {stamp}")
# A row that wraps, so each button keeps its whole name on a narrow screen.
downloads = st.container(horizontal=True)
name = f"report-card-{audience}-{period.label.replace(' ', '-')}-{scope.label.replace(': ', '-')}"
# Every file opens with the one-page scorecard, better off first, and carries the stamp.
# Taking one does not rerun the page: the audit row is written as the file is made.
CONTENTS = (
    "Opens with the one-page scorecard: each measure this period and the previous one, its "
    "target, the trend and the last eight quarters; then every measure's chart and "
    "definition, the story behind the curve, and who it is for, its filters, whose "
    "ratings, the smallest group shown and the day it was made."
)
downloads.download_button(
    f"HTML (opens in any browser, prints on A4), {WHICH[audience]}",
    audited(viewer, "export", f"report card {name} (html)", lambda: card_html(card)),
    file_name=f"{name}.html",
    mime="text/html",
    icon=":material/download:",
    help=CONTENTS,
    on_click="ignore",
)
downloads.download_button(
    f"PDF (A4), {WHICH[audience]}",
    audited(viewer, "export", f"report card {name} (pdf)", lambda: card_pdf(card)),
    file_name=f"{name}.pdf",
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    help=CONTENTS,
    on_click="ignore",
)
downloads.download_button(
    f"Excel (every measure), {WHICH[audience]}",
    audited(viewer, "export", f"report card {name} (xlsx)", lambda: card_xlsx(card)),
    file_name=f"{name}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/table:",
    on_click="ignore",
    help="Every measure as the card rounds it, better off first: value, previous period, "
    "change with its 95% interval, target and definition; then its history, forecast and "
    "breakdowns, the story, and an About sheet saying who it is for, its filters, whose "
    "ratings, the smallest group shown and the day it was made.",
)

st.header("The story behind the curve")
if not allowed(viewer, "edit_report_card"):
    # Read, not edit: the form is shown only to those who may save it.
    told = [(label, card.story.get(key, "")) for key, label in STORY_FIELDS.items()]
    for label, text in told:
        if text:
            st.markdown(f"**{label}**")
            st.text(text)
    if not any(text for _, text in told):
        st.caption("No story has been written for this period and scope yet.")
else:
    with st.form("story"):
        texts = {
            key: st.text_area(
                label,
                value=card.story.get(key, ""),
                max_chars=longest(ReportStory.text),
                key=f"story-{key}-{period.label}-{scope.label}",
            )
            for key, label in STORY_FIELDS.items()
        }
        if st.form_submit_button("Save the story", type="primary"):
            require("edit_report_card")
            save(
                lambda session: save_story(
                    session, period=period, scope=scope, story=texts, author=viewer.actor
                ),
                done="Saved. It will appear in the downloads.",
            )
    with st.expander("Programme cost and targets", icon=":material/payments:"):
        with st.form("cost"):
            amount = st.number_input(
                f"Programme cost for {period.label}, {scope.label} (£, fully inclusive)",
                min_value=0.0,
                step=1000.0,
                value=None,
            )
            cost_note = st.text_input("Note (optional)", max_chars=longest(ProgrammeCost.note))
            if st.form_submit_button("Save cost"):
                require("edit_report_card")
                save(
                    lambda session: save_cost(
                        session,
                        period=period,
                        scope=scope,
                        amount=amount,
                        note=cost_note,
                        actor=viewer.actor,
                    ),
                    done="Cost saved.",
                )
        with st.form("target"):
            labels = {spec.key: spec.label for spec in MEASURES}
            measure = st.selectbox("Measure", list(labels), format_func=labels.get)
            target = st.number_input("Target (leave empty to clear)", value=None)
            if st.form_submit_button("Save target"):
                require("edit_report_card")
                save(
                    lambda session: save_target(
                        session, measure=measure, scope=scope, target=target, actor=viewer.actor
                    ),
                    done="Target saved." if target is not None else "Target cleared.",
                )
