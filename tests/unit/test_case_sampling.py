"""Case-file sampling: reproducible by seed, stratified by tier and area by the stated
allocation, validated in plain words, and graded with hand-checked results."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from tracker.people.access import MANAGER, PRACTITIONER, AccessDenied, Viewer
from tracker.records.case_sampling import (
    allocate,
    check_sample,
    draw_sample,
    members,
    rate_case_file,
    sample_results,
    sample_size,
    samples,
)
from tracker.store.db import read_session, write_session
from tracker.store.errors import RecordInvalid
from tracker.store.models import AuditLog, CaseFileAudit, Family

MANAGER_VIEWER = Viewer(name="Manager", role=MANAGER, username="manny")
START, END = date(2025, 4, 1), date(2026, 3, 31)
# Three strata of 7, 5 and 2 cases closed in the period.
STRATA = {("tier 2", "Northfield"): 7, ("tier 3", "Northfield"): 5, ("tier 2", "Riverside"): 2}
A, B, C = "tier 2 · Northfield", "tier 3 · Northfield", "tier 2 · Riverside"


def _family(ref: str, tier: str, area: str, closed_on: date | None) -> Family:
    return Family(
        family_ref=ref,
        area=area,
        tier_of_need=tier,
        referral_source="School",
        referral_date=date(2025, 1, 6),
        closed_on=closed_on,
        closure_reason=None if closed_on is None else "wholly_achieved",
    )


@pytest.fixture
def closed(engine):
    """14 cases closed in the period (the first and last days included), and three that
    are not: one still open, one closed the day before, one the day after."""
    with write_session(engine) as session:
        number = 0
        for (tier, area), count in STRATA.items():
            for _ in range(count):
                number += 1
                day = (START, END)[number % 2] if number <= 2 else date(2025, 9, number)
                session.add(_family(f"F{number:02d}", tier, area, day))
        session.add(_family("OPEN", "tier 2", "Northfield", None))
        session.add(_family("BEFORE", "tier 2", "Northfield", date(2025, 3, 31)))
        session.add(_family("AFTER", "tier 3", "Northfield", date(2026, 4, 1)))
    return engine


def draw(engine, viewer=MANAGER_VIEWER, **asked) -> int:
    asked = {"period_start": START, "period_end": END, "how": "proportion", "amount": 0.3} | asked
    with write_session(engine) as session:
        return draw_sample(session, viewer, **asked)


def drawn(engine, sample_id: int):
    with read_session(engine) as session:
        return members(session.connection(), sample_id)


def refs(engine, sample_id: int) -> list[str]:
    return sorted(drawn(engine, sample_id)["family_ref"])


def problems(engine, **asked) -> dict[str, str]:
    with pytest.raises(RecordInvalid) as refused:
        draw(engine, **asked)
    return refused.value.problems


def test_allocation_worked_by_hand():
    # 30% of 14 is 4.2, so 4 files. Quotas 4×7/14 = 2, 4×5/14 = 1.43, 4×2/14 = 0.57:
    # whole parts 2, 1, 0 (3 files); the one left goes to the largest remainder, 0.57.
    assert sample_size("proportion", 0.3, 14) == 4
    assert allocate({"a": 7, "b": 5, "c": 2}, 4) == {"a": 2, "b": 1, "c": 1}
    # 10 files: quotas 5, 3.57, 1.43 -> 5, 3, 1, and the tenth to 3.57's stratum.
    assert allocate({"a": 7, "b": 5, "c": 2}, 10) == {"a": 5, "b": 4, "c": 1}
    # Equal remainders (3.5 and 2.5 for 7 files): the bigger stratum first.
    assert allocate({"a": 7, "b": 5, "c": 2}, 7) == {"a": 4, "b": 2, "c": 1}


def test_proportion_rounds_half_up_and_draws_at_least_one():
    assert sample_size("proportion", 0.25, 14) == 4  # 3.5 rounds up
    assert sample_size("proportion", 0.3, 10) == 3  # not 3.0000000000000004 -> 3 anyway
    assert sample_size("proportion", 0.01, 14) == 1  # 0.14 would be none
    assert sample_size("proportion", 1, 14) == 14
    assert sample_size("number", 6, 14) == 6


def test_strata_respected_on_the_stored_sample(closed):
    sample_id = draw(closed, seed=7)
    counts = drawn(closed, sample_id)["stratum"].value_counts().to_dict()
    assert counts == {A: 2, B: 1, C: 1}
    ours = {f"F{n:02d}" for n in range(1, 15)}
    assert set(refs(closed, sample_id)) <= ours  # never open, or closed outside the period


def test_a_number_is_allocated_by_the_same_rule(closed):
    sample_id = draw(closed, how="number", amount=10, seed=7)
    counts = drawn(closed, sample_id)["stratum"].value_counts().to_dict()
    assert counts == {A: 5, B: 4, C: 1}


def test_the_whole_period_is_covered_both_ends_included(closed):
    sample_id = draw(closed, amount=1.0, seed=1)
    assert refs(closed, sample_id) == [f"F{n:02d}" for n in range(1, 15)]


def test_same_seed_same_sample_and_other_seeds_differ(closed):
    first = refs(closed, draw(closed, amount=0.5, seed=2718))
    again = refs(closed, draw(closed, amount=0.5, seed=2718))
    assert first == again
    # 50% of these cases can be drawn 35 × 10 × 2 = 700 ways: ten seeds give several.
    others = {tuple(refs(closed, draw(closed, amount=0.5, seed=seed))) for seed in range(10)}
    assert len(others) > 3


def test_a_stored_seed_redraws_the_sample(closed):
    sample_id = draw(closed, amount=0.5)  # no seed given: one is drawn and stored
    with read_session(closed) as session:
        stored = samples(session.connection()).set_index("id").loc[sample_id]
        assert check_sample(session.connection(), sample_id) == (set(), set())
    assert 0 <= stored["seed"] < 2**32
    redrawn = draw(closed, amount=0.5, seed=int(stored["seed"]))
    assert refs(closed, redrawn) == refs(closed, sample_id)


def test_the_draw_is_audited_with_its_seed_and_strata(closed):
    sample_id = draw(closed, seed=99)
    with closed.connect() as connection:
        row = connection.execute(sa.select(AuditLog).where(AuditLog.action == "sample_drawn")).one()
    after = json.loads(row.after)
    assert row.entity_id == str(sample_id)
    assert (after["seed"], after["size"]) == (99, 4)
    assert (after["how"], after["amount"]) == ("proportion", 0.3)
    assert after["period_start"] == "2025-04-01"
    assert after["strata"] == {
        A: {"closed": 7, "drawn": 2},
        B: {"closed": 5, "drawn": 1},
        C: {"closed": 2, "drawn": 1},
    }


def test_bad_requests_are_refused_naming_the_field(closed):
    assert "swap" in problems(closed, period_start=END, period_end=START)["period_end"]
    assert "period_start" in problems(closed, period_start=None)
    assert "100%" in problems(closed, amount=0)["amount"]
    assert "100%" in problems(closed, amount=1.5)["amount"]
    assert "1 or more" in problems(closed, how="number", amount=0)["amount"]
    assert "whole number" in problems(closed, how="number", amount=2.5)["amount"]
    assert "Only 14 cases" in problems(closed, how="number", amount=15)["amount"]
    assert "seed" in problems(closed, seed=-1)
    empty = problems(closed, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    assert "No case closed between 01 Jan 2024 and 31 Dec 2024" in empty["period_start"]
    with closed.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar() == 0


def test_practitioners_may_not_draw_or_rate(closed):
    with pytest.raises(AccessDenied):
        draw(closed, viewer=Viewer(name="Pat", role=PRACTITIONER, key_worker_id=1))


def rate(engine, member_id, grades, version=None, evidence=None):
    keys = ("engagement", "multi_agency", "innovation")
    with write_session(engine) as session:
        return rate_case_file(
            session,
            MANAGER_VIEWER,
            member_id,
            dict(zip(keys, grades, strict=True)),
            evidence or {},
            version,
        )


def test_results_shares_worked_by_hand(closed):
    sample_id = draw(closed, seed=5)  # four case files
    ids = drawn(closed, sample_id)["member_id"].tolist()
    rate(closed, ids[0], ("good", "outstanding", "inadequate"), evidence={"engagement": " Met "})
    rate(closed, ids[1], ("good", "good", "inadequate"))
    rate(closed, ids[2], ("inadequate", "good", "requires_improvement"))
    with read_session(closed) as session:
        results = sample_results(session.connection(), sample_id).set_index(["quality", "grade"])
    engagement = results.loc["Engagement with the family"]
    # Three of the four rated: 2 good (2/3), 1 inadequate (1/3), none outstanding.
    assert engagement["files"].to_dict() == {
        "Outstanding": 0,
        "Good": 2,
        "Requires improvement": 0,
        "Inadequate": 1,
    }
    assert engagement.loc["Good", "share"] == pytest.approx(2 / 3)
    assert engagement.loc["Inadequate", "share"] == pytest.approx(1 / 3)
    innovation = results.loc["Innovation and creativity in outcome-focused solutions"]
    assert innovation.loc["Requires improvement", "share"] == pytest.approx(1 / 3)
    with closed.connect() as connection:
        kept = connection.execute(sa.select(CaseFileAudit.engagement_evidence)).scalars().all()
        actions = connection.execute(sa.select(AuditLog.action)).scalars().all()
    assert "Met" in kept
    assert actions.count("case_file_rated") == 3


def test_no_rating_yet_has_no_shares(closed):
    sample_id = draw(closed, seed=5)
    with read_session(closed) as session:
        results = sample_results(session.connection(), sample_id)
    assert results["files"].sum() == 0
    assert results["share"].isna().all()


def test_a_rating_needs_every_grade_and_a_current_version(closed):
    member_id = int(drawn(closed, draw(closed, seed=5))["member_id"].iloc[0])
    with pytest.raises(RecordInvalid) as refused:
        rate(closed, member_id, ("good", None, "excellent"))
    assert set(refused.value.problems) == {"multi_agency_grade", "innovation_grade"}
    rate(closed, member_id, ("good", "good", "good"))
    with pytest.raises(RecordInvalid) as stale:  # the page showed it unrated
        rate(closed, member_id, ("inadequate", "good", "good"))
    assert "Someone else rated" in stale.value.problems["member"]
    rate(closed, member_id, ("inadequate", "good", "good"), version=1)
    with pytest.raises(RecordInvalid):  # version 1 is now out of date
        rate(closed, member_id, ("outstanding", "good", "good"), version=1)
    with closed.connect() as connection:
        grade, version = connection.execute(
            sa.select(CaseFileAudit.engagement_grade, CaseFileAudit.version)
        ).one()
    assert (grade, version) == ("inadequate", 2)
