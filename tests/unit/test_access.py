"""The one access policy: who may see and change which families."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.people.access import MANAGER, PRACTITIONER, AccessDenied, Viewer, authorise
from tracker.store.models import Family


def family_of(worker_id: int | None) -> Family:
    return Family(
        family_ref="F1",
        area="A",
        tier_of_need="tier 2",
        referral_source="GP",
        referral_date=date(2025, 1, 1),
        key_worker_id=worker_id,
    )


ANN = Viewer("Ann", PRACTITIONER, key_worker_id=1)
BOSS = Viewer("Boss", MANAGER)


@pytest.mark.parametrize("action", ["view_family", "edit_family"])
def test_practitioners_reach_only_their_own_families(action):
    authorise(ANN, action, family=family_of(1))
    with pytest.raises(AccessDenied, match="not on your caseload"):
        authorise(ANN, action, family=family_of(2))
    with pytest.raises(AccessDenied):
        authorise(ANN, action, family=family_of(None))


@pytest.mark.parametrize("action", ["view_family", "edit_family", "close_family"])
def test_managers_reach_every_family(action):
    authorise(BOSS, action, family=family_of(2))


def test_nobody_and_unknown_roles_are_refused():
    with pytest.raises(AccessDenied, match="Please sign in first"):
        authorise(None, "view_caseload")
    with pytest.raises(AccessDenied, match="does not allow"):
        authorise(Viewer("X", "visitor"), "view_caseload")
    with pytest.raises(AccessDenied, match="does not allow"):
        authorise(ANN, "delete_everything")


def test_a_family_action_without_a_family_is_refused():
    with pytest.raises(AccessDenied, match="not found"):
        authorise(BOSS, "view_family", family=None)


def test_only_managers_see_the_cohort_and_the_scatter():
    for action in ("view_cohort", "view_scatter"):
        authorise(BOSS, action)
        with pytest.raises(AccessDenied, match="does not allow"):
            authorise(ANN, action)


def test_closing_and_reassigning_cases_is_for_managers():
    for action in ("close_family", "reassign_family"):
        authorise(BOSS, action, family=family_of(2))
        with pytest.raises(AccessDenied, match="does not allow"):
            authorise(ANN, action, family=family_of(1))
