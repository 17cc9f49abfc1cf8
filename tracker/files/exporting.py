"""Writing the canonical CSV files: the same layout the importer reads.

The files are sorted and formatted the same way every time, so an export of
a database rebuilt from an export is byte-for-byte identical.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.files.canonical import FILE_KINDS
from tracker.store.models import (
    Assessment,
    Family,
    FamilyNote,
    Feedback,
    KeyWorker,
    PlanGoal,
    ReferralOn,
    Score,
    ServiceActivity,
)


def _yes_no(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return "yes" if value else "no"


def _number(value) -> str:
    if value is None or pd.isna(value):
        return "NA"
    return f"{float(value):g}"


def _query(connection: Connection, columns: dict, *, joins=(), order=()) -> pd.DataFrame:
    statement = sa.select(*columns.values())
    for table, condition, outer in joins:
        statement = statement.join(table, condition, isouter=outer)
    statement = statement.order_by(*order)
    return pd.DataFrame(connection.execute(statement).all(), columns=list(columns))


def canonical_frames(connection: Connection) -> dict[str, pd.DataFrame]:
    """Every canonical file's rows, by file stem."""
    frames = {
        "key_workers": _query(
            connection,
            {
                "name": KeyWorker.name,
                "background": KeyWorker.background,
                "dedicated": KeyWorker.dedicated,
            },
            order=(KeyWorker.name,),
        ),
        "families": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "area": Family.area,
                "tier_of_need": Family.tier_of_need,
                "key_worker": KeyWorker.name,
                "referral_source": Family.referral_source,
                "referral_date": Family.referral_date,
                "closed_on": Family.closed_on,
                "closure_reason": Family.closure_reason,
                "closure_note": Family.closure_note,
                "re_referred_on": Family.re_referred_on,
                "consent_to_share": Family.consent_to_share,
                "consent_on": Family.consent_on,
                "age_group": Family.age_group,
                "child_disability": Family.child_disability,
                "presenting_issues": Family.presenting_issues,
            },
            joins=[(KeyWorker, KeyWorker.id == Family.key_worker_id, True)],
            order=(Family.family_ref,),
        ),
        "scores": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "instrument": Assessment.instrument,
                "occasion": Assessment.occasion,
                "assessed_on": Assessment.assessed_on,
                "rater": Assessment.rater,
                "domain": Score.domain,
                "score": Score.value,
                "note": Score.note,
            },
            joins=[
                (Assessment, Assessment.id == Score.assessment_id, False),
                (Family, Family.id == Assessment.family_id, False),
            ],
            order=(
                Family.family_ref,
                Assessment.instrument,
                Assessment.assessed_on,
                Assessment.rater,
                Score.domain,
            ),
        ),
        "goals": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "goal": PlanGoal.text,
                "domain": PlanGoal.domain,
                "status": PlanGoal.status,
                "set_on": PlanGoal.set_on,
                "status_on": PlanGoal.status_on,
            },
            joins=[(Family, Family.id == PlanGoal.family_id, False)],
            order=(Family.family_ref, PlanGoal.set_on, PlanGoal.text),
        ),
        "activities": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "activity_on": ServiceActivity.activity_on,
                "hours": ServiceActivity.hours,
                "kind": ServiceActivity.kind,
            },
            joins=[(Family, Family.id == ServiceActivity.family_id, False)],
            order=(Family.family_ref, ServiceActivity.activity_on, ServiceActivity.kind),
        ),
        "referrals_on": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "service": ReferralOn.service,
                "referred_on": ReferralOn.referred_on,
            },
            joins=[(Family, Family.id == ReferralOn.family_id, False)],
            order=(Family.family_ref, ReferralOn.referred_on, ReferralOn.service),
        ),
        "feedback": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "given_on": Feedback.given_on,
                "satisfaction": Feedback.satisfaction,
                "comment": Feedback.comment,
            },
            joins=[(Family, Family.id == Feedback.family_id, False)],
            order=(Family.family_ref, Feedback.given_on),
        ),
        "notes": _query(
            connection,
            {
                "family_ref": Family.family_ref,
                "written_on": FamilyNote.written_on,
                "author": FamilyNote.author,
                "note": FamilyNote.text,
            },
            joins=[(Family, Family.id == FamilyNote.family_id, False)],
            order=(Family.family_ref, FamilyNote.written_on, FamilyNote.text),
        ),
    }
    frames["key_workers"]["dedicated"] = frames["key_workers"]["dedicated"].map(_yes_no)
    for column in ("child_disability", "consent_to_share"):
        frames["families"][column] = frames["families"][column].map(_yes_no)
    frames["scores"]["score"] = frames["scores"]["score"].map(_number)
    frames["activities"]["hours"] = frames["activities"]["hours"].map(_number)
    return frames


def write_canonical_csvs(frames: dict[str, pd.DataFrame], directory: Path) -> list[Path]:
    """Write each frame as its canonical file, with the columns in canonical order."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in FILE_KINDS:
        path = directory / kind.filename
        frame = neutralised(frames[kind.name][list(kind.columns)])
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    return written


# Cells that a spreadsheet would run as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix a text cell that Excel would treat as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(neutralise)


def canonical_zip(frames: dict[str, pd.DataFrame]) -> bytes:
    """Every canonical CSV in one zip, formula-safe; the importer reads it back unchanged."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in FILE_KINDS:
            frame = neutralised(frames[kind.name][list(kind.columns)])
            archive.writestr(kind.filename, frame.to_csv(index=False, lineterminator="\n"))
    return buffer.getvalue()


def canonical_workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    """Every canonical file as a sheet of one workbook, formula-safe."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for kind in FILE_KINDS:
            frame = neutralised(frames[kind.name][list(kind.columns)])
            frame.to_excel(writer, sheet_name=kind.name, index=False)
    return buffer.getvalue()
