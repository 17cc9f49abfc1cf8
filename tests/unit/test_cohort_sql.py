"""The cohort figures read as one row per family (``summed``) equal the cohort built from
frames, figure for figure, on both stores.

The frames' cohort is the independent computation: every assessment and score of the
filtered families read as rows (``load_frames``), each family's journeys found by
``journeys`` in pandas, paired and averaged by ``scoring``, and judged against a yardstick
estimated in pandas from ``first_baselines``. The summed cohort reads the ``journey``
table, each assessment's scores coded as one number the database adds up, and counts in
numpy. Both then go through the same ``figures`` and ``published_figures``, so any
difference is in what was read or added up.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SampleSpec, generate
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import (
    CohortFilter,
    build_cohort,
    cohort_figures,
    figures,
    filter_choices,
    published_figures,
)
from tracker.measures.cohort.loading import load_frames
from tracker.measures.cohort.summed import SummedCohort, summed_cohort
from tracker.measures.disclosure import PUBLISHED, SERVICE
from tracker.measures.yardstick import (
    estimate_yardstick,
    first_baselines,
    service_yardstick,
)

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")
VIEWS = (("worker", "joint"), ("family",))
MIN_GROUPS = (1, 5, 10)


def frames_cohort(connection, cohort_filter: CohortFilter, instrument):
    """The cohort as it is built from frames, with the yardstick estimated in pandas."""
    assessments, scores, families = load_frames(connection, cohort_filter)
    yardstick = estimate_yardstick(first_baselines(connection, instrument), instrument)
    return build_cohort(
        assessments,
        scores,
        instrument,
        families=families,
        baseline_from=cohort_filter.baseline_from,
        baseline_to=cohort_filter.baseline_to,
        yardstick=yardstick,
    )


def filters_of(connection, instrument) -> list[CohortFilter]:
    """Every dimension's first and last value, status, windows, both views, a filter that
    matches nobody and one that matches a single family."""
    choices = filter_choices(connection)
    plain = CohortFilter(instrument=instrument.key)
    chosen = [plain, replace(plain, status="open"), replace(plain, status="closed")]
    for dimension, values in choices.items():
        for value in {values[0], values[-1]}:
            chosen.append(replace(plain, **{dimension: value}))
    chosen += [
        replace(plain, baseline_from=date(2025, 1, 1)),
        replace(plain, baseline_to=date(2025, 6, 30)),
        replace(plain, baseline_from=date(2025, 4, 1), baseline_to=date(2025, 9, 30)),
        replace(plain, area="Nowhere at all"),
        replace(plain, area=choices["area"][0], status="closed", baseline_to=date(2025, 3, 31)),
    ]
    chosen += [replace(cohort_filter, raters=("family",)) for cohort_filter in list(chosen)]
    return chosen


def one_family_filter(connection, instrument) -> CohortFilter:
    """A window of one day on which exactly one family's first baseline fell."""
    cohort = frames_cohort(connection, CohortFilter(instrument=instrument.key), instrument)
    days = cohort.pairs["baseline_on"].value_counts()
    day = days[days == 1].index[0].date()
    return CohortFilter(instrument=instrument.key, baseline_from=day, baseline_to=day)


def assert_same_figures(summed: SummedCohort, built, where: str) -> None:
    for min_group in MIN_GROUPS:
        assert figures(summed, min_group=min_group) == figures(built, min_group=min_group), where
        assert published_figures(summed, min_group=max(min_group, 3)) == published_figures(
            built, min_group=max(min_group, 3)
        ), where


def check_filters(engine, instrument, cohort_filters) -> int:
    """Compare every filter; how many had families with a review."""
    reviewed = 0
    with engine.connect() as connection:
        for cohort_filter in cohort_filters:
            summed = summed_cohort(connection, cohort_filter, instrument)
            assert summed is not None
            built = frames_cohort(connection, cohort_filter, instrument)
            where = f"{instrument.key} {cohort_filter}"
            assert summed.family_count == built.family_count, where
            assert summed.with_review == built.with_review, where
            assert summed.early_worsening == built.early_worsening, where
            assert summed.later_journeys == built.later_journeys, where
            assert summed.yardstick == built.yardstick, where
            assert summed.overall.equals(built.overall), where
            assert_same_figures(summed, built, where)
            reviewed += built.with_review > 0
    return reviewed


@pytest.mark.parametrize("instrument", [TAF, STAR], ids=lambda instrument: instrument.key)
def test_summed_figures_equal_the_frames_on_the_sample(sample_engine, instrument):
    with sample_engine.connect() as connection:
        cohort_filters = [*filters_of(connection, instrument)]
        cohort_filters.append(one_family_filter(connection, instrument))
    reviewed = check_filters(sample_engine, instrument, cohort_filters)
    assert reviewed >= len(cohort_filters) // 3  # the comparison is not of empty cohorts


def test_the_one_family_filter_matches_one_family(sample_engine):
    with sample_engine.connect() as connection:
        cohort_filter = one_family_filter(connection, TAF)
        summed = summed_cohort(connection, cohort_filter, TAF)
        assert summed.family_count == 1
        assert figures(summed, min_group=5)["families"] is None  # hidden, not zero


def test_service_yardstick_in_sql_equals_the_pandas_estimate(sample_engine):
    with sample_engine.connect() as connection:
        for instrument in (TAF, STAR):
            estimate = estimate_yardstick(first_baselines(connection, instrument), instrument)
            assert service_yardstick(connection, instrument) == estimate
            assert estimate.n_reference > 0 and estimate.reference_sd > 0


def test_cohort_figures_take_the_summed_path_for_a_stored_view(sample_engine, monkeypatch):
    # Both audiences through cohort_figures equal the frames' figures, stamped alike.
    made_on = date(2026, 11, 1)
    cohort_filter = CohortFilter(
        instrument=TAF.key, baseline_from=date(2025, 1, 1), baseline_to=date(2026, 6, 30)
    )
    with sample_engine.connect() as connection:
        built = frames_cohort(connection, cohort_filter, TAF)
        for audience, make in ((SERVICE, figures), (PUBLISHED, published_figures)):
            found = cohort_figures(
                connection, cohort_filter, TAF, min_group=5, audience=audience, made_on=made_on
            )
            expected = make(built, min_group=5)
            assert {key: found[key] for key in expected} == expected
            assert found["audience"] == audience and found["made_on"] == made_on.isoformat()


def test_a_view_the_table_does_not_keep_falls_back_to_the_frames(sample_engine):
    cohort_filter = CohortFilter(instrument=TAF.key, raters=("worker",))
    with sample_engine.connect() as connection:
        assert summed_cohort(connection, cohort_filter, TAF) is None
        found = cohort_figures(connection, cohort_filter, TAF, min_group=5)
        expected = figures(frames_cohort(connection, cohort_filter, TAF), min_group=5)
    assert {key: found[key] for key in expected} == expected


@pytest.fixture
def cohort_engine(engine, tmp_path: Path):
    """A generated cohort of 1,000 families, imported as the bench imports it."""
    spec = SampleSpec(families=1000, seed=1, as_of=date(2026, 11, 1))
    folder = write_canonical_csvs(generate(spec), tmp_path / "csv")
    assert import_files(engine, folder, actor="test").ok
    return engine


@pytest.mark.slow
def test_summed_figures_equal_the_frames_on_a_generated_cohort(cohort_engine):
    with cohort_engine.connect() as connection:
        cohort_filters = filters_of(connection, TAF)
    reviewed = check_filters(cohort_engine, TAF, cohort_filters)
    assert reviewed >= len(cohort_filters) // 2
    with cohort_engine.connect() as connection:
        whole = summed_cohort(connection, CohortFilter(instrument=TAF.key), TAF)
    assert whole.family_count > 500 and not math.isnan(whole.overall["change"].mean())
