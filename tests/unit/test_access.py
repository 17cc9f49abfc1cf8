"""The one access policy: who may see and change which families."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.people.access import (
    ADMIN,
    COMMISSIONER,
    FAMILY_REFUSAL,
    MANAGER,
    PRACTITIONER,
    AccessDenied,
    Viewer,
    allowed,
    authorise,
)
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


def test_a_missing_family_is_refused_in_the_words_of_someone_elses():
    """A typed reference must not tell whether the family exists elsewhere."""
    with pytest.raises(AccessDenied) as missing:
        authorise(ANN, "view_family", family=None)
    with pytest.raises(AccessDenied) as elsewhere:
        authorise(ANN, "view_family", family=family_of(2))
    assert str(missing.value) == str(elsewhere.value) == FAMILY_REFUSAL
    with pytest.raises(AccessDenied, match=FAMILY_REFUSAL):
        authorise(BOSS, "view_family", family=None)


def test_a_practitioner_without_a_key_worker_may_do_nothing():
    adrift = Viewer("Adrift", PRACTITIONER)
    for action in ("view_caseload", "add_family", "view_family"):
        assert not allowed(adrift, action)
        with pytest.raises(AccessDenied, match="key worker"):
            authorise(adrift, action, family=family_of(None))


def test_staff_names_are_for_managers_and_family_data_not_for_admins():
    assert allowed(BOSS, "view_staff")
    assert not allowed(Viewer("Con", COMMISSIONER), "view_staff")
    for action in ("import_data", "export_data"):
        assert allowed(BOSS, action)
        assert not allowed(Viewer("Addy", ADMIN), action)


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
