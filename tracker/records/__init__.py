"""Records people keep by hand: families, their goals and notes, and their assessments.

Each write checks what it is given, raises ``RecordInvalid`` in plain words, and is
audited in the same transaction. ``families`` holds a family's own record, its plan goals
and case notes; ``assessments`` holds scoring, the typo guard and optimistic saves.
"""

from tracker.records.assessments import (
    AssessmentDraft,
    StoredAssessment,
    VersionConflict,
    big_change_threshold,
    big_changes,
    check_draft,
    family_assessments,
    load_assessment,
    previous_assessment,
    save_assessment,
    suggest_occasion,
)
from tracker.records.families import (
    FamilyCreate,
    add_family,
    add_goal,
    add_note,
    build_family,
    close_family,
    family_by_ref,
    goals,
    key_workers,
    notes,
    reassign_family,
    update_goal,
)

__all__ = [
    "AssessmentDraft",
    "FamilyCreate",
    "StoredAssessment",
    "VersionConflict",
    "add_family",
    "add_goal",
    "add_note",
    "big_change_threshold",
    "big_changes",
    "build_family",
    "check_draft",
    "close_family",
    "family_assessments",
    "family_by_ref",
    "goals",
    "key_workers",
    "load_assessment",
    "notes",
    "previous_assessment",
    "reassign_family",
    "save_assessment",
    "suggest_occasion",
    "update_goal",
]
