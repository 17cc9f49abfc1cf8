"""The referral pathway's columns of families.csv and the questionnaires' own file,
stakeholder_feedback.csv: checked row by row in plain words, appended or left alone on
a second import, and an export imported into an empty store gives the same store."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.unit.helpers import FAMILY_HEADER, snapshot, write_csv
from tracker.files.exporting import canonical_frames, write_canonical_csvs
from tracker.files.importing import import_files
from tracker.store import migrate
from tracker.store.db import make_engine
from tracker.store.models import AuditLog, ClosureAudit, Family, StakeholderFeedback

TODAY = date(2025, 6, 1)
PATHWAY_HEADER = [
    *FAMILY_HEADER,
    "panel_referral_on",
    "panel_decision_on",
    "multi_agency_package",
    "agencies",
    "referral_outcome",
    "signposted_to",
    "first_contact_on",
]
FAMILY = ["F1", "Northfield", "tier 2", "Ann Worker", "School", "2025-01-06"]
FEEDBACK_HEADER = [
    "period_start",
    "period_end",
    "role",
    "respondent",
    "pathway_score",
    "multi_agency_score",
    "comment",
]
FEEDBACK = [
    ["2025-01-01", "2025-03-31", "panel_member", "JB", "3", "2", "Health joined late"],
    ["2025-01-01", "2025-03-31", "Key worker", "", "4", "4", ""],
]


def families(tmp_path, *pathways: list[str]):
    rows = [[f"F{number}", *FAMILY[1:], *pathway] for number, pathway in enumerate(pathways, 1)]
    return write_csv(tmp_path / "families.csv", PATHWAY_HEADER, rows)


def feedback(tmp_path, rows=FEEDBACK):
    return write_csv(tmp_path / "stakeholder_feedback.csv", FEEDBACK_HEADER, rows)


def test_pathway_columns_are_stored(engine, tmp_path):
    path = families(
        tmp_path,
        ["2025-01-10", "2025-01-20", "yes", "Housing; CAMHS", "accepted", "", "2025-01-08"],
        ["", "", "", "", "Inappropriate (signposted elsewhere)", "Early help hub", ""],
    )
    report = import_files(engine, [path], today=TODAY)
    assert report.ok, report.problems
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Family.family_ref,
                Family.panel_decision_on,
                Family.multi_agency_package,
                Family.agencies,
                Family.referral_outcome,
                Family.signposted_to,
                Family.first_contact_on,
            ).order_by(Family.family_ref)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("F1", date(2025, 1, 20), True, "Housing; CAMHS", "accepted", None, date(2025, 1, 8)),
        ("F2", None, None, None, "inappropriate", "Early help hub", None),
    ]


@pytest.mark.parametrize(
    ("pathway", "expected"),
    [
        pytest.param(
            ["2025-02-01", "2025-01-31", "", "", "", "", ""],
            "families.csv:2: panel_decision_on: 2025-01-31 is before the panel referral date",
            id="decision-before-referral",
        ),
        pytest.param(
            ["", "2025-01-31", "", "", "", "", ""],
            "families.csv:2: panel_decision_on: a panel decision date is given but no panel "
            "referral date",
            id="decision-without-referral",
        ),
        pytest.param(
            ["", "", "", "", "", "", "2025-01-05"],
            "families.csv:2: first_contact_on: 2025-01-05 is before the referral date",
            id="contact-before-referral",
        ),
        pytest.param(
            ["", "", "", "", "", "", "2025-06-02"],
            "families.csv:2: first_contact_on: 2025-06-02 is in the future",
            id="future",
        ),
        pytest.param(
            ["", "", "", "", "inappropriate", "", ""],
            "families.csv:2: signposted_to: an inappropriate referral needs where the family "
            "was signposted instead",
            id="inappropriate-needs-destination",
        ),
        pytest.param(
            ["", "", "", "", "accepted", "GP", ""],
            "families.csv:2: signposted_to: only an inappropriate referral is signposted "
            "elsewhere; leave it blank",
            id="destination-only-when-inappropriate",
        ),
        pytest.param(
            ["", "", "no", "Housing", "", "", ""],
            "families.csv:2: agencies: agencies are listed only for a family with a "
            "multi-agency package (yes)",
            id="agencies-without-package",
        ),
        pytest.param(
            ["", "", "maybe", "", "", "", ""],
            "families.csv:2: multi_agency_package: 'maybe' is not yes or no",
            id="not-yes-or-no",
        ),
        pytest.param(
            ["", "", "", "", "lost", "", ""],
            "families.csv:2: referral_outcome: 'lost' is not a known referral outcome; use "
            "one of: accepted, inappropriate",
            id="unknown-outcome",
        ),
    ],
)
def test_a_bad_pathway_is_named_by_file_line_and_column(engine, tmp_path, pathway, expected):
    report = import_files(engine, [families(tmp_path, pathway)], today=TODAY)
    assert [str(problem) for problem in report.errors] == [expected]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(Family.id))).scalar_one() == 0


def test_questionnaires_are_added_once_however_often_the_file_comes_in(engine, tmp_path):
    report = import_files(engine, [feedback(tmp_path)], actor="importer", today=TODAY)
    assert report.ok, report.problems
    assert report.counts["stakeholder_feedback"] == {"new": 2, "unchanged": 0, "replaced": 0}
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                StakeholderFeedback.role,
                StakeholderFeedback.respondent,
                StakeholderFeedback.pathway_score,
                StakeholderFeedback.comment,
                StakeholderFeedback.entered_by,
            ).order_by(StakeholderFeedback.role)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("key_worker", None, 4, None, "importer"),
        ("panel_member", "JB", 3, "Health joined late", "importer"),
    ]
    # The same file again, with one more answer, and with replace: only the new one is added.
    more = [*FEEDBACK, ["2025-04-01", "2025-05-31", "key_worker", "", "2", "3", ""]]
    again = import_files(engine, [feedback(tmp_path, more)], replace=True, today=TODAY)
    assert again.ok, again.problems
    assert again.counts["stakeholder_feedback"] == {"new": 1, "unchanged": 2, "replaced": 0}
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count(StakeholderFeedback.id))).scalar_one() == 3
        )
        summary = connection.execute(
            sa.select(AuditLog.after).where(AuditLog.action == "import").order_by(AuditLog.id)
        ).scalars()
        assert '"stakeholder_feedback"' in list(summary)[-1]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            ["2025-04-01", "2025-03-31", "key_worker", "", "3", "3", ""],
            "stakeholder_feedback.csv:2: period_end: 2025-03-31 is before the start of the period",
            id="period-order",
        ),
        pytest.param(
            ["2025-01-01", "2025-03-31", "key_worker", "", "5", "3", ""],
            "stakeholder_feedback.csv:2: pathway_score: 5 is above 4",
            id="above-the-scale",
        ),
        pytest.param(
            ["2025-01-01", "2025-03-31", "key_worker", "", "3", "2.5", ""],
            "stakeholder_feedback.csv:2: multi_agency_score: 2.5 is not a whole number from 1 to 4",
            id="part-point",
        ),
        pytest.param(
            ["2025-01-01", "2025-03-31", "family", "", "3", "3", ""],
            "stakeholder_feedback.csv:2: role: 'family' is not a known role; use one of: "
            "key_worker, panel_member",
            id="role",
        ),
        pytest.param(
            ["2025-01-01", "", "key_worker", "", "3", "3", ""],
            "stakeholder_feedback.csv:2: period_end: is required but empty",
            id="no-end",
        ),
    ],
)
def test_a_bad_questionnaire_is_named_by_file_line_and_column(engine, tmp_path, row, expected):
    report = import_files(engine, [feedback(tmp_path, [row])], today=TODAY)
    assert [str(problem) for problem in report.errors] == [expected]


def test_an_export_imported_into_an_empty_store_changes_nothing(engine, tmp_path):
    pathway = ["2025-01-10", "2025-01-20", "yes", "Housing; CAMHS", "accepted", "", "2025-01-08"]
    signposted = ["", "", "no", "", "inappropriate", "Early help hub", ""]
    first = import_files(
        engine, [families(tmp_path, pathway, signposted), feedback(tmp_path)], today=TODAY
    )
    assert first.ok, first.problems
    before = snapshot(engine)
    assert len(before["stakeholder_feedback"]) == 2
    pathway_stored = before["families"][0][-7:]
    assert pathway_stored[:5] + pathway_stored[6:] == [*pathway[:5], pathway[6]]
    with engine.connect() as connection:
        paths = write_canonical_csvs(canonical_frames(connection), tmp_path / "export")
    again = import_files(engine, paths, today=TODAY)
    assert again.ok and not again.changed_anything, again.problems
    copy = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    migrate.upgrade(copy)
    report = import_files(copy, paths, today=TODAY)
    assert report.ok, report.problems
    assert snapshot(copy) == before


def test_replace_with_a_file_that_leaves_out_optional_columns_keeps_their_stored_values(
    engine, tmp_path
):
    """An older families.csv has no pathway or short-name columns: with Replace, the
    columns it has overwrite, and those it leaves out keep what is stored."""
    pathway = ["2025-01-10", "2025-01-20", "yes", "Housing", "accepted", "", "2025-01-08"]
    assert import_files(engine, [families(tmp_path, pathway)], today=TODAY).ok
    (tmp_path / "older").mkdir()
    older = write_csv(
        tmp_path / "older" / "families.csv", FAMILY_HEADER, [["F1", "Southside", *FAMILY[2:]]]
    )
    report = import_files(engine, [older], replace=True, today=TODAY)
    assert report.ok, report.problems
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(Family.area, Family.multi_agency_package, Family.agencies)
        ).one()
    assert tuple(row) == ("Southside", True, "Housing"), "the area changed; the pathway kept"


CLOSING_HEADER = [*FAMILY_HEADER, "closed_on", "closure_reason"]


def closures(folder, *rows: tuple[str, str, str]):
    folder.mkdir(exist_ok=True)
    return write_csv(
        folder / "families.csv",
        CLOSING_HEADER,
        [[ref, *FAMILY[1:], closed_on, reason] for ref, closed_on, reason in rows],
    )


def opened_audits(engine) -> list[tuple[str, date]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Family.family_ref, ClosureAudit.closed_on)
            .join(Family, Family.id == ClosureAudit.family_id)
            .order_by(Family.family_ref)
        ).all()
        logged = connection.execute(
            sa.select(sa.func.count()).where(AuditLog.action == "closure_audit_created")
        ).scalar_one()
    assert logged == len(rows), "each opened audit is in the audit trail"
    return [tuple(row) for row in rows]


def test_a_closure_arriving_by_import_opens_its_audit_as_closing_in_the_app_does(engine, tmp_path):
    first = closures(
        tmp_path / "first",
        ("F1", "2025-03-01", "partially_achieved"),
        ("F2", "2025-03-02", "wholly_achieved"),
        ("F3", "", ""),
    )
    assert import_files(engine, [first], today=TODAY).ok
    assert opened_audits(engine) == [("F1", date(2025, 3, 1))]
    # The same file again opens nothing; F3 closing, and F2's reason corrected, each open one.
    assert import_files(engine, [first], today=TODAY).ok
    assert opened_audits(engine) == [("F1", date(2025, 3, 1))]
    second = closures(
        tmp_path / "second",
        ("F1", "2025-03-01", "partially_achieved"),
        ("F2", "2025-03-02", "not_achieved"),
        ("F3", "2025-04-01", "dropped_out"),
    )
    assert import_files(engine, [second], replace=True, today=TODAY).ok
    assert opened_audits(engine) == [
        ("F1", date(2025, 3, 1)),
        ("F2", date(2025, 3, 2)),
        ("F3", date(2025, 4, 1)),
    ]
