"""The synthetic cohort: realistic, seeded, importable, and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SAMPLE, SampleSpec, generate
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import build_cohort, figures
from tracker.measures.scoring import domain_changes, family_overall, select_baseline_and_latest

ROOT = Path(__file__).resolve().parents[2]
SPEC = SAMPLE


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate(SPEC)


def test_same_seed_same_cohort_and_another_seed_differs(sample):
    again = generate(SPEC)
    for name, frame in sample.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate(SampleSpec(families=120, seed=2, as_of=SPEC.as_of))
    assert not other["scores"].equals(sample["scores"])


def test_committed_sample_data_is_what_init_sample_loads(sample, tmp_path):
    written = write_canonical_csvs(sample, tmp_path)
    for path in written:
        committed = ROOT / "sample_data" / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"sample_data/{path.name} is stale: run "
            "tracker generate --families 120 --seed 1 --as-of 2026-11-01 --out sample_data"
        )


def test_the_cohort_has_the_mix_the_demo_needs(sample):
    families, scores = sample["families"], sample["scores"]
    assert len(families) == 120
    assert families["area"].nunique() == 4
    assert set(families["tier_of_need"]) == {"tier 2", "tier 2-3", "tier 3"}
    assert len(sample["key_workers"]) == 8
    assert set(scores["instrument"]) == {"taf-dtt", "family-outcomes-10"}
    assert "family" in set(scores["rater"])
    assert (scores["score"] == "NA").mean() == pytest.approx(0.03, abs=0.015)
    reviews = scores.groupby("family_ref")["assessed_on"].nunique()
    assert reviews.min() == 1 and reviews.max() >= 4
    assert (families["closure_reason"] == "dropped_out").any()
    assert (families["closed_on"] != "").sum() >= 10
    for name in ("goals", "activities", "referrals_on", "feedback"):
        assert len(sample[name]) > 0, name


@pytest.mark.parametrize("families", [120, 1000])
def test_nothing_is_dated_after_the_as_of_date(families):
    """At 1,000 families every rare path (a second journey's new baseline near the last
    date, say) is taken somewhere."""
    cohort = generate(SampleSpec(families=families, seed=SPEC.seed, as_of=SPEC.as_of))
    limit = SPEC.as_of.isoformat()
    for name, column in [
        ("scores", "assessed_on"),
        ("families", "referral_date"),
        ("families", "closed_on"),
        ("families", "re_referred_on"),
        ("activities", "activity_on"),
        ("feedback", "given_on"),
        ("referrals_on", "referred_on"),
    ]:
        assert cohort[name][column].max() <= limit, (name, column)


def test_some_families_get_worse_before_they_get_better(sample):
    """At the first review some families score worse: hidden need coming out."""
    taf = get_instrument("taf-dtt")
    scores = sample["scores"]
    taf_scores = scores[(scores["instrument"] == "taf-dtt") & (scores["rater"] != "family")]
    assessments = taf_scores.drop_duplicates(["family_ref", "assessed_on"]).assign(
        assessment_id=lambda f: range(len(f)), family_id=lambda f: f["family_ref"]
    )
    first_review = (
        assessments[assessments["occasion"] != "baseline"]
        .sort_values("assessed_on")
        .drop_duplicates("family_ref")
    )
    early = pd.concat([assessments[assessments["occasion"] == "baseline"], first_review])
    ids = early.set_index(["family_ref", "assessed_on"])["assessment_id"]
    frame = taf_scores.join(ids, on=["family_ref", "assessed_on"], how="inner")
    frame = frame.assign(value=pd.to_numeric(frame["score"], errors="coerce"))
    pairs = select_baseline_and_latest(
        early[["assessment_id", "family_id", "occasion", "assessed_on", "rater"]]
    )
    overall = family_overall(domain_changes(pairs, frame, taf))
    assert (overall["change"] < 0).sum() >= 3
    assert (overall["change"] > 0).sum() > (overall["change"] < 0).sum()


def test_the_sample_imports_cleanly_and_most_families_improve(engine, sample, tmp_path):
    report = import_files(engine, write_canonical_csvs(sample, tmp_path), today=SPEC.as_of)
    assert report.ok, report.errors[:5]
    assert report.counts["families"]["new"] == 120
    scores = sample["scores"]
    taf = get_instrument("taf-dtt")
    taf_scores = scores[scores["instrument"] == "taf-dtt"]
    ids = {
        key: n
        for n, key in enumerate(
            taf_scores[["family_ref", "assessed_on", "rater"]]
            .drop_duplicates()
            .itertuples(index=False)
        )
    }
    frame = taf_scores.assign(
        assessment_id=[
            ids[key]
            for key in taf_scores[["family_ref", "assessed_on", "rater"]].itertuples(index=False)
        ],
        value=pd.to_numeric(taf_scores["score"], errors="coerce"),
    )
    assessments = frame.drop_duplicates("assessment_id").rename(columns={"family_ref": "family_id"})
    worker_view = assessments[assessments["rater"] != "family"]
    cohort = build_cohort(
        worker_view[["assessment_id", "family_id", "occasion", "assessed_on", "rater"]],
        frame,
        taf,
    )
    overall = figures(cohort, min_group=5)["overall"]
    assert overall["mean_change"] > 0
    assert overall["worse"] > 0
