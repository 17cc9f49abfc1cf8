"""The synthetic cohort: realistic, seeded, importable, and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tracker.cli.sample_quality import SAMPLE_SHARE, WAITING_DAYS
from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SAMPLE, SampleSpec, generate
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import build_cohort, figures
from tracker.measures.scoring import domain_changes, family_overall, select_baseline_and_latest
from tracker.records.case_sampling import sample_size
from tracker.store.models import CaseFileAudit, CaseSampleMember, ClosureAudit
from tracker.store.vocabulary import AUDITED_CLOSURES

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
    for name in ("goals", "activities", "referrals_on", "feedback", "stakeholder_feedback"):
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
        ("families", "panel_referral_on"),
        ("families", "panel_decision_on"),
        ("families", "first_contact_on"),
        ("stakeholder_feedback", "period_end"),
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


def test_the_pathway_is_realistic(sample):
    """Most families come through the panel, decided within a fortnight; about two in five
    have a multi-agency package; about one in ten was inappropriate and signposted; first
    contact follows the referral by days, not weeks."""
    families = sample["families"]
    days = {
        column: pd.to_datetime(families[column].replace("", None))
        for column in (
            "referral_date",
            "panel_referral_on",
            "panel_decision_on",
            "first_contact_on",
        )
    }
    via_panel = days["panel_referral_on"].notna()
    assert 0.65 <= via_panel.mean() <= 0.95
    assert (days["panel_decision_on"].notna() == via_panel).all()
    waited = (days["panel_decision_on"] - days["panel_referral_on"]).dt.days[via_panel]
    assert waited.between(3, 14).all()
    inappropriate = families["referral_outcome"] == "inappropriate"
    assert set(families["referral_outcome"]) == {"accepted", "inappropriate"}
    assert 0.03 <= inappropriate.mean() <= 0.2
    assert (families.loc[inappropriate, "signposted_to"] != "").all()
    assert (families.loc[~inappropriate, "signposted_to"] == "").all()
    package = families["multi_agency_package"] == "yes"
    assert 0.25 <= package[~inappropriate].mean() <= 0.55
    assert (families.loc[package, "agencies"].str.count("; ") >= 1).all()
    assert (families.loc[~package, "agencies"] == "").all()
    contact = (days["first_contact_on"] - days["referral_date"]).dt.days[~inappropriate]
    assert contact.between(0, 30).all() and contact.median() <= 14


def test_key_workers_and_panel_members_answer_each_quarter(sample):
    feedback = sample["stakeholder_feedback"]
    assert feedback["period_start"].nunique() == 4
    assert feedback["period_end"].max() == "2026-09-30"
    for _, quarter in feedback.groupby("period_start"):
        assert set(quarter["role"]) == {"key_worker", "panel_member"}
    assert set(feedback["pathway_score"]) <= {1, 2, 3, 4}
    assert not feedback.duplicated().any()
    assert (feedback["comment"] != "").any()


def test_init_sample_makes_closure_audits_and_a_rated_sample(sample_engine, sample):
    """Every closure not wholly achieved has an audit, the older ones completed and the
    last six weeks' waiting; a sample of the year's closures has most files rated."""
    families = sample["families"]
    audited = families[families["closure_reason"].isin(AUDITED_CLOSURES)]
    with sample_engine.connect() as connection:
        audits = pd.DataFrame(
            connection.execute(sa.select(ClosureAudit.closed_on, ClosureAudit.completed_at)).all(),
            columns=["closed_on", "completed_at"],
        )
        members = connection.execute(sa.select(sa.func.count(CaseSampleMember.id))).scalar_one()
        rated = connection.execute(sa.select(sa.func.count(CaseFileAudit.id))).scalar_one()
    assert len(audits) == len(audited)
    recent = audits["closed_on"].map(lambda day: (SPEC.as_of - day).days) <= WAITING_DAYS
    assert audits.loc[recent, "completed_at"].isna().all() and recent.any()
    assert audits.loc[~recent, "completed_at"].notna().all() and (~recent).any()
    closed = pd.to_datetime(families["closed_on"].replace("", None))
    as_of = pd.Timestamp(SPEC.as_of)
    in_year = closed.between(as_of - pd.Timedelta(days=365), as_of)
    assert members == sample_size("proportion", SAMPLE_SHARE, int(in_year.sum()))
    assert 0 < rated < members
