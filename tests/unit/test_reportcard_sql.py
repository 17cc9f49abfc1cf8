"""The report card read through SQL gives every figure the straightforward path gives.

``report_card`` reads only what its periods need (``load_report_data(..., periods=...)``):
dated records in their span, filtered by scope in SQL, the scores of the assessments a
change is measured between, and the filled scores counted by the database; and it picks
every period's reviewed families in one pass. The straightforward path reads whole tables
(``load_report_data`` without periods) and works each period out on its own; here, for
the sample and a generated cohort of 1,000 families with costs entered, over quarters,
custom periods, every kind of scope and both audiences, the two cards must agree in every
figure the JSON export gives (value, counts, parts, notes, previous value, change, history
and forecast), floats to 1e-9 relative. The families reviewed in each period are checked
against the rule written out afresh (``straightforward_reviewed``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session

from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SampleSpec, generate
from tracker.instruments.loader import get_instrument
from tracker.measures.disclosure import PUBLISHED, SERVICE
from tracker.measures.periods import custom, financial_quarter, previous, quarters_up_to
from tracker.measures.reliable_change import with_rci
from tracker.measures.reportcard import (
    Scope,
    build_card,
    card_as_dict,
    load_report_data,
    load_story,
    load_targets,
    report_card,
)
from tracker.measures.reportcard.card import periods_shown
from tracker.measures.reportcard.effect_measures import reviewed_in
from tracker.measures.reportcard.inputs import save_cost
from tracker.measures.scoring import domain_changes, family_overall, select_baseline_and_latest
from tracker.store.vocabulary import DEFAULT_RATERS

AS_OF = date(2026, 11, 1)
Q2 = financial_quarter(date(2026, 8, 1))  # 2026-27 Q2, the bench's quarter
Q4 = financial_quarter(date(2026, 2, 1))  # 2025-26 Q4
# A custom period for the service card, and whole months for the published one.
SUMMER = custom(date(2026, 6, 15), date(2026, 10, 20))
JULY_AUGUST = custom(date(2026, 7, 1), date(2026, 8, 31))
SERVICE_SCOPE = Scope()
NORTHFIELD = Scope("area", "Northfield")
SCOPES = (
    SERVICE_SCOPE,
    NORTHFIELD,
    Scope("tier_of_need", "tier 3"),
    Scope("key_worker_type", "health"),
)
# (period, scope, audience, min_group) for each card compared.
CASES = [
    *((Q2, scope, SERVICE, 5) for scope in SCOPES),
    (Q2, SERVICE_SCOPE, PUBLISHED, 5),
    (Q2, Scope("key_worker_type", "health"), PUBLISHED, 5),
    (Q4, NORTHFIELD, SERVICE, 3),
    (Q4, SERVICE_SCOPE, PUBLISHED, 10),
    (SUMMER, SERVICE_SCOPE, SERVICE, 5),
    (JULY_AUGUST, Scope("tier_of_need", "tier 2"), PUBLISHED, 5),
]
SAMPLE_CASES = [CASES[0], CASES[1], CASES[3], CASES[5], CASES[7], CASES[8]]
COHORT = SampleSpec(families=1000, seed=1, as_of=AS_OF)
TAF = get_instrument("taf-dtt")


def enter_costs(engine) -> None:
    """Costs for the whole service and for Northfield over the last eight quarters and the
    custom periods, so that every cost measure has figures to give."""
    with Session(engine) as session:
        for number, period in enumerate([*quarters_up_to(Q2.end, 8), SUMMER, JULY_AUGUST]):
            for scope, amount in ((SERVICE_SCOPE, 90_000.0), (NORTHFIELD, 12_500.0)):
                save_cost(
                    session, period=period, scope=scope, amount=amount + 1000 * number, actor="t"
                )
        session.commit()


def instrument_for(scope: Scope):
    """The TAF tool for most cards; the smaller tool for the key worker type's."""
    return get_instrument("family-outcomes-10" if scope.kind == "key_worker_type" else "taf-dtt")


def through_sql(engine, case: tuple) -> dict:
    period, scope, audience, min_group = case
    with engine.connect() as connection:
        card = report_card(
            connection,
            period,
            scope,
            instrument_for(scope),
            min_group=min_group,
            today=AS_OF,
            audience=audience,
        )
    return card_as_dict(card)


def straightforward(engine, case: tuple) -> dict:
    """The card from whole tables, each period worked out on its own."""
    period, scope, audience, min_group = case
    with engine.connect() as connection:
        data = load_report_data(connection, scope, instrument_for(scope), today=AS_OF)
        card = build_card(
            data,
            period,
            scope,
            min_group=min_group,
            targets=load_targets(connection, scope),
            story=load_story(connection, period, scope),
            audience=audience,
        )
    return card_as_dict(card)


def straightforward_reviewed(data, period) -> pd.DataFrame:
    """The families reviewed in the period, by the rule as the card states it: from every
    worker and joint assessment up to the period end, each family's first baseline and
    latest, kept when the latest falls in the period."""
    assessments = data.assessments
    up_to_end = assessments[
        (assessments["instrument"] == data.instrument.key)
        & assessments["rater"].isin(DEFAULT_RATERS)
        & (assessments["assessed_on"] <= pd.Timestamp(period.end))
    ]
    pairs = select_baseline_and_latest(
        up_to_end[["assessment_id", "family_id", "occasion", "assessed_on", "rater"]]
    )
    pairs = pairs[period.contains(pairs["latest_on"])]
    overall = family_overall(domain_changes(pairs, data.scores, data.instrument))
    return with_rci(overall, data.yardstick.s_diff, data.instrument)


def assert_same(found, expected, where: str) -> None:
    """Equal, floats to 1e-9 relative (sums in another order may differ in the last bits)."""
    if isinstance(expected, float) and isinstance(found, (int, float)):
        assert math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-12), (where, found, expected)
    elif isinstance(expected, dict):
        assert isinstance(found, dict) and found.keys() == expected.keys(), (where, found)
        for key in expected:
            assert_same(found[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list | tuple):
        assert isinstance(found, list | tuple) and len(found) == len(expected), (where, found)
        for index, (one, other) in enumerate(zip(found, expected, strict=True)):
            assert_same(one, other, f"{where}[{index}]")
    else:
        assert found == expected, (where, found, expected)


def check_cards(engine, cases) -> None:
    for case in cases:
        period, scope, audience, min_group = case
        where = f"{period.label} {scope.label} {audience} {min_group}"
        expected = straightforward(engine, case)
        better = next(m for m in expected["better_off"] if m["key"] == "reliable_improvement")
        assert better["families"] not in (0, None), f"{where}: nobody reviewed, a weak check"
        assert_same(through_sql(engine, case), expected, where)


def check_reviewed(engine, scope: Scope) -> None:
    """Every period's reviewed families, picked together for a card's periods, equal the
    rule written out afresh, from whole tables."""
    periods = [
        *quarters_up_to(AS_OF, 10),
        SUMMER,
        custom(date(2025, 1, 1), date(2026, 6, 30)),
        custom(AS_OF - timedelta(days=10), AS_OF),
    ]
    with engine.connect() as connection:
        whole = load_report_data(connection, scope, TAF, today=AS_OF)
        card = load_report_data(connection, scope, TAF, today=AS_OF, periods=periods)
    reviewed = 0
    for period in periods:
        expected = straightforward_reviewed(whole, period)
        reviewed += len(expected)
        for data in (whole, card):
            found = reviewed_in(data, period)
            pd.testing.assert_frame_equal(
                found.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
            )
    assert reviewed > 0


def test_sample_cards_are_as_the_straightforward_path_gives(sample_engine):
    enter_costs(sample_engine)
    check_cards(sample_engine, SAMPLE_CASES)


def test_sample_reviewed_families_follow_the_rule(sample_engine):
    check_reviewed(sample_engine, SERVICE_SCOPE)
    check_reviewed(sample_engine, NORTHFIELD)


def test_periods_shown_are_the_cards_own():
    """What the loader is asked for is what the card works out: the period compared with
    and the history's quarters."""
    earlier, *quarters = periods_shown(Q2, SERVICE)
    assert earlier == previous(Q2)
    assert quarters == quarters_up_to(Q2.end, 8)
    assert periods_shown(JULY_AUGUST, PUBLISHED)[0] == custom(date(2026, 5, 1), date(2026, 6, 30))


def test_a_nudged_figure_is_caught():
    figures = {"history": [{"value": 0.25}, {"value": None}], "parts": {"a": 3}}
    for nudged in (
        {"history": [{"value": 0.25 + 1e-6}, {"value": None}], "parts": {"a": 3}},
        {"history": [{"value": 0.25}, {"value": 0.0}], "parts": {"a": 3}},
        {"history": [{"value": 0.25}, {"value": None}], "parts": {"a": 4}},
    ):
        with pytest.raises(AssertionError):
            assert_same(nudged, figures, "nudged")


@pytest.fixture
def cohort(engine, tmp_path: Path):
    """The generated cohort of 1,000 families, with costs entered."""
    report = import_files(engine, write_canonical_csvs(generate(COHORT), tmp_path), actor="test")
    assert report.ok
    enter_costs(engine)
    return engine


@pytest.mark.slow
def test_cohort_cards_are_as_the_straightforward_path_gives(cohort):
    check_cards(cohort, CASES)


@pytest.mark.slow
def test_cohort_reviewed_families_follow_the_rule(cohort):
    for scope in SCOPES[:3]:
        check_reviewed(cohort, scope)
