"""The fixed yardstick for reliable change: hand-worked, recomputed independently, and a
null simulation showing that with no true change about 2.5% come out reliably better."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.unit.small_instruments import cut_down
from tracker.instruments.loader import Reliability, Sourced, get_instrument
from tracker.measures.cohort import build_cohort, figures
from tracker.measures.yardstick import (
    DEFAULT_RELIABILITY,
    MIN_COMPLETE_CASES,
    cronbach_alpha,
    estimate_yardstick,
    service_yardstick,
)

TAF = get_instrument("taf-dtt")
STAR = get_instrument("family-outcomes-10")
THREE = cut_down("taf-dtt", 3)


def test_cronbach_alpha_hand_worked():
    # Four families x three areas:
    #   fam  a  b  c  total
    #    1   1  2  2    5
    #    2   2  2  3    7
    #    3   3  4  3   10
    #    4   4  4  5   13
    # item variances (ddof 1): a: mean 2.5, squares 2.25+0.25+0.25+2.25 = 5 -> 5/3
    #   b: mean 3, squares 1+1+1+1 = 4 -> 4/3;  c: mean 3.25, squares
    #   1.5625+0.0625+0.0625+3.0625 = 4.75 -> 4.75/3;  sum = 13.75/3 = 4.583333
    # total variance: mean 8.75, squares 14.0625+3.0625+1.5625+18.0625 = 36.75 -> 12.25
    # alpha = 3/2 x (1 - 4.583333/12.25) = 1.5 x 0.625850 = 0.938776
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [2, 3, 3, 5]})
    assert cronbach_alpha(items) == pytest.approx(1.5 * (1 - (13.75 / 3) / 12.25))
    assert cronbach_alpha(items) == pytest.approx(0.938776, abs=1e-6)
    assert cronbach_alpha(items.iloc[:1]) is None  # one family
    assert cronbach_alpha(pd.DataFrame({"a": [1, 1], "b": [2, 2]})) is None  # no spread


def baselines(rows: dict[int, list]) -> pd.DataFrame:
    """``family_id, domain, value`` from {family: [values in THREE's domain order]}."""
    return pd.DataFrame(
        [
            (family, domain, value)
            for family, values in rows.items()
            for domain, value in zip(THREE.domain_keys, values, strict=False)
        ],
        columns=["family_id", "domain", "value"],
    )


def test_too_few_complete_cases_falls_back_to_the_conservative_default_and_says_so():
    # Overall baselines: fam 1 (2+4+3)/3 = 3, fam 2 (5+5+5)/3 = 5, fam 3 (1+None+3)/2 = 2
    # (a blank is not scored), fam 4 a domain outside the instrument only: no overall.
    # Mean 10/3; squares (1/3)^2 + (5/3)^2 + (4/3)^2 = 42/9; var 21/9; SD sqrt(21/9).
    # Two complete cases (< 30): reliability 0.70, S_diff = sqrt(21/9) x sqrt(0.6).
    frame = baselines({1: [2, 4, 3], 2: [5, 5, 5], 3: [1, None, 3]})
    frame.loc[len(frame)] = (4, "aspirations", 4)
    yardstick = estimate_yardstick(frame, THREE)
    assert yardstick.reference_sd == pytest.approx(math.sqrt(21 / 9))
    assert yardstick.n_reference == 3
    assert yardstick.reliability == DEFAULT_RELIABILITY == 0.70
    assert "only 2 families scored every area" in yardstick.source
    assert yardstick.s_diff == pytest.approx(math.sqrt(21 / 9) * math.sqrt(0.6))
    assert yardstick.threshold == pytest.approx(1.96 * yardstick.s_diff)
    assert yardstick.as_dict() == {
        "reference_sd": yardstick.reference_sd,
        "reliability": 0.70,
        "reliability_kind": yardstick.reliability_kind,
        "source": yardstick.source,
        "n_reference": 3,
        "s_diff": yardstick.s_diff,
    }
    assert f"±{1.96 * yardstick.s_diff:.2f} points" in yardstick.caption()
    assert "reliability 0.70" in yardstick.caption()


def test_declared_figures_win_over_the_estimate():
    declared = THREE.model_copy(
        update={
            "reliability": Reliability(value=0.9, kind="test-retest", source="A 2020 study"),
            "reference_sd": Sourced(value=0.5, source="Its norms"),
        }
    )
    yardstick = estimate_yardstick(baselines({1: [2, 4, 3], 2: [5, 5, 5]}), declared)
    assert (yardstick.reliability, yardstick.reliability_kind) == (0.9, "test-retest")
    assert yardstick.source == "A 2020 study"
    assert yardstick.s_diff == pytest.approx(0.5 * math.sqrt(0.2))


def test_no_spread_at_baseline_gives_no_yardstick():
    yardstick = estimate_yardstick(baselines({1: [3, 3, 3], 2: [3, 3, 3]}), THREE)
    assert yardstick.reference_sd is None and yardstick.s_diff is None
    assert "cannot be judged" in yardstick.caption()


def need_cohort(rng, families: int, areas: int, need_sd: float, noise_sd: float):
    """Baseline and review per family: score = family need + noise, the same need at both
    (no true change), independent noise per area and occasion."""
    need = rng.normal(3.0, need_sd, size=(families, 1))
    before = need + rng.normal(0, noise_sd, size=(families, areas))
    after = need + rng.normal(0, noise_sd, size=(families, areas))
    keys = TAF.domain_keys[:areas]
    assessments = pd.DataFrame(
        {
            "assessment_id": np.r_[np.arange(families) * 2, np.arange(families) * 2 + 1],
            "family_id": np.r_[np.arange(families), np.arange(families)],
            "occasion": ["baseline"] * families + ["review"] * families,
            "assessed_on": [date(2025, 1, 1)] * families + [date(2025, 4, 1)] * families,
            "rater": "worker",
        }
    )
    scores = pd.DataFrame(
        {
            "assessment_id": np.r_[
                np.repeat(np.arange(families) * 2, areas),
                np.repeat(np.arange(families) * 2 + 1, areas),
            ],
            "domain": np.tile(keys, 2 * families),
            "value": np.r_[before.ravel(), after.ravel()],
        }
    )
    return assessments, scores, before


def test_estimated_alpha_and_sd_equal_an_independent_numpy_computation():
    # Alpha from the covariance matrix C of the areas: k/(k-1) x (1 - trace C / sum C),
    # and the SD of the families' mean scores, computed with numpy alone.
    rng = np.random.default_rng(11)
    instrument = cut_down("taf-dtt", 6)
    assessments, scores, before = need_cohort(rng, 200, 6, need_sd=0.5, noise_sd=1.0)
    cohort = build_cohort(assessments, scores, instrument)
    covariance = np.cov(before, rowvar=False, ddof=1)
    alpha = 6 / 5 * (1 - np.trace(covariance) / covariance.sum())
    assert cohort.yardstick.reliability == pytest.approx(alpha, rel=1e-9)
    assert cohort.yardstick.reference_sd == pytest.approx(before.mean(axis=1).std(ddof=1))
    assert cohort.yardstick.n_reference == 200


def test_with_no_true_change_about_2_5_percent_are_reliably_better_and_worse():
    # 6,000 families on six areas, no true change. The overall score's reliability is
    # var(need) / (var(need) + noise^2 / 6) = 0.25 / (0.25 + 1/6) = 0.6, and alpha estimates
    # it; RCI is then standard normal, so P(RCI > 1.96) = 2.5% each way. The binomial SE of
    # a share near 2.5% over 6,000 families is sqrt(0.025 x 0.975 / 6000) = 0.2 points;
    # the estimates of alpha and the SD add little at this size. A tolerance of 0.8
    # points (4 SE) fails about once in 30,000 seeds, and is far tighter than the error
    # of the old fixed r = 0.80, which gives P(Z > 1.96 / sqrt(2)) = 8.3% here.
    rng = np.random.default_rng(2026)
    instrument = cut_down("taf-dtt", 6)
    assessments, scores, _ = need_cohort(rng, 6000, 6, need_sd=0.5, noise_sd=1.0)
    cohort = build_cohort(assessments, scores, instrument)
    assert cohort.yardstick.reliability == pytest.approx(0.6, abs=0.02)
    overall = figures(cohort, min_group=5)["overall"]
    assert overall["not_classifiable"] == 0
    assert overall["pct_reliable_improvement"] == pytest.approx(2.5, abs=0.8)
    assert overall["pct_reliable_deterioration"] == pytest.approx(2.5, abs=0.8)


def test_service_yardstick_equals_an_independent_reading_of_the_database(sample_engine):
    # Each family's first worker or joint baseline (joint first on a day), read with plain
    # SQL and worked out in numpy: the SD of the overall baselines and alpha over the
    # families that scored every area.
    for instrument in (TAF, STAR):
        with sample_engine.connect() as connection:
            yardstick = service_yardstick(connection, instrument)
            rows = connection.execute(
                sa.text(
                    "SELECT a.family_id, a.assessed_on, a.rater, s.domain, s.value "
                    "FROM assessment a JOIN score s ON s.assessment_id = a.id "
                    "WHERE a.instrument = :key AND a.occasion = 'baseline' "
                    "AND a.rater IN ('worker', 'joint')"
                ),
                {"key": instrument.key},
            ).all()
        first: dict[int, tuple] = {}
        for family, on, rater, _, _ in rows:
            rank = (str(on), 0 if rater == "joint" else 1)
            first[family] = min(first.get(family, rank), rank)
        values: dict[int, dict[str, float]] = {}
        for family, on, rater, domain, value in rows:
            chosen = (str(on), 0 if rater == "joint" else 1) == first[family]
            if chosen and value is not None and domain in instrument.domain_keys:
                values.setdefault(family, {})[domain] = float(value)
        means = [np.mean(list(scored.values())) for scored in values.values()]
        assert yardstick.n_reference == len(means)
        assert yardstick.reference_sd == pytest.approx(np.std(means, ddof=1), rel=1e-9)
        complete = np.array(
            [
                [scored[key] for key in instrument.domain_keys]
                for scored in values.values()
                if len(scored) == len(instrument.domain_keys)
            ]
        )
        assert len(complete) >= MIN_COMPLETE_CASES
        covariance = np.cov(complete, rowvar=False, ddof=1)
        k = len(instrument.domain_keys)
        alpha = k / (k - 1) * (1 - np.trace(covariance) / covariance.sum())
        assert yardstick.reliability == pytest.approx(alpha, rel=1e-9)
