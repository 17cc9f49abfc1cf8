"""The audit trail read as sentences: one test per kind of row the app writes.

Rows are made by ``audit_entry``, exactly as ``record`` stores them (before and after as
JSON text), with what each writer passes. The last tests make real rows through the
records, accounts and import code, and check that no sentence shows JSON or a column name.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.helpers import FAMILY_HEADER, SCORE_HEADER, write_csv
from tracker.files.importing import import_files
from tracker.instruments.loader import load_instruments
from tracker.measures.audit_names import AuditNames, audit_names
from tracker.people.accounts import create_user, reset_password, set_active
from tracker.people.audit import ACTIONS, audit_entry, audit_frame
from tracker.people.auth import UNKNOWN_ACCOUNT
from tracker.records.families import (
    add_goal,
    add_note,
    close_family,
    family_by_ref,
    update_goal,
)
from tracker.render.history_text import history_table, sentence, who
from tracker.render.history_words import ACTION_LABELS
from tracker.store.db import write_session
from tracker.store.models import PlanGoal

AT = datetime(2026, 3, 12, 14, 5, tzinfo=UTC)
NAMES = AuditNames(
    people={"amira": "Amira Ahmed", "manny": "Service manager"},
    accounts={"7": "Ben Cole"},
    families={3: "FAM-000003"},
    key_workers={1: "Amira Ahmed", 2: "Ben Cole"},
    goals={"11": "Walk to school together"},
    instruments=load_instruments(),
)


def row(action: str, entity: str, *, actor: str = "amira", **fields) -> dict:
    return audit_entry(actor=actor, action=action, entity=entity, at=AT, **fields)


def said(action: str, entity: str, names: AuditNames = NAMES, **fields) -> str:
    return sentence(row(action, entity, **fields), names)


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------

ASSESSMENT = {
    "instrument": "taf-dtt",
    "occasion": "review",
    "assessed_on": date(2026, 3, 10),
    "rater": "worker",
}


def test_a_corrected_score_reads_as_the_issue_asks():
    text = said(
        "update",
        "assessment",
        entity_id=40,
        family_id=3,
        before={**ASSESSMENT, "scores": {"housing": 4.0, "general_health": 2.0}},
        after={**ASSESSMENT, "scores": {"housing": 3.0, "general_health": 2.0}},
    )
    assert text == (
        "Amira Ahmed changed Housing from 4 to 3 in the review scores "
        "(TAF tool, key worker, 10 Mar 2026) for family FAM-000003 on 12 Mar 2026."
    )


def test_a_new_assessment_says_which_occasion_tool_rater_and_day():
    text = said("create", "assessment", entity_id=41, after={**ASSESSMENT, "occasion": "baseline"})
    assert text == (
        "Amira Ahmed recorded the baseline scores (TAF tool, key worker, 10 Mar 2026) "
        "on 12 Mar 2026."
    )


def test_not_scored_and_na_read_as_words_and_many_changes_are_counted():
    before = {"housing": None, "general_health": 2.0, "aspirations": 1.0}
    after = {
        "housing": 3.0,
        "general_health": None,
        "physical_development": 2.0,
        "speech_language_communication": 1.0,
        "aspirations": 5.0,
        "drug_alcohol_use": 1.0,
    }
    text = said(
        "update",
        "assessment",
        entity_id=40,
        before={**ASSESSMENT, "scores": before},
        after={**ASSESSMENT, "scores": after},
    )
    assert "Housing from N/A to 3" in text
    assert "General health from 2 to N/A" in text
    assert "Physical development from Not scored to 2" in text
    assert "and 2 more in the review scores" in text
    assert "None" not in text and ".0" not in text


def test_a_moved_date_is_said_and_an_unchanged_save_says_so():
    moved = said(
        "update",
        "assessment",
        entity_id=40,
        before={**ASSESSMENT, "scores": {"housing": 4.0}},
        after={**ASSESSMENT, "assessed_on": date(2026, 3, 11), "scores": {"housing": 4.0}},
    )
    assert "changed date from 10 Mar 2026 to 11 Mar 2026 in the review scores" in moved
    same = said(
        "update",
        "assessment",
        entity_id=40,
        before={**ASSESSMENT, "scores": {"housing": 4.0}},
        after={**ASSESSMENT, "scores": {"housing": 4.0}},
    )
    assert same.startswith("Amira Ahmed saved the review scores (TAF tool") and "unchanged" in same


# --------------------------------------------------------------------------------------
# Families, goals and notes
# --------------------------------------------------------------------------------------


def test_adding_a_family():
    text = said(
        "create",
        "family",
        entity_id=3,
        family_id=3,
        after={"family_ref": "FAM-000003", "referral_date": date(2026, 1, 12), "area": "X"},
    )
    assert text == "Amira Ahmed added family FAM-000003, referred 12 Jan 2026 on 12 Mar 2026."


def test_closing_a_case():
    text = said(
        "update",
        "family",
        entity_id=3,
        before={"closed_on": None},
        after={
            "closed_on": date(2026, 3, 1),
            "closure_reason": "partially_achieved",
            "closure_note": "Moved on",
        },
    )
    assert text == (
        "Amira Ahmed closed the case on 01 Mar 2026: plan partially achieved on 12 Mar 2026."
    )


def test_reassigning_a_family_names_both_key_workers():
    text = said(
        "update", "family", entity_id=3, before={"key_worker_id": 1}, after={"key_worker_id": 2}
    )
    assert text.startswith("Amira Ahmed moved the family from Amira Ahmed to Ben Cole")


def test_any_other_change_to_a_family_names_the_field_in_words():
    text = said(
        "update",
        "family",
        entity_id=3,
        before={"short_name": None},
        after={"short_name": "Smith household"},
    )
    assert text.startswith("Amira Ahmed changed the family's short name from blank to ")
    assert "Smith household" in text and "short_name" not in text


def test_adding_and_updating_a_goal():
    added = said(
        "create",
        "goal",
        entity_id=11,
        after={"text": "Walk to school together", "domain": None, "set_on": date(2026, 3, 3)},
    )
    assert added == (
        "Amira Ahmed added the goal “Walk to school together”, agreed 03 Mar 2026 on 12 Mar 2026."
    )
    updated = said(
        "update",
        "goal",
        entity_id=11,
        before={"status": "open", "status_on": None},
        after={"status": "wholly_achieved", "status_on": date(2026, 3, 12)},
    )
    assert updated.startswith(
        "Amira Ahmed marked the goal “Walk to school together” as wholly achieved from 12 Mar 2026"
    )
    unknown = said("update", "goal", entity_id=99, after={"status": "open", "status_on": None})
    assert unknown.startswith("Amira Ahmed marked a goal as open")


def test_adding_a_note_quotes_it_shortened():
    text = said(
        "create",
        "note",
        entity_id=5,
        after={"written_on": date(2026, 3, 3), "text": "Met at the school gate. " * 10},
    )
    assert text.startswith("Amira Ahmed added a note dated 03 Mar 2026: “Met at the school gate.")
    assert "…”" in text and len(text) < 160


def test_a_note_or_goal_dated_the_day_it_was_written_down_gives_the_day_once():
    day = AT.date()
    goal = said("create", "goal", entity_id=11, after={"text": "Walk", "set_on": day})
    note = said("create", "note", entity_id=5, after={"written_on": day, "text": "Visit"})
    assert goal == "Amira Ahmed added the goal “Walk” on 12 Mar 2026."
    assert note == "Amira Ahmed added a note: “Visit” on 12 Mar 2026."


def test_opening_a_familys_record():
    text = said("view", "family", entity_id="FAM-000003", family_id=3)
    assert text == "Amira Ahmed opened the record of family FAM-000003 on 12 Mar 2026."


# --------------------------------------------------------------------------------------
# Imports
# --------------------------------------------------------------------------------------


def test_the_summary_of_an_import():
    counts = {
        "families": {"new": 2, "replaced": 1, "unchanged": 0},
        "scores": {"new": 40, "replaced": 3, "unchanged": 5},
    }
    text = said(
        "import",
        "import",
        actor="tracker init --sample",
        entity_id="families.csv, scores.csv",
        after={"replace": True, "counts": counts},
    )
    assert text == (
        "tracker init --sample imported families.csv, scores.csv with Replace: "
        "42 rows added, 4 replaced on 12 Mar 2026."
    )


def test_what_an_import_added_to_a_family():
    added = {"families": 1, "assessments": 2, "scores": 20, "goals": 1, "feedback": 1}
    new = said("import", "family", entity_id="FAM-000003", family_id=3, after={"added": added})
    assert new.startswith(
        "Amira Ahmed added family FAM-000003 by import with 2 assessments, 20 scores, "
        "1 goal and 1 feedback"
    )
    alone = said("import", "family", entity_id="FAM-000003", after={"added": {"families": 1}})
    assert alone == "Amira Ahmed added family FAM-000003 by import on 12 Mar 2026."
    more = said(
        "import",
        "family",
        entity_id="FAM-000003",
        after={"added": {"activities": 3, "referrals_on": 1}},
    )
    assert more.startswith(
        "Amira Ahmed added 3 activities and 1 onward referral to family FAM-000003 by import"
    )


def test_a_score_an_import_replaced():
    text = said(
        "import",
        "domain score",
        entity_id="taf-dtt · 2026-01-12 · worker · housing",
        family_id=3,
        before={"score": 4.0},
        after={"score": 3.0},
    )
    assert text == (
        "Amira Ahmed changed Housing from 4 to 3 (TAF tool, 12 Jan 2026, key worker) by import "
        "for family FAM-000003 on 12 Mar 2026."
    )


def test_other_rows_an_import_replaced():
    family = said(
        "import",
        "family",
        entity_id="FAM-000003",
        before={"area": "North"},
        after={"area": "South"},
    )
    assert family.startswith("Amira Ahmed changed the family's area from North to South by import")
    assessment = said(
        "import",
        "assessment",
        entity_id="taf-dtt · 2026-01-12 · worker",
        before={"occasion": "baseline"},
        after={"occasion": "review"},
    )
    assert assessment.startswith(
        "Amira Ahmed changed the assessment (TAF tool, 12 Jan 2026, key worker) by import: "
        "occasion from baseline to review"
    )
    activity = said(
        "import",
        "activity",
        entity_id="2026-02-01 · direct_work",
        before={"hours": 2.0},
        after={"hours": 3.5},
    )
    assert activity.startswith(
        "Amira Ahmed changed the activity (01 Feb 2026, direct work) by import: hours from 2 to 3.5"
    )
    goal = said(
        "import",
        "goal",
        entity_id="Walk to school",
        before={"status": "open"},
        after={"status": "not_achieved"},
    )
    assert goal.startswith(
        "Amira Ahmed changed the goal “Walk to school” by import: status from open to not achieved"
    )


# --------------------------------------------------------------------------------------
# Accounts, signing in and out
# --------------------------------------------------------------------------------------


def test_accounts():
    created = said(
        "create",
        "user",
        actor="cli:root",
        entity_id=7,
        after={"username": "ben", "role": "manager", "email": None},
    )
    assert created == "root (command line) added the account ben (manager) on 12 Mar 2026."
    disabled = said(
        "update",
        "user",
        actor="manny",
        entity_id=7,
        before={"active": True},
        after={"active": False},
    )
    assert disabled == "Service manager disabled the account of Ben Cole on 12 Mar 2026."
    reset = said("update", "user", actor="manny", entity_id=7, after={"password": "reset"})
    assert reset == "Service manager reset the password of Ben Cole on 12 Mar 2026."
    role = said(
        "update",
        "user",
        actor="manny",
        entity_id=7,
        before={"role": "practitioner", "key_worker_id": 2},
        after={"role": "manager", "key_worker_id": 2},
    )
    assert role == (
        "Service manager changed the account of Ben Cole: role from practitioner to manager "
        "on 12 Mar 2026."
    )


def test_signing_in_and_out():
    assert said("sign_in", "user", entity_id=1) == "Amira Ahmed signed in on 12 Mar 2026."
    assert said("sign_in", "user", entity_id=1, after={"method": "oidc"}).startswith(
        "Amira Ahmed signed in with single sign-on"
    )
    assert said(
        "sign_out", "user", entity_id=1, after={"reason": "You have signed out."}
    ).startswith("Amira Ahmed signed out on")
    timed_out = said(
        "sign_out",
        "user",
        entity_id=1,
        after={"reason": "You were signed out after 30 minutes without activity. Sign in again."},
    )
    assert timed_out.startswith("Amira Ahmed was signed out after 30 minutes without activity on")
    other = said("sign_out", "user", entity_id=1, after={"reason": "Your account was disabled."})
    assert other.startswith("Amira Ahmed was signed out (Your account was disabled)")


def test_failed_sign_ins_and_a_lockout():
    wrong = said(
        "sign_in_failed",
        "client",
        entity_id="10.0.0.1",
        after={"user_id": 1, "reason": "wrong password", "failed_attempts": 2},
    )
    assert wrong == "A sign-in as Amira Ahmed failed (wrong password) on 12 Mar 2026."
    nobody = said("sign_in_failed", "client", actor=UNKNOWN_ACCOUNT, entity_id="10.0.0.1", after={})
    assert nobody == "A sign-in as an unknown account failed on 12 Mar 2026."
    email = said(
        "sign_in_failed",
        "user",
        actor=UNKNOWN_ACCOUNT,
        after={"reason": "unknown e-mail", "email": "x@example.org"},
    )
    assert email.startswith("A sign-in with the unknown e-mail address x@example.org failed")
    locked = said(
        "lockout", "user", entity_id=1, after={"locked_until": datetime(2026, 3, 12, 14, 20)}
    )
    assert locked.startswith("Amira Ahmed's account was locked until 12 Mar 2026 14:20")


def test_self_rating_links():
    made = said(
        "invite_created",
        "invitation",
        entity_id=5,
        family_id=3,
        after={"instrument": "taf-dtt", "greeting": "Hello", "expires_at": AT},
    )
    assert made == (
        "Amira Ahmed made a self-rating link 5 for TAF tool, lasting until 12 Mar 2026 "
        "for family FAM-000003 on 12 Mar 2026."
    )
    family = "family (own phone)"
    opened = said("invite_opened", "invitation", actor=family, entity_id=5, family_id=3)
    assert opened.startswith("The family opened self-rating link 5 for family FAM-000003")
    sent = said(
        "invite_submitted",
        "invitation",
        actor=family,
        entity_id=5,
        after={"assessment_id": 9, "instrument": "taf-dtt", "answered": 20, "skipped": 2},
    )
    assert sent.startswith(
        "The family sent their own view (TAF tool) by self-rating link 5: "
        "20 areas answered, 2 skipped"
    )
    cancelled = said("invite_revoked", "invitation", entity_id=5, after={"instrument": "taf-dtt"})
    assert cancelled.startswith("Amira Ahmed cancelled self-rating link 5 (TAF tool)")


def test_refused_self_rating_links_say_why_without_the_link():
    family = "family (own phone)"
    used = said(
        "invite_refused",
        "invitation",
        actor=family,
        entity_id=5,
        after={"reason": "used", "client": "10.0.0.1"},
    )
    assert used.startswith("Self-rating link 5 was refused: it had been used already")
    flood = said(
        "invite_refused",
        "invitation",
        entity_id=5,
        after={"reason": "too many tries from this link"},
    )
    assert flood.startswith("Self-rating link 5 was refused: too many tries of it")
    unknown = said(
        "invite_refused",
        "client",
        actor=family,
        entity_id="10.0.0.1",
        after={"reason": "unknown", "client": "10.0.0.1"},
    )
    assert unknown.startswith("A self-rating link that does not exist was tried from 10.0.0.1")
    why = "The case closed on 20 May 2025 and no re-referral reopened it."
    closed = said(
        "invite_refused",
        "invitation",
        actor=family,
        entity_id=5,
        after={"reason": "cannot be recorded", "problems": {"assessed_on": why}},
    )
    assert closed == (
        "The family's answers by self-rating link 5 could not be recorded: "
        "The case closed on 20 May 2025 and no re-referral reopened it on 12 Mar 2026."
    )


# --------------------------------------------------------------------------------------
# Downloads, backups, the report card's own inputs
# --------------------------------------------------------------------------------------


def test_downloads_backups_and_restores():
    summary = said("export", "download", entity_id="family summary FAM-000003", family_id=3)
    assert summary == "Amira Ahmed downloaded family summary FAM-000003 on 12 Mar 2026."
    backup = said("backup", "download", entity_id="database backup")
    assert backup == "Amira Ahmed downloaded a database backup on 12 Mar 2026."
    restore = said(
        "restore",
        "database",
        actor="cli:root",
        entity_id="backup.db",
        after={"forced": True, "replaced": "x"},
    )
    assert restore.startswith("root (command line) restored the database from backup.db, overr")


def test_costs_targets_and_stories():
    cost = said(
        "update",
        "cost",
        entity_id="2025-26 Q1 Whole service",
        before={"amount": 1000.0},
        after={"amount": 12000.0, "note": None},
    )
    assert cost == (
        "Amira Ahmed set the programme cost for 2025-26 Q1 Whole service to £12,000 on 12 Mar 2026."
    )
    target = said(
        "create", "target", entity_id="nonsense_measure Whole service", after={"target": 60.0}
    )
    assert target.startswith(
        "Amira Ahmed set the target for “nonsense_measure” (Whole service) to 60"
    )
    removed = said("delete", "target", entity_id="x Area: North", before={"target": 60.0})
    assert removed.startswith("Amira Ahmed removed the target for “x” (Area: North)")
    story = said(
        "create", "story", entity_id="2025-26 Q1 Whole service working", after="Parents' group"
    )
    assert story.startswith(
        "Amira Ahmed wrote “What is working” for 2025-26 Q1 Whole service: “Parents' group”"
    )


# --------------------------------------------------------------------------------------
# Quality assurance
# --------------------------------------------------------------------------------------


def test_a_closure_audit_falling_due_and_its_completion_read_plainly():
    due = said(
        "closure_audit_created",
        "closure_audit",
        entity_id=5,
        family_id=3,
        after={"closed_on": date(2026, 3, 1), "closure_reason": "dropped_out"},
    )
    assert due == (
        "A closure audit fell due for the case closed on 01 Mar 2026 (family dropped out / "
        "disengaged) for family FAM-000003 on 12 Mar 2026."
    )
    scores = {
        "reason_score": 2,
        "plan_right_score": 3,
        "engagement_score": 1,
        "multi_agency_score": 4,
        "differently_score": 2,
    }
    done = said(
        "closure_audit_completed",
        "closure_audit",
        entity_id=5,
        family_id=3,
        after={"closed_on": date(2026, 3, 1), **scores, "reason_comment": "Moved school."},
    )
    assert done == (
        "Amira Ahmed completed the closure audit of the case closed on 01 Mar 2026: within "
        "our reach a little, right plan mostly, engagement not at all, other agencies fully "
        "and do differently a little for family FAM-000003 on 12 Mar 2026."
    )


def test_samples_case_files_feedback_and_pathways_read_plainly():
    drawn = said(
        "sample_drawn",
        "case_sample",
        entity_id=2,
        after={
            "period_start": date(2026, 1, 1),
            "period_end": date(2026, 3, 31),
            "how": "proportion",
            "amount": 0.1,
            "seed": 4242,
            "size": 3,
        },
    )
    assert drawn == (
        "Amira Ahmed drew a sample of 3 cases closed 01 Jan 2026 to 31 Mar 2026 "
        "(seed 4242) on 12 Mar 2026."
    )
    rated = said(
        "case_file_rated",
        "case_file",
        entity_id=9,
        family_id=3,
        after={
            "sample_id": 2,
            "engagement_grade": "good",
            "multi_agency_grade": "requires_improvement",
            "innovation_grade": "outstanding",
        },
    )
    assert rated == (
        "Amira Ahmed graded a sampled case file: engagement with the family good, multi-agency "
        "support requires improvement and innovation and creativity in outcome-focused "
        "solutions outstanding for family FAM-000003 on 12 Mar 2026."
    )
    feedback = said(
        "stakeholder_feedback_added",
        "stakeholder_feedback",
        entity_id=4,
        after={
            "period_start": date(2026, 1, 1),
            "period_end": date(2026, 3, 31),
            "role": "panel_member",
            "pathway_score": 3,
        },
    )
    assert feedback == (
        "Amira Ahmed added feedback from a panel member for 01 Jan 2026 to 31 Mar 2026 "
        "on 12 Mar 2026."
    )
    pathway = said(
        "pathway_updated",
        "family",
        entity_id=3,
        family_id=3,
        before={"referral_outcome": None, "panel_referral_on": None},
        after={"referral_outcome": "inappropriate", "panel_referral_on": date(2026, 2, 2)},
    )
    assert pathway == (
        "Amira Ahmed changed the family's panel referral date from blank to 02 Feb 2026 and "
        "referral outcome from blank to inappropriate (signposted elsewhere) for family "
        "FAM-000003 on 12 Mar 2026."
    )


# --------------------------------------------------------------------------------------
# Anything else, names and tables
# --------------------------------------------------------------------------------------


def test_an_unknown_kind_of_row_still_reads_as_a_sentence():
    text = said(
        "update",
        "widget",
        entity_id="w1",
        before={"colour_name": "red"},
        after={"colour_name": "blue"},
    )
    assert text == "Amira Ahmed changed widget w1: colour name from red to blue on 12 Mar 2026."


def test_a_row_of_an_unexpected_shape_falls_back_to_the_plain_sentence():
    text = sentence(row("update", "assessment", entity_id=1, after="not a dict"), NAMES)
    assert text == "Amira Ahmed changed assessment 1 on 12 Mar 2026."


def test_people_are_named_by_their_display_name_where_known():
    assert who("amira", NAMES) == "Amira Ahmed"
    assert who("cli:root", NAMES) == "root (command line)"
    assert who("tracker init --sample", NAMES) == "tracker init --sample"
    assert who(UNKNOWN_ACCOUNT, NAMES) == "Someone"
    assert who("departed", NAMES) == "departed"


def test_every_action_has_a_label_for_the_filter():
    assert set(ACTION_LABELS) == set(ACTIONS)


def test_a_history_table_has_a_time_and_a_sentence_and_no_column_names():
    # As a frame holds them, a family id with gaps beside it is a float (3.0) or NaN.
    frame = pd.DataFrame(
        [
            row("view", "family", entity_id="FAM-000003", family_id=3),
            row("create", "goal", entity_id=11, family_id=3, after={"text": "Walk"}),
            row("sign_in", "user", entity_id=1),
        ]
    )
    assert frame["family_id"].isna().any()
    table = history_table(frame, NAMES)
    assert list(table.columns) == ["When (UTC)", "What happened"]
    assert table.iloc[0].tolist() == [
        "12 Mar 2026 14:05",
        "Amira Ahmed opened the record of family FAM-000003.",
    ]
    assert table["What happened"].tolist()[1:] == [
        "Amira Ahmed added the goal “Walk” for family FAM-000003.",
        "Amira Ahmed signed in.",
    ]


# --------------------------------------------------------------------------------------
# Real rows, as the app and the import write them
# --------------------------------------------------------------------------------------

RAW = re.compile(r"[{}\[\]]|_id\b|entity|\bNone\b|\.0\b|\d{4}-\d{2}-\d{2}")


def test_rows_written_by_the_real_code_read_as_plain_sentences(engine, tmp_path: Path):
    families = [["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"]]
    scores = [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "4"]]
    first = [
        write_csv(tmp_path / "families.csv", FAMILY_HEADER, families),
        write_csv(tmp_path / "scores.csv", SCORE_HEADER, scores),
    ]
    today = date(2025, 6, 1)
    assert import_files(engine, first, today=today, actor="setup").ok
    scores[0][6] = "2"
    families[0][1] = "Southfield"
    (tmp_path / "again").mkdir()
    again = [
        write_csv(tmp_path / "again" / "families.csv", FAMILY_HEADER, families),
        write_csv(tmp_path / "again" / "scores.csv", SCORE_HEADER, scores),
    ]
    assert import_files(engine, again, replace=True, today=today, actor="setup").ok
    with engine.connect() as connection:
        family = family_by_ref(connection, "F1")
    with write_session(engine) as session:
        create_user(
            session,
            username="amira",
            display_name="Amira Ahmed",
            role="manager",
            password=None,
            actor="setup",
        )
    with write_session(engine) as session:
        set_active(session, username="amira", active=False, actor="setup")
        reset_password(session, username="amira", password="a long enough pass 42", actor="setup")
        goal = add_goal(
            session,
            family_id=family.id,
            text="Walk to school",
            domain=None,
            set_on=date(2025, 2, 1),
            today=today,
            actor="amira",
        )
        add_note(
            session,
            family_id=family.id,
            written_on=date(2025, 2, 2),
            text="Met at the gate",
            author="Amira Ahmed",
            today=today,
            actor="amira",
        )
    with write_session(engine) as session:
        update_goal(
            session,
            goal=session.get(PlanGoal, goal.id),
            status="wholly_achieved",
            status_on=date(2025, 3, 1),
            today=today,
            actor="amira",
        )
        close_family(
            session,
            family_id=family.id,
            closed_on=date(2025, 5, 1),
            closure_reason="wholly_achieved",
            closure_note="",
            today=today,
            actor="amira",
        )
    with engine.connect() as connection:
        frame = audit_frame(connection)
        names = audit_names(connection, load_instruments())
    table = history_table(frame, names)
    sentences = table["What happened"].tolist()
    assert len(sentences) == len(frame) >= 10
    for text in sentences:
        assert not RAW.search(text), text
    joined = "\n".join(sentences)
    assert (
        "setup changed Housing from 4 to 2 (TAF tool, 01 Feb 2025, key worker) by import" in joined
    )
    assert "Amira Ahmed marked the goal “Walk to school” as wholly achieved" in joined
    assert "setup changed the family's area from Northfield to Southfield by import" in joined


@pytest.mark.parametrize("family_id", [None, 1])
def test_names_for_one_family_leave_the_family_unnamed(sample_engine, family_id):
    with sample_engine.connect() as connection:
        names = audit_names(connection, load_instruments(), family_id=family_id)
    assert bool(names.families) == (family_id is None)
    assert names.people["demo-practitioner"] != "demo-practitioner"
    assert names.goals
