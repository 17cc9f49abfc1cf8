"""The sample has the structure the figures are tested on: areas that hang together within
a family (so a reliability can be estimated), re-referrals with a second journey, and
families with too few paired areas to classify.

Cronbach's alpha is recomputed here from the covariance matrix with numpy,
k/(k − 1) × (1 − trace(C) / sum(C)), independently of ``cronbach_alpha``'s
item-and-total variances.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tracker.files.sample import SampleSpec, generate
from tracker.instruments.loader import Instrument, load_instruments
from tracker.measures.yardstick import (
    ESTIMATED,
    MIN_COMPLETE_CASES,
    cronbach_alpha,
    estimate_yardstick,
    first_baselines,
    service_yardstick,
)

INSTRUMENTS = load_instruments()
SPEC = SampleSpec(families=120, seed=1, as_of=date(2026, 11, 1))
# The target for the sample: areas that hang together as a published tool's do.
ALPHA_RANGE = (0.6, 0.9)


def numpy_alpha(table: pd.DataFrame) -> float:
    covariance = np.cov(table.to_numpy(dtype=float), rowvar=False)
    k = covariance.shape[0]
    return k / (k - 1) * (1 - np.trace(covariance) / covariance.sum())


def worker_scores(sample: dict[str, pd.DataFrame], instrument: Instrument) -> pd.DataFrame:
    """The worker's and joint ratings of ``instrument``, with numeric values."""
    scores = sample["scores"]
    mine = scores[
        (scores["instrument"] == instrument.key) & scores["rater"].isin(["worker", "joint"])
    ]
    return mine.assign(value=pd.to_numeric(mine["score"], errors="coerce"))


def first_baseline_table(sample: dict[str, pd.DataFrame], instrument: Instrument) -> pd.DataFrame:
    """Families × areas at each family's first baseline (joint before worker on one day)."""
    baselines = worker_scores(sample, instrument).query("occasion == 'baseline'")
    baselines = baselines.assign(joint_first=baselines["rater"] != "joint").sort_values(
        ["family_ref", "assessed_on", "joint_first"], kind="stable"
    )
    first = baselines.drop_duplicates("family_ref")[["family_ref", "assessed_on", "rater"]]
    chosen = baselines.merge(first, on=["family_ref", "assessed_on", "rater"])
    return chosen.pivot(index="family_ref", columns="domain", values="value").reindex(
        columns=list(instrument.domain_keys)
    )


def first_journey_pairs(sample: dict[str, pd.DataFrame], instrument: Instrument) -> pd.Series:
    """Per family with a review, how many areas its first baseline and its latest assessment
    before any later baseline both scored."""
    scores = worker_scores(sample, instrument)
    paired = {}
    for ref, family in scores.groupby("family_ref"):
        baselines = sorted(family.loc[family["occasion"] == "baseline", "assessed_on"].unique())
        later = baselines[1] if len(baselines) > 1 else "9999-12-31"
        days = sorted(d for d in family["assessed_on"].unique() if baselines[0] < d < later)
        if not days:
            continue
        start = family[family["assessed_on"] == baselines[0]].set_index("domain")["value"]
        latest = family[family["assessed_on"] == days[-1]].set_index("domain")["value"]
        paired[ref] = int((start.notna() & latest.reindex(start.index).notna()).sum())
    return pd.Series(paired)


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate(SPEC)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_areas_hang_together_within_a_family_in_every_instrument(seed):
    cohort = generate(SampleSpec(families=120, seed=seed, as_of=SPEC.as_of))
    for instrument in INSTRUMENTS.values():
        table = first_baseline_table(cohort, instrument)
        complete = table.dropna()
        assert len(complete) >= MIN_COMPLETE_CASES, instrument.key
        alpha = numpy_alpha(complete)
        assert ALPHA_RANGE[0] < alpha < ALPHA_RANGE[1], (instrument.key, alpha)
        assert cronbach_alpha(complete) == pytest.approx(alpha, abs=1e-12)
        long = table.stack(future_stack=True).rename("value").reset_index()
        yardstick = estimate_yardstick(long.rename(columns={"family_ref": "family_id"}), instrument)
        assert yardstick.reliability_kind == ESTIMATED
        assert yardstick.reliability == pytest.approx(alpha, abs=1e-12)


def test_the_sample_database_estimates_its_reliability_from_its_baselines(sample_engine, sample):
    """``tracker init --sample`` loads the committed sample, so its yardstick is the one
    worked out from the committed baselines."""
    with sample_engine.connect() as connection:
        for instrument in INSTRUMENTS.values():
            baselines = first_baselines(connection, instrument)
            table = baselines.pivot(index="family_id", columns="domain", values="value")
            complete = table.reindex(columns=list(instrument.domain_keys)).dropna()
            alpha = numpy_alpha(complete)
            assert ALPHA_RANGE[0] < alpha < ALPHA_RANGE[1], (instrument.key, alpha)
            yardstick = service_yardstick(connection, instrument)
            assert yardstick.reliability_kind == ESTIMATED, yardstick.source
            assert yardstick.reliability == pytest.approx(alpha, abs=1e-9)
            committed = first_baseline_table(sample, instrument).dropna()
            assert len(complete) == len(committed)
            assert yardstick.reliability == pytest.approx(numpy_alpha(committed), abs=1e-9)


def test_the_last_date_moves_no_baseline_and_no_family(sample):
    later = generate(SampleSpec(families=120, seed=1, as_of=date(2027, 3, 15)))
    for instrument in INSTRUMENTS.values():
        pd.testing.assert_frame_equal(
            first_baseline_table(sample, instrument), first_baseline_table(later, instrument)
        )
    who = ["family_ref", "area", "tier_of_need", "key_worker", "referral_source", "age_group"]
    pd.testing.assert_frame_equal(sample["families"][who], later["families"][who])


def test_some_re_referred_families_start_a_second_journey(sample):
    families = sample["families"].set_index("family_ref")
    second_journeys, reviewed = 0, 0
    for instrument in INSTRUMENTS.values():
        scores = worker_scores(sample, instrument)
        for ref, family in scores.groupby("family_ref"):
            baselines = sorted(family.loc[family["occasion"] == "baseline", "assessed_on"].unique())
            if len(baselines) == 1:
                continue
            assert len(baselines) == 2, ref
            record = families.loc[ref]
            assert record["closed_on"] < record["re_referred_on"] < baselines[1], ref
            first_journey = family[family["assessed_on"] < baselines[1]]
            assert first_journey["assessed_on"].max() <= record["closed_on"], ref
            after = family[family["assessed_on"] > baselines[1]]
            assert set(after["occasion"]) <= {"review"}, ref
            second_journeys += 1
            reviewed += not after.empty
    assert second_journeys >= 5
    assert reviewed >= 2


def test_some_families_have_too_few_paired_areas_to_classify(sample):
    for instrument in INSTRUMENTS.values():
        paired = first_journey_pairs(sample, instrument)
        too_few = paired < len(instrument.domain_keys) / 2
        assert too_few.sum() >= 2, instrument.key
        assert too_few.mean() < 0.15, instrument.key
