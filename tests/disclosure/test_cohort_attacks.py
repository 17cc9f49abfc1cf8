"""The attacks of issue 19 on cohort figures, played against service and published outputs.

On a generated cohort of 400 families, each attack recovers a hidden figure exactly from
service outputs (managers lose nothing), and fails against published ones: the value
recovered is one of several, or is known only to an interval at least one family wide.

"Pins down" means: the figures shown leave a group of 1 to ``min_group − 1`` families
only one possible size, or leave the total of its values known to less than one family's
whole range. A count shown as ``*`` is taken to be 1 to ``min_group − 1`` (an attacker's
best guess) and a count shown as c to be any count that rounds to c; a mean shown as m
of n families (shown) is taken to be within half its step of m.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import STORES, chosen_stores
from tracker.cli import main
from tracker.files.exporting import write_canonical_csvs
from tracker.files.sample import SampleSpec, generate
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import (
    CohortFilter,
    breakdown,
    change_by_month,
    cohort_figures,
    figures,
    load_cohort,
    published_breakdown,
    published_change_by_month,
    published_figures,
    published_transitions,
    transitions,
)
from tracker.measures.disclosure import (
    PUBLISHED,
    SUPPRESSED,
    AudienceError,
    PublishedRule,
    magnitude_step,
    month_end,
)
from tracker.store.db import make_engine

SPEC = SampleSpec(families=400, seed=19, as_of=date(2026, 6, 30))
MIN_GROUP = 5
RULE = PublishedRule(MIN_GROUP)
TAF = get_instrument("taf-dtt")
SPAN = TAF.scale_span
CHANGE_WIDTH = 2 * SPAN  # one family's overall change ranges over −4 to +4
AREAS = ["Eastgate", "Northfield", "Riverside", "Westbrook"]
TIERS = ["tier 2", "tier 2-3", "tier 3"]
WORKER_TYPES = ["education", "family_support", "health", "social_work", "youth_work"]
AGES = ["0-4", "5-10", "11-15", "16-19"]
MONTH_ENDS = [d.date() for d in pd.date_range("2025-02-28", "2026-06-30", freq="ME")]


@pytest.fixture(scope="module", params=STORES)
def store(request, tmp_path_factory):
    """The generated cohort, imported once for this module into a database on each store."""
    if request.param not in chosen_stores(request.config):
        pytest.skip(f"{request.param} left out with --store")
    folder = tmp_path_factory.mktemp("generated")
    paths = write_canonical_csvs(generate(SPEC), folder / "in")
    dropped = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'generated.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        url, name = server.new_database()
        dropped = lambda: server.drop_database(name)  # noqa: E731
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        for variable in [v for v in os.environ if v.startswith("TRACKER_")]:
            patch.delenv(variable)
        patch.setenv("DATABASE_URL", url)
        assert main(["init"]) == 0
        assert main(["import", *map(str, paths)]) == 0
    engine = make_engine(url)
    cohorts: dict[CohortFilter, object] = {}

    def cohort(**filters):
        chosen = CohortFilter(instrument=TAF.key, **filters)
        if chosen not in cohorts:
            with engine.connect() as connection:
                cohorts[chosen] = load_cohort(connection, chosen, TAF)
        return cohorts[chosen]

    cohort.engine = engine
    yield cohort
    engine.dispose()
    if dropped:
        dropped()


def could_be(shown) -> set[int]:
    """Every true count consistent with a published (or service) count."""
    if shown is None or shown == SUPPRESSED:
        return set(range(1, MIN_GROUP))
    low, high = RULE.could_be(shown)
    return set(range(low, high + 1))


def mean_interval_of(mean, n_shown, width: float) -> tuple[float, float]:
    """Where a published mean can truly lie: within half its step."""
    half = magnitude_step(n_shown, width) / 2
    return mean - half, mean + half


def total_interval(mean, n_shown, width: float) -> tuple[float, float]:
    """The total of a group's values, from its published n and mean: n × mean at worst."""
    low, high = mean_interval_of(mean, n_shown, width)
    products = [n * m for n in could_be(n_shown) for m in (low, high)]
    return min(products), max(products)


def area_tier_filters():
    yield {}
    for area in AREAS:
        yield {"area": area}
        for tier in TIERS:
            yield {"area": area, "tier_of_need": tier}


# 1. Complements: families − with a review = awaiting review.


def test_complements_give_the_hidden_count_only_from_service_figures(store):
    attacked = 0
    for filters in area_tier_filters():
        cohort = store(**filters)
        service = figures(cohort, min_group=MIN_GROUP)
        if service["awaiting_review"] is not None or not service["with_review"]:
            continue
        attacked += 1
        truth = len(cohort.pairs) - cohort.with_review
        assert service["families"] - service["with_review"] == truth  # exact for managers
        published = published_figures(cohort, min_group=MIN_GROUP)
        recovered = {
            f - w
            for f in could_be(published["families"])
            for w in could_be(published["with_review"])
        } & could_be(published["awaiting_review"])
        assert truth in recovered or published["families"] == SUPPRESSED
        assert len(recovered) >= 2, (filters, published["families"], published["with_review"])
    assert attacked >= 2


# 2. Tables against their totals: movement cells, breakdown groups, over-time lines.


def test_hidden_movement_cells_come_back_only_from_service_figures(store):
    attacked = 0
    for filters in area_tier_filters():
        cohort = store(**filters)
        service = figures(cohort, min_group=MIN_GROUP)
        published = published_figures(cohort, min_group=MIN_GROUP)
        for index, domain in enumerate(TAF.domain_keys):
            cells = transitions(cohort, domain, min_group=MIN_GROUP)["families"]
            hidden = cells.isna()
            n = service["domains"][index]["n"]
            if n is None or not hidden.any():
                continue
            attacked += 1
            truth = transitions(cohort, domain, min_group=1)["families"][hidden].sum()
            assert n - cells[~hidden].sum() == truth  # the hidden cells' total, exactly
            shown = published_transitions(cohort, domain, min_group=MIN_GROUP)["families"]
            shown_n = published["domains"][index]["n"]
            if shown_n == SUPPRESSED or (shown == SUPPRESSED).all():
                continue
            visible = [could_be(c) for c in shown if c != SUPPRESSED]
            k = int((shown == SUPPRESSED).sum())
            low = min(could_be(shown_n)) - sum(max(v) for v in visible)
            high = max(could_be(shown_n)) - sum(min(v) for v in visible)
            # Each hidden cell: at least 1, at most min_group − 1, the rest as they allow.
            for _ in range(k):
                cell_low = max(1, low - (k - 1) * (MIN_GROUP - 1))
                cell_high = min(MIN_GROUP - 1, high - (k - 1))
                assert cell_high > cell_low, (filters, domain, list(shown), shown_n)
    assert attacked >= 20


def hidden_group_attack(total_n, total_mean, groups):
    """The hidden group's n and total from the whole and the visible groups' (n, mean)."""
    n = total_n - sum(g_n for g_n, _ in groups)
    total = total_n * total_mean - sum(g_n * g_mean for g_n, g_mean in groups)
    return n, total


def test_a_hidden_breakdown_group_comes_back_only_from_service_figures(store):
    attacked = 0
    choices = [
        {},
        *({"tier_of_need": t} for t in TIERS),
        *({"key_worker_type": t} for t in WORKER_TYPES),
    ]
    dimensions = ["area", "tier_of_need", "key_worker_type", "age_group"]
    for filters, dimension in itertools.product(choices, dimensions):
        cohort = store(**filters)
        groups = breakdown(cohort, dimension, min_group=MIN_GROUP)
        if groups["suppressed"].sum() != 1 or len(cohort.overall) < MIN_GROUP:
            continue
        attacked += 1
        overall = figures(cohort, min_group=MIN_GROUP)["overall"]
        shown = groups[~groups["suppressed"]]
        n, total = hidden_group_attack(
            overall["n"],
            overall["mean_change"],
            list(zip(shown["n"], shown["mean_change"], strict=True)),
        )
        hidden_group = groups.loc[groups["suppressed"], "group"].iloc[0]
        members = cohort.overall[
            cohort.overall["family_id"]
            .map(cohort.families.set_index("family_id")[dimension])
            .fillna("Not recorded")
            == hidden_group
        ]
        assert n == len(members)
        assert total == pytest.approx(members["change"].sum())
        published = published_figures(cohort, min_group=MIN_GROUP)["overall"]
        rows = published_breakdown(cohort, dimension, min_group=MIN_GROUP)
        visible = rows[~rows["suppressed"]]
        sizes = {
            whole - sum(parts)
            for whole in could_be(published["n"])
            for parts in itertools.product(*(could_be(g) for g in visible["n"]))
        } & could_be(SUPPRESSED)
        assert len(sizes) >= 2, (filters, dimension)
        whole_low, whole_high = total_interval(
            published["mean_change"], published["n"], CHANGE_WIDTH
        )
        parts = [
            total_interval(m, g, CHANGE_WIDTH)
            for g, m in zip(visible["n"], visible["mean_change"], strict=True)
        ]
        low = whole_low - sum(high for _, high in parts)
        high = whole_high - sum(low for low, _ in parts)
        low, high = max(low, -SPAN * max(sizes)), min(high, SPAN * max(sizes))
        assert high - low >= CHANGE_WIDTH, (filters, dimension, low, high)
    assert attacked >= 2


def test_a_hidden_over_time_line_comes_back_only_from_service_figures(store):
    attacked = 0
    for worker_type in WORKER_TYPES:
        cohort = store(key_worker_type=worker_type)
        lines = change_by_month(cohort, min_group=MIN_GROUP, dimension="area")
        whole = change_by_month(cohort, min_group=MIN_GROUP).set_index("month")
        for month, points in lines.groupby("month"):
            if points["suppressed"].sum() != 1 or whole.loc[month, "suppressed"]:
                continue
            attacked += 1
            shown = points[~points["suppressed"]]
            n, total = hidden_group_attack(
                whole.loc[month, "n"],
                whole.loc[month, "mean_change"],
                list(zip(shown["n"], shown["mean_change"], strict=True)),
            )
            exact = change_by_month(cohort, min_group=1, dimension="area")
            truth = exact[
                (exact["month"] == month)
                & exact["group"].isin(points.loc[points["suppressed"], "group"])
            ]
            assert n == int(truth["n"].iloc[0])
            assert total == pytest.approx(float(truth["n"].iloc[0] * truth["mean_change"].iloc[0]))
            published = published_change_by_month(cohort, min_group=MIN_GROUP, dimension="area")
            published = published[published["month"] == month]
            whole_n = RULE.count(int(whole.loc[month, "n"]))
            visible = published[~published["suppressed"]]
            sizes = {
                w - sum(parts)
                for w in could_be(whole_n)
                for parts in itertools.product(*(could_be(g) for g in visible["n"]))
            } & could_be(SUPPRESSED)
            assert len(sizes) >= 2 or visible.empty, (worker_type, month)
    assert attacked >= 2


# 3. Date-window differencing: baselines to one month-end against the next.


def window_pairs(store):
    """Filters and consecutive month-ends whose overall n differs by exactly one family."""
    for filters in [{"area": a} for a in AREAS] + [{"key_worker_type": t} for t in WORKER_TYPES]:
        for earlier, later in itertools.pairwise(MONTH_ENDS):
            before = store(**filters, baseline_to=earlier)
            after = store(**filters, baseline_to=later)
            if len(after.overall) - len(before.overall) == 1 and len(before.overall) >= MIN_GROUP:
                yield filters, before, after


def test_one_more_month_gives_a_familys_change_only_from_service_figures(store):
    attacked = 0
    for filters, before, after in window_pairs(store):
        attacked += 1
        added = after.overall[~after.overall["family_id"].isin(before.overall["family_id"])]
        truth = float(added["change"].iloc[0])
        one, two = (figures(c, min_group=MIN_GROUP)["overall"] for c in (before, after))
        assert two["n"] * two["mean_change"] - one["n"] * one["mean_change"] == pytest.approx(truth)
        one, two = (published_figures(c, min_group=MIN_GROUP)["overall"] for c in (before, after))
        if SUPPRESSED in (one["mean_change"], two["mean_change"]):
            continue  # hidden: nothing to difference
        m1 = mean_interval_of(one["mean_change"], one["n"], CHANGE_WIDTH)
        m2 = mean_interval_of(two["mean_change"], two["n"], CHANGE_WIDTH)
        recovered = [
            n2 * b - n1 * a
            for n1 in could_be(one["n"])
            for n2 in could_be(two["n"])
            if n2 == n1 + 1
            for a in m1
            for b in m2
        ]
        # Whatever the family's change, from −4 to +4, fits both published figures.
        assert min(recovered) <= -SPAN and max(recovered) >= SPAN, (filters, recovered)
    assert attacked >= 10


def test_published_windows_a_day_apart_are_refused(store):
    """The attack used baselines to 26 April and to 27 April: published, it is refused."""
    with pytest.raises(AudienceError, match="whole months"), store.engine.connect() as connection:
        cohort_figures(
            connection,
            CohortFilter(instrument=TAF.key, baseline_to=date(2026, 4, 26)),
            TAF,
            min_group=MIN_GROUP,
            audience=PUBLISHED,
        )


# 5. A percentage times a shown n.


def test_percentage_times_n_gives_counts_only_from_service_figures(store):
    cohort = store()
    service = figures(cohort, min_group=MIN_GROUP)
    published = published_figures(cohort, min_group=MIN_GROUP)
    exact = figures(cohort, min_group=1)
    for index, row in enumerate(service["domains"]):
        truth = exact["domains"][index]["worse"]
        assert round(row["n"] * row["pct_worse"] / 100) == truth
        shown = published["domains"][index]
        recovered = {
            worse
            for worse in range(0, max(could_be(shown["n"])) + 1)
            for n in could_be(shown["n"])
            if worse <= n and RULE.percent(worse, n) == shown["pct_worse"]
        }
        assert truth in recovered
        assert truth == 0 or len(recovered) >= 2, (row["domain"], recovered)


# The property: no pair of published outputs, for nested filters, pins down a small group.

FILTER = st.fixed_dictionaries(
    {},
    optional={
        "area": st.sampled_from(AREAS),
        "tier_of_need": st.sampled_from(TIERS),
        "key_worker_type": st.sampled_from(WORKER_TYPES),
        "age_group": st.sampled_from(AGES),
    },
)


def count_figures(published: dict) -> dict[str, object]:
    """Every published count, by a name that is the same for both outputs of a pair."""
    counts = {key: published[key] for key in ("families", "with_review", "awaiting_review")}
    overall = published["overall"]
    for key in ("n", "improved", "same", "worse", "reliable_improvement", "reliable_deterioration"):
        counts[f"overall {key}"] = overall[key]
    for row in published["domains"]:
        for key in ("n", "improved", "worse"):
            counts[f"{row['domain']} {key}"] = row[key]
    return counts


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wider=FILTER,
    narrowing=st.sampled_from(["area", "tier_of_need", "key_worker_type", "age_group", "window"]),
    choice=st.integers(0, 4),
    window=st.tuples(st.integers(0, len(MONTH_ENDS) - 1), st.integers(1, 6)),
)
def test_no_pair_of_published_outputs_pins_down_a_small_group(
    store, wider, narrowing, choice, window
):
    end_index, months = window
    end = MONTH_ENDS[end_index]
    start = (MONTH_ENDS[max(0, end_index - months)]).replace(day=1)
    wide = {**wider, "baseline_from": start, "baseline_to": end}
    if narrowing == "window":
        narrow = {**wide, "baseline_to": MONTH_ENDS[max(0, end_index - 1)]}
    else:
        options = {
            "area": AREAS,
            "tier_of_need": TIERS,
            "key_worker_type": WORKER_TYPES,
            "age_group": AGES,
        }
        narrow = {**wide, narrowing: options[narrowing][choice % len(options[narrowing])]}
        if narrowing in wider:
            wide = {key: value for key, value in wide.items() if key != narrowing}
    assert month_end(narrow["baseline_to"]) == narrow["baseline_to"]
    big, small = store(**wide), store(**narrow)
    shown_big = count_figures(published_figures(big, min_group=MIN_GROUP))
    shown_small = count_figures(published_figures(small, min_group=MIN_GROUP))
    exact_big = count_figures(figures(big, min_group=1))
    exact_small = count_figures(figures(small, min_group=1))
    for key, shown in shown_big.items():
        if shown is None or shown_small[key] is None:
            continue
        truth = (exact_big[key] or 0) - (exact_small[key] or 0)
        differences = {a - b for a in could_be(shown) for b in could_be(shown_small[key]) if a >= b}
        assert not (differences == {truth} and 0 < truth < MIN_GROUP), (key, wide, narrow)
    # One family's overall change, when the two outputs differ by one: never pinned.
    one, two = (published_figures(c, min_group=MIN_GROUP)["overall"] for c in (small, big))
    if len(big.overall) - len(small.overall) == 1 and SUPPRESSED not in (
        one["mean_change"],
        two["mean_change"],
    ):
        m1 = mean_interval_of(one["mean_change"], one["n"], CHANGE_WIDTH)
        m2 = mean_interval_of(two["mean_change"], two["n"], CHANGE_WIDTH)
        recovered = [
            n2 * b - n1 * a
            for n1 in could_be(one["n"])
            for n2 in could_be(two["n"])
            if n2 == n1 + 1
            for a in m1
            for b in m2
        ]
        assert max(recovered) - min(recovered) >= CHANGE_WIDTH


# What leaves the page: published tables, charts and their stamps.


def test_published_downloads_show_only_rounded_counts_and_carry_the_stamp(store):
    from tracker.measures.cohort import stamp, stamp_lines
    from tracker.render.cohort_charts import (
        breakdown_chart,
        change_by_domain,
        cohort_star,
        over_time_chart,
        transition_heatmap,
    )
    from tracker.render.cohort_tables import (
        breakdown_table,
        domain_table,
        over_time_table,
        transition_table,
    )
    from tracker.render.downloads import stamped_figure, table_csv

    filters = {"tier_of_need": "tier 3"}
    cohort = store(**filters)
    result = published_figures(cohort, min_group=MIN_GROUP)
    domain = TAF.domain_keys[0]
    groups = published_breakdown(cohort, "key_worker_type", min_group=MIN_GROUP)
    cells = published_transitions(cohort, domain, min_group=MIN_GROUP)
    points = published_change_by_month(cohort, min_group=MIN_GROUP, dimension="area")
    tables = {
        "domains": domain_table(result, TAF),
        "breakdown": breakdown_table(groups, "Key worker type"),
        "movement": transition_table(cells, TAF),
        "over time": over_time_table(points),
    }
    for name, table in tables.items():
        counts = table["Families"] if "Families" in table else table.iloc[:, 1:].stack()
        assert all(c == SUPPRESSED or int(c) % 5 == 0 for c in counts), name
    assert (tables["breakdown"] == SUPPRESSED).any().any()  # a hidden group says *
    stamped = stamp(
        PUBLISHED,
        MIN_GROUP,
        CohortFilter(TAF.key, **filters),
        date.today(),
        instrument_name=TAF.name,
    )
    notes = stamp_lines(stamped)
    text = table_csv(tables["domains"], MIN_GROUP, notes).decode("utf-8-sig")
    assert "Audience: published" in text and "tier of need is tier 3" in text
    assert f"Instrument: {TAF.name}." in text
    assert f"Made on {date.today():%d %b %Y}" in text
    charts = [
        cohort_star(result["domains"], TAF),
        change_by_domain(result["domains"], TAF),
        transition_heatmap(cells, TAF, domain),
        breakdown_chart(groups, "Key worker type"),
        over_time_chart(points, TAF),
    ]
    for chart in charts:
        stamped = stamped_figure(chart, notes)
        assert "Audience: published" in stamped.layout.annotations[-1].text
        assert stamped.layout.height > (chart.layout.height or 0)
        drawn = [list(trace.x) for trace in chart.data if getattr(trace, "x", None) is not None]
        assert not any(value == SUPPRESSED for values in drawn for value in values)
