"""An import never forks a family's history: one journey per family and instrument until a
re-referral, nothing after a closure unless a re-referral reopened the case, and the sample
files imported over the loaded sample change nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.unit.helpers import FAMILY_HEADER, SCORE_HEADER, snapshot, write_csv
from tracker.files.exporting import write_canonical_csvs
from tracker.files.importing import import_files
from tracker.files.sample import SAMPLE, SampleSpec, generate
from tracker.store.history import draft_history_problems
from tracker.store.models import Assessment, Family

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FILES = sorted((ROOT / "sample_data").glob("*.csv"))
CLOSED_HEADER = [*FAMILY_HEADER, "closed_on", "closure_reason", "re_referred_on"]


def forked_pairs(engine) -> pd.DataFrame:
    """Family and instrument pairs with more baseline days than their re-referrals allow:
    one, or two when the second is on or after the family's re-referral."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Family.family_ref,
                Family.re_referred_on,
                Assessment.instrument,
                Assessment.assessed_on,
            )
            .join(Family, Family.id == Assessment.family_id)
            .where(Assessment.occasion == "baseline")
            .distinct()
        ).all()
    frame = pd.DataFrame(rows, columns=["family_ref", "re_referred_on", "instrument", "day"])
    frame = frame.sort_values("day")
    frame["journey"] = frame.groupby(["family_ref", "instrument"]).cumcount() + 1
    allowed = (frame["journey"] == 1) | (
        (frame["journey"] == 2)
        & frame["re_referred_on"].notna()
        & (frame["day"] >= frame["re_referred_on"])
    )
    return frame[~allowed]


def after_closure(engine) -> int:
    """Assessments dated after their family's closure that no re-referral reopened."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count(Assessment.id))
            .join(Family, Family.id == Assessment.family_id)
            .where(
                Family.closed_on.is_not(None),
                Assessment.assessed_on > Family.closed_on,
                sa.or_(
                    Family.re_referred_on.is_(None),
                    Assessment.assessed_on < Family.re_referred_on,
                ),
            )
        ).scalar_one()


def test_the_sample_files_over_the_loaded_sample_with_replace_change_nothing(sample_engine):
    assert len(forked_pairs(sample_engine)) == 0
    before = snapshot(sample_engine)
    report = import_files(sample_engine, SAMPLE_FILES, replace=True)
    assert report.ok, [str(p) for p in report.errors][:5]
    assert not report.changed_anything, report.counts
    assert snapshot(sample_engine) == before
    assert len(forked_pairs(sample_engine)) == 0
    assert after_closure(sample_engine) == 0


def families(folder: Path, rows: list[list]) -> Path:
    return write_csv(folder / "families.csv", CLOSED_HEADER, rows)


FAMILY = ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"]
OPEN = [*FAMILY, "", "", ""]
CLOSED = [*FAMILY, "2025-04-01", "not_achieved", ""]
RE_REFERRED = [*CLOSED[:-1], "2025-05-01"]


def score(day: str, occasion: str, rater: str = "worker", value: str = "3") -> list[str]:
    return ["F1", "taf-dtt", occasion, day, rater, "housing", value]


@pytest.fixture
def first_journey(engine, tmp_path):
    """F1, open, with a taf-dtt baseline on 1 Feb 2025 and a review on 1 Mar 2025."""
    rows = [score("2025-02-01", "baseline"), score("2025-03-01", "review")]
    report = import_files(
        engine,
        [families(tmp_path, [OPEN]), write_csv(tmp_path / "scores.csv", SCORE_HEADER, rows)],
        today=pd.Timestamp("2025-12-01").date(),
    )
    assert report.ok, [str(p) for p in report.problems]
    return engine


def run(engine, folder: Path, family: list | None, rows: list[list], replace: bool = False):
    folder.mkdir(exist_ok=True)
    paths = [families(folder, [family])] if family else []
    paths.append(write_csv(folder / "more.csv", SCORE_HEADER, rows))
    return import_files(engine, paths, replace=replace, today=pd.Timestamp("2025-12-01").date())


def test_a_second_baseline_of_an_open_family_is_refused_with_its_row(first_journey, tmp_path):
    before = snapshot(first_journey)
    report = run(first_journey, tmp_path / "again", None, [score("2025-06-01", "baseline")])
    assert not report.ok
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column) == ("more.csv", 2, "occasion")
    assert "second baseline" in problem.message
    assert "01 Feb 2025" in problem.message and "re-referred" in problem.message
    assert snapshot(first_journey) == before


def test_a_baseline_earlier_than_the_stored_one_is_refused_too(first_journey, tmp_path):
    report = run(first_journey, tmp_path / "earlier", None, [score("2025-01-20", "baseline")])
    assert [p.line for p in report.errors] == [2]
    assert "second baseline" in report.errors[0].message


def test_the_family_own_view_on_the_baseline_day_is_the_same_journey(first_journey, tmp_path):
    report = run(
        first_journey, tmp_path / "own", None, [score("2025-02-01", "baseline", rater="family")]
    )
    assert report.ok, [str(p) for p in report.errors]


def test_a_second_baseline_after_a_re_referral_is_a_new_journey(first_journey, tmp_path):
    rows = [score("2025-03-25", "closure"), score("2025-05-10", "baseline")]
    report = run(first_journey, tmp_path / "back", RE_REFERRED, rows, replace=True)
    assert report.ok, [str(p) for p in report.errors]
    assert len(forked_pairs(first_journey)) == 0


def test_a_new_baseline_before_the_re_referral_is_refused(first_journey, tmp_path):
    report = run(
        first_journey, tmp_path / "early", RE_REFERRED, [score("2025-04-20", "baseline")], True
    )
    messages = [p.message for p in report.errors]
    assert any("01 May 2025" in m for m in messages), messages


def test_an_assessment_after_the_closure_is_refused_unless_re_referred(first_journey, tmp_path):
    report = run(first_journey, tmp_path / "late", CLOSED, [score("2025-04-15", "review")], True)
    (problem,) = report.errors
    assert (problem.line, problem.column) == (2, "assessed_on")
    assert "closed on 01 Apr 2025" in problem.message
    back = run(first_journey, tmp_path / "back", RE_REFERRED, [score("2025-05-15", "baseline")])
    assert not back.ok  # the family's record is not replaced without replace
    back = run(
        first_journey, tmp_path / "back2", RE_REFERRED, [score("2025-05-15", "baseline")], True
    )
    assert back.ok, [str(p) for p in back.errors]


def test_closing_a_family_before_its_stored_assessments_is_refused_on_its_row(
    first_journey, tmp_path
):
    early = [*FAMILY, "2025-02-15", "not_achieved", ""]
    report = run(first_journey, tmp_path / "close", early, [score("2025-02-01", "baseline")], True)
    (problem,) = report.errors
    assert (problem.file, problem.line, problem.column) == ("families.csv", 2, "closed_on")
    assert "1 stored assessment" in problem.message and "01 Mar 2025" in problem.message


def test_a_stored_fork_does_not_block_an_unrelated_import(first_journey, tmp_path):
    with first_journey.begin() as connection:
        family_id = connection.execute(sa.select(Family.id)).scalar_one()
        connection.execute(
            sa.insert(Assessment).values(
                family_id=family_id,
                instrument="taf-dtt",
                occasion="baseline",
                assessed_on=pd.Timestamp("2025-06-01").date(),
                rater="worker",
            )
        )
    report = run(first_journey, tmp_path / "more", None, [score("2025-03-01", "review", "joint")])
    assert report.ok, [str(p) for p in report.errors]


def test_the_preview_says_when_assessments_join_a_stored_journey(first_journey, tmp_path):
    rows = [score("2025-06-01", "review"), score("2025-06-01", "review", "family")]
    folder = tmp_path / "continue"
    folder.mkdir()
    report = import_files(
        first_journey,
        [write_csv(folder / "more.csv", SCORE_HEADER, rows)],
        dry_run=True,
        today=pd.Timestamp("2025-12-01").date(),
    )
    assert report.ok
    assert report.notices == [
        "2 assessments would be added to 1 family that already has assessments stored "
        "for that instrument: check they continue its journey and do not repeat it."
    ]


def test_the_sample_dated_later_over_the_loaded_sample_is_refused_with_a_count(
    sample_engine, tmp_path
):
    """What happened when ``tracker init --sample`` dated the cohort up to yesterday: every
    date moved, so nothing matched and Replace would have added a second history."""
    later = SampleSpec(families=SAMPLE.families, seed=SAMPLE.seed, as_of=date(2026, 11, 29))
    paths = write_canonical_csvs(generate(later), tmp_path)
    before = snapshot(sample_engine)
    report = import_files(sample_engine, paths, replace=True, today=date(2026, 11, 30))
    assert not report.ok
    refused = report.notices[0]
    assert refused.startswith("Refused: ") and "would fork a history" in refused
    assert f"{report.error_count:,} rows in " in refused
    assert {p.column for p in report.errors} <= {"occasion", "assessed_on", "closed_on"}
    assert snapshot(sample_engine) == before


def test_the_scoring_form_asks_the_same_rule(first_journey):
    """What ``check_draft`` adds for a draft: by field, as sentences naming the instrument."""
    with first_journey.connect() as connection:
        family_id = connection.execute(sa.select(Family.id)).scalar_one()

        def problems(occasion: str, day: str, assessment_id: int | None = None):
            return draft_history_problems(
                connection,
                family_id=family_id,
                instrument="taf-dtt",
                occasion=occasion,
                assessed_on=date.fromisoformat(day),
                assessment_id=assessment_id,
                instrument_name="TAF tool",
            )

        ((field, text),) = problems("baseline", "2025-06-01").items()
        assert field == "occasion"
        assert text.startswith("This would be a second baseline for TAF tool beside the one on")
        assert text.endswith("or correct the date.")
        assert problems("review", "2025-06-01") == {}
        baseline_id = connection.execute(
            sa.select(Assessment.id).where(Assessment.occasion == "baseline")
        ).scalar_one()
        # Correcting the baseline's own date moves the journey's start, not a second one.
        assert problems("baseline", "2025-01-25", assessment_id=baseline_id) == {}
