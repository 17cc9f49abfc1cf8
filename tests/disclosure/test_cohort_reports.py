"""Needs at entry and who is not in the figures, as a commissioner gets them, attacked on
the sample cohort across every filter a commissioner can choose.

A published count never lies between 1 and ``min_group − 1``; a hidden one (``*``) cannot
be worked out from its total less the counts shown beside it, found here by trying every
set of true counts the published ones allow (a count shown as c is any count that rounds
to c, ``*`` is 1 to ``min_group − 1``); and two overlapping views (everyone, and one
group) differ by a range, never by one small count. The control: without the rule that
hides a pinned area (``pins_a_part``), the same attack recovers a hidden count.
"""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import chosen_stores, copy_sqlite
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import CohortFilter, filter_choices, load_cohort
from tracker.measures.cohort.excluded import (
    EVERY_FAMILY,
    FAMILY_REASONS,
    IN_FIGURES,
    family_reasons,
    other_rater_only,
    published_excluded,
)
from tracker.measures.cohort.snapshot import baseline_counts, published_snapshot
from tracker.measures.disclosure import SUPPRESSED, PublishedRule
from tracker.store.db import make_engine

MIN_GROUP = 5
RULE = PublishedRule(MIN_GROUP)
GROUPS = ("area", "tier_of_need", "age_group", "key_worker_type")


def could_be(shown) -> range:
    """Every true count a published one allows, worked out here, not by the rule."""
    if shown == SUPPRESSED:
        return range(1, MIN_GROUP)
    if shown == 0:
        return range(0, 1)
    return range(max(MIN_GROUP, int(shown) - 2), int(shown) + 3)


def recoverable(whole, parts) -> bool:
    """Whether some hidden part has only one value that fits the whole and the others."""
    if whole == SUPPRESSED or SUPPRESSED not in parts:
        return False
    totals = could_be(whole)
    seen = [set() for _ in parts]
    for values in itertools.product(*(could_be(part) for part in parts)):
        if sum(values) in totals:
            for found, value in zip(seen, values, strict=True):
                found.add(value)
    return any(
        part == SUPPRESSED and len(found) == 1 for part, found in zip(parts, seen, strict=True)
    )


@pytest.fixture(scope="module")
def views(sample_engine_module):
    """Every filter a commissioner can set alone, on both instruments and rater views:
    the cohort and each family's reason, loaded once."""
    loaded = {}
    with sample_engine_module.connect() as connection:
        choices = filter_choices(connection)
        for key in ("taf-dtt", "family-outcomes-10"):
            instrument = get_instrument(key)
            for raters in (("worker", "joint"), ("family",)):
                chosen = [{}] + [{g: value} for g in GROUPS for value in choices[g]]
                for options in chosen:
                    view = CohortFilter(instrument=key, raters=raters, **options)
                    cohort = load_cohort(connection, view, instrument)
                    reasons = family_reasons(cohort, other_rater_only(connection, view, cohort))
                    loaded[view] = (cohort, reasons)
    return loaded


@pytest.fixture(scope="module")
def sample_engine_module(request, tmp_path_factory):
    """A copy of the sample cohort for this module (its views take a while to load)."""
    if "sqlite" not in chosen_stores(request.config):
        pytest.skip("sqlite left out with --store")
    path = tmp_path_factory.mktemp("reports") / "sample.db"
    copy_sqlite(request.getfixturevalue("sqlite_templates")["sampled"], path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def area_rows(shown):
    for domain, rows in shown.bands.groupby("domain", sort=False):
        need = shown.needs.set_index("domain").loc[domain]
        yield domain, rows, need


def counts_shown(view_data):
    cohort, reasons = view_data
    snapshot = published_snapshot(cohort, min_group=MIN_GROUP)
    excluded = published_excluded(cohort, reasons, min_group=MIN_GROUP)
    return snapshot, excluded.set_index("reason")["count"]


def test_no_published_count_is_small(views):
    for view, data in views.items():
        snapshot, excluded = counts_shown(data)
        shown = [
            *snapshot.bands["families"],
            *snapshot.bands["n"],
            *snapshot.needs["families"],
            *excluded,
        ]
        assert not [c for c in shown if c != SUPPRESSED and 0 < c < MIN_GROUP], view
        assert all(c == SUPPRESSED or c % 5 == 0 for c in shown), view


def test_a_hidden_count_is_not_the_total_less_the_others(views):
    attacked = 0
    for view, data in views.items():
        snapshot, excluded = counts_shown(data)
        for domain, rows, need in area_rows(snapshot):
            cells = list(rows["families"])
            attacked += SUPPRESSED in cells
            assert not recoverable(rows["n"].iloc[0], cells), (view, domain)
            needs = [rows.set_index("band").loc[band, "families"] for band in snapshot.need_bands]
            assert not recoverable(need["families"], needs), (view, domain)
        parts = [excluded[key] for key in (IN_FIGURES, *FAMILY_REASONS)]
        assert not recoverable(excluded[EVERY_FAMILY], parts), view
    assert attacked > 50  # the attack had hidden cells to go after


def test_the_attack_recovers_a_count_when_pinned_areas_are_not_hidden(views, monkeypatch):
    monkeypatch.setattr(PublishedRule, "pins_a_part", lambda self, whole, parts: False)
    recovered = 0
    for data in views.values():
        snapshot, excluded = counts_shown(data)
        for _, rows, _ in area_rows(snapshot):
            recovered += recoverable(rows["n"].iloc[0], list(rows["families"]))
        parts = [excluded[key] for key in (IN_FIGURES, *FAMILY_REASONS)]
        recovered += recoverable(excluded[EVERY_FAMILY], parts)
    assert recovered > 0


def test_two_overlapping_views_differ_by_a_range_not_a_small_count(views):
    """Everyone less one group is the rest of the families: where the rest has a small
    count in a cell, the two published counts leave it at least two values."""
    everyone = {(v.instrument, v.raters): data for v, data in views.items() if v == whole(v)}
    checked = 0
    for view, data in views.items():
        if view == whole(view):
            continue
        wide = everyone[(view.instrument, view.raters)]
        rest = (baseline_counts(wide[0]) - baseline_counts(data[0])).stack()
        shown_all = cells_of(counts_shown(wide)[0])
        shown_group = cells_of(counts_shown(data)[0])
        for cell, count in rest.items():
            if not 0 < count < MIN_GROUP:
                continue
            low = min(could_be(shown_all[cell])) - max(could_be(shown_group[cell]))
            high = max(could_be(shown_all[cell])) - min(could_be(shown_group[cell]))
            assert high - max(low, 0) >= 1, (view, cell)
            checked += 1
    assert checked > 20


def whole(view: CohortFilter) -> CohortFilter:
    return CohortFilter(instrument=view.instrument, raters=view.raters)


def cells_of(snapshot) -> dict:
    return snapshot.bands.set_index(["domain", "band"])["families"].to_dict()
