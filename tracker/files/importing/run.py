"""One import run: read every file, compare it with the store, and write it all or nothing.

Every file is read and checked first; then, inside one write transaction, the rows are
compared with what is stored and the writes are planned. They run only if nothing at all
is wrong, so a refused import writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tracker.files.canonical import (
    ASSESSMENT_IDENTITY,
    ASSESSMENT_VALUES,
    CANONICAL,
    CHILD_KINDS,
    SCORES,
    SERVICE_KINDS,
    FileKind,
)
from tracker.files.importing.auditing import Compared, import_entries
from tracker.files.importing.comparing import Reconciled, reconcile, same_cells
from tracker.files.importing.history import Incoming, check_histories
from tracker.files.importing.reading import ParsedFile, ReadFiles, read_files
from tracker.files.importing.report import ImportReport
from tracker.files.importing.scope import import_scope, is_scoped, within
from tracker.files.importing.stored import stored_assessments, stored_rows
from tracker.files.importing.writing import insert, insert_rows, update, update_rows
from tracker.files.problems import Problem
from tracker.instruments.loader import load_instruments
from tracker.people.access import Viewer
from tracker.people.audit import audit_entry, record_many
from tracker.store.closures import add_closure_audit, closure_audit_due
from tracker.store.db import begin_write
from tracker.store.models import Assessment, Family, KeyWorker

Progress = Callable[[float, str], None]
KEY_WORKERS, FAMILIES = CANONICAL["key_workers"], CANONICAL["families"]


class ImportFailed(Exception):
    """Raised inside the write transaction to roll it back."""


class _Importer:
    """One import run: compares every parsed file with the store and writes the result."""

    def __init__(
        self,
        connection: Connection,
        files: list[ParsedFile],
        report: ImportReport,
        *,
        replace: bool,
        actor: str,
    ):
        self.connection = connection
        self.files = {parsed.kind.name: [] for parsed in files}
        for parsed in files:
            self.files[parsed.kind.name].append(parsed)
        self.report = report
        self.replace = replace
        self.actor = actor  # who entered what the files add, for records that say so
        self.opened_audits: list[dict] = []  # audit rows of the closure audits it opened
        self.plan: list = []  # callables that write, run only when nothing is wrong
        self.compared: list[Compared] = []  # what the audit trail records of the writes
        # What a family's history is judged on: the stored rows and what the files bring.
        self.stored_families = pd.DataFrame()
        self.stored_assessments: pd.DataFrame | None = None
        self.incoming: dict[str, list[Incoming]] = {"families": [], "assessments": []}
        self.replaced_assessments: set[int] = set()

    def rows(self, kind: str) -> list[ParsedFile]:
        return self.files.get(kind, [])

    def run(self, *, dry_run: bool, progress: Progress) -> None:
        families = self._key_workers_and_families()
        self._check_family_refs(families)
        self._scores()
        self.report.notices += check_histories(
            self._all_stored_assessments,
            self.stored_families,
            self.incoming["assessments"],
            self.replaced_assessments,
            self.incoming["families"],
            self.report.problems,
        )
        for kind in CHILD_KINDS:
            self._children(CANONICAL[kind])
        for kind in SERVICE_KINDS:
            self._service_records(CANONICAL[kind])
        if not self.report.ok or dry_run:
            return
        for number, step in enumerate(self.plan, start=1):
            progress(0.5 + 0.5 * number / len(self.plan), "Writing")
            step()

    def _reconcile(self, parsed: ParsedFile, stored: pd.DataFrame, kind: FileKind) -> Reconciled:
        result = reconcile(
            parsed,
            stored,
            list(kind.identity),
            list(kind.values),
            replace=self.replace,
            problems=self.report.problems,
            what=kind.noun,
        )
        self.compared.append(
            Compared(kind.name, kind.noun, kind.identity, kind.values, result, stored)
        )
        return result

    def _count(self, kind: str, result: Reconciled) -> None:
        self.report.count(kind, "new", len(result.new))
        self.report.count(kind, "unchanged", result.unchanged)
        self.report.count(kind, "replaced", len(result.replaced))

    def _arriving(self, kind: str, parsed: ParsedFile, result: Reconciled) -> None:
        """Keep the rows a file adds or changes, to judge the histories they make."""
        rows = pd.concat([result.new, result.replaced.drop(columns="id")], ignore_index=True)
        self.incoming[kind].append(Incoming(parsed.file, rows, parsed.field_lines))

    def _all_stored_assessments(self) -> pd.DataFrame:
        """Those read for the scores files, unless a family row changed: its closing date
        bears on its assessments of every instrument."""
        changed = any(not item.rows.empty for item in self.incoming["families"])
        if self.stored_assessments is None or changed:
            return stored_assessments(self.connection)
        return self.stored_assessments

    def family_ids(self) -> dict[str, int]:
        return dict(self.connection.execute(sa.select(Family.family_ref, Family.id)).all())

    # -- key workers and families

    def _key_workers_and_families(self) -> set[str]:
        stored_workers = stored_rows(self.connection, KEY_WORKERS)
        known_workers = set(stored_workers["name"])
        for parsed in self.rows("key_workers"):
            result = self._reconcile(parsed, stored_workers, KEY_WORKERS)
            self._plan_key_workers(result)
            known_workers |= set(result.new["name"])

        stored_families = stored_rows(self.connection, FAMILIES)
        self.stored_families = stored_families
        known = set(stored_families["family_ref"])
        for parsed in self.rows("families"):
            named = set(parsed.rows["key_worker"].dropna()) - known_workers
            if named:
                # Only the name is known; the model's defaults fill in the rest.
                implicit = pd.DataFrame({"name": sorted(named)})
                self.report.count("key_workers", "new", len(implicit))
                self.plan.append(
                    lambda implicit=implicit: insert(self.connection, KeyWorker, implicit, ["name"])
                )
                known_workers |= named
            result = self._reconcile(parsed, stored_families, FAMILIES)
            self._arriving("families", parsed, result)
            self._count("families", result)
            self.plan.append(lambda result=result: self._write_families(result))
            known |= set(result.new["family_ref"])
        return known

    def _write_families(self, result: Reconciled) -> None:
        workers = dict(self.connection.execute(sa.select(KeyWorker.name, KeyWorker.id)).all())
        for frame, write in ((result.new, insert_rows), (result.replaced, update_rows)):
            if frame.empty:
                continue
            frame = frame.assign(key_worker_id=frame["key_worker"].map(workers))
            write(self.connection, FAMILIES, frame, ["key_worker_id"])
        self._open_closure_audits(result)

    def _open_closure_audits(self, result: Reconciled) -> None:
        """A closure that arrives in the file (a new closed family, or a closing date or
        reason that changed) opens its audit task, as closing a case in the app does."""
        columns = ["family_ref", "closed_on", "closure_reason"]
        arriving = [result.new[columns]]
        if not result.replaced.empty:
            both = result.replaced[columns].merge(
                self.stored_families[columns], on="family_ref", suffixes=("", "_stored")
            )
            moved = ~same_cells(both["closed_on"], both["closed_on_stored"]) | ~same_cells(
                both["closure_reason"], both["closure_reason_stored"]
            )
            arriving.append(both.loc[moved, columns])
        ids = self.family_ids()
        for family_ref, closed_on, reason in pd.concat(arriving).itertuples(index=False):
            day = None if pd.isna(closed_on) else pd.Timestamp(closed_on).date()
            reason = None if pd.isna(reason) else reason
            if not closure_audit_due(self.connection, ids[family_ref], day, reason):
                continue
            audit_id = add_closure_audit(self.connection, ids[family_ref], day)
            self.opened_audits.append(
                audit_entry(
                    actor=self.actor,
                    action="closure_audit_created",
                    entity="closure_audit",
                    entity_id=audit_id,
                    family_id=ids[family_ref],
                    after={"closed_on": day, "closure_reason": reason},
                )
            )

    def _plan_key_workers(self, result: Reconciled) -> None:
        self._count("key_workers", result)
        self.plan.append(lambda: insert_rows(self.connection, KEY_WORKERS, result.new))
        self.plan.append(lambda: update_rows(self.connection, KEY_WORKERS, result.replaced))

    def _check_family_refs(self, known: set[str]) -> None:
        for kind in ("scores", *CHILD_KINDS):
            for parsed in self.rows(kind):
                rows = parsed.rows.assign(line=parsed.line_of("family_ref", parsed.rows["line"]))
                unknown = rows[
                    rows["family_ref"].notna() & ~rows["family_ref"].isin(known)
                ].drop_duplicates(["family_ref", "line"])
                self.report.problems.each(
                    unknown.itertuples(),
                    len(unknown),
                    lambda row, parsed=parsed: Problem(
                        parsed.file,
                        int(row.line),
                        "family_ref",
                        f"{row.family_ref!r} is not a known family; add it to families.csv first",
                    ),
                    "error",
                )

    # -- assessments and scores

    def _scores(self) -> None:
        files = self.rows("scores")
        if not files:
            return
        instruments = set().union(*(p.rows["instrument"].dropna().unique() for p in files))
        assessments_stored = stored_assessments(self.connection, instruments)
        self.stored_assessments = assessments_stored
        scores_stored = stored_rows(
            self.connection, SCORES, where=Assessment.instrument.in_(list(instruments))
        )
        for parsed in files:
            assessments = reconcile(
                parsed,
                assessments_stored,
                list(ASSESSMENT_IDENTITY),
                list(ASSESSMENT_VALUES),
                replace=self.replace,
                problems=self.report.problems,
                what="assessment",
            )
            self.compared.append(
                Compared(
                    "assessments",
                    "assessment",
                    ASSESSMENT_IDENTITY,
                    ASSESSMENT_VALUES,
                    assessments,
                    assessments_stored,
                )
            )
            scores = self._reconcile(parsed, scores_stored, SCORES)
            self._check_baseline_order(parsed, assessments_stored, assessments)
            self._arriving("assessments", parsed, assessments)
            self.replaced_assessments |= set(assessments.replaced["id"])
            self._count("assessments", assessments)
            self._count("scores", scores)
            self.plan.append(
                lambda assessments=assessments, scores=scores: self._write_scores(
                    assessments, scores
                )
            )

    def _check_baseline_order(
        self, parsed: ParsedFile, stored: pd.DataFrame, incoming: Reconciled
    ) -> None:
        """A review cannot predate the family's first baseline for that instrument."""
        key = ["family_ref", "instrument"]
        columns = [*key, "assessed_on", "rater", "occasion"]
        replaced_ids = set(incoming.replaced["id"])
        everything = pd.concat(
            [
                stored[~stored["id"].isin(replaced_ids)][columns],
                incoming.new[columns],
                incoming.replaced[columns],
            ]
        )
        # The earliest as datetime64: taking the min of date objects took seconds per county.
        baselines = (
            everything[everything["occasion"] == "baseline"]
            .assign(assessed_on=lambda frame: pd.to_datetime(frame["assessed_on"]))
            .groupby(key)["assessed_on"]
            .min()
            .dt.date.rename("baseline_on")
            .reset_index()
        )
        candidates = pd.concat([incoming.new, incoming.replaced]).merge(baselines, on=key)
        early = candidates[
            (candidates["occasion"] != "baseline")
            & (candidates["assessed_on"] < candidates["baseline_on"])
        ]
        early = early.assign(line=parsed.line_of("assessed_on", early["line"]))
        self.report.problems.each(
            early.itertuples(),
            len(early),
            lambda row: Problem(
                parsed.file,
                int(row.line),
                "assessed_on",
                f"this {row.occasion} on {row.assessed_on} is before the family's "
                f"baseline on {row.baseline_on} for {row.instrument}",
            ),
            "error",
        )

    def _write_scores(self, assessments: Reconciled, scores: Reconciled) -> None:
        new_assessments = assessments.new.assign(
            family_id=assessments.new["family_ref"].map(self.family_ids()),
            instrument_version=assessments.new["instrument"].map(
                {key: spec.version for key, spec in load_instruments().items()}
            ),
        )
        insert(
            self.connection,
            Assessment,
            new_assessments,
            ["family_id", "instrument", "instrument_version", "occasion", "assessed_on", "rater"],
        )
        update(self.connection, Assessment, assessments.replaced, list(ASSESSMENT_VALUES))

        key = list(ASSESSMENT_IDENTITY)
        ids = stored_assessments(
            self.connection,
            set(scores.new["instrument"].unique()) | set(scores.replaced["instrument"].unique()),
        ).rename(columns={"id": "assessment_id"})[[*key, "assessment_id"]]
        new_scores = scores.new.merge(ids, on=key)
        insert_rows(self.connection, SCORES, new_scores, ["assessment_id"])
        update_rows(self.connection, SCORES, scores.replaced)

        # Anyone editing an assessment this import changed must reload before saving.
        created = set(new_assessments.merge(ids, on=key)["assessment_id"])
        touched = (
            set(assessments.replaced["id"])
            | set(new_scores["assessment_id"])
            | set(scores.replaced.merge(ids, on=key)["assessment_id"])
        ) - created
        if touched:
            self.connection.execute(
                sa.update(Assessment)
                .where(Assessment.id.in_(sorted(int(i) for i in touched)))
                .values(version=Assessment.version + 1)
            )

    # -- per-family records

    def _children(self, kind: FileKind) -> None:
        files = self.rows(kind.name)
        if not files:
            return
        stored = stored_rows(self.connection, kind)
        for parsed in files:
            result = self._reconcile(parsed, stored, kind)
            self._count(kind.name, result)
            self.plan.append(lambda result=result, kind=kind: self._write_children(kind, result))

    def _write_children(self, kind: FileKind, result: Reconciled) -> None:
        new = result.new.assign(family_id=result.new["family_ref"].map(self.family_ids()))
        insert_rows(self.connection, kind, new, ["family_id"])
        update_rows(self.connection, kind, result.replaced)

    # -- records about the whole service

    def _service_records(self, kind: FileKind) -> None:
        """Rows named by all they say (questionnaires): new ones are added, entered by the
        importer; a row already stored is left as it is."""
        files = self.rows(kind.name)
        if not files:
            return
        stored = stored_rows(self.connection, kind)
        for parsed in files:
            result = self._reconcile(parsed, stored, kind)
            self._count(kind.name, result)
            new = result.new.assign(entered_by=self.actor)
            self.plan.append(
                lambda new=new, kind=kind: insert_rows(self.connection, kind, new, ["entered_by"])
            )


def import_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    replace: bool = False,
    dry_run: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
    actor: str = "tracker import",
) -> ImportReport:
    """Validate every file, then write them all in one transaction, or nothing.

    ``progress(share, stage)`` is called as the work goes on, for a progress bar.
    """
    read = read_files(paths, today=today, progress=progress)
    return import_read(
        engine, read, replace=replace, dry_run=dry_run, progress=progress, actor=actor
    )


def import_read(
    engine: Engine,
    read: ReadFiles,
    *,
    replace: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor: str = "tracker import",
    viewer: Viewer | None = None,
) -> ImportReport:
    """Compare files already read with the store, then write them all, or nothing.

    ``read`` is left as it was, so a page can check it again and then import it. A
    ``viewer`` who may not import data (a practitioner) imports only their own families'
    scores (``scope``); the command line, with none, may touch everything.
    """
    progress = progress or (lambda share, stage: None)
    report = ImportReport(read.report.problems.copy(), dry_run=dry_run)
    scoped = is_scoped(viewer)
    if not report.ok and not scoped:
        return report
    progress(0.4, "Comparing with what is stored")
    try:
        with begin_write(engine) as connection:
            files = read.files
            # Inside the transaction, so the caseload is the one the writes see.
            if scope := import_scope(connection, viewer):
                files = within(files, scope, report.problems)
            if not report.ok:
                raise ImportFailed
            importer = _Importer(connection, files, report, replace=replace, actor=actor)
            importer.run(dry_run=dry_run, progress=progress)
            if report.ok and not dry_run and report.changed_anything:
                if connection.dialect.name == "postgresql":
                    # Fresh statistics: after a bulk load the planner otherwise still sees
                    # the tables as nearly empty and picks plans that take minutes.
                    connection.exec_driver_sql("ANALYZE")
                # Last, so the audit trail's lock is held only until the commit.
                entries = import_entries(
                    importer.compared,
                    importer.family_ids(),
                    actor=actor,
                    source=", ".join(read.names),
                    summary={
                        "replace": replace,
                        "counts": report.counts,
                        **({"only": "own caseload"} if scoped else {}),
                    },
                )
                record_many(connection, [*entries, *importer.opened_audits])
            if not report.ok:
                raise ImportFailed
    except ImportFailed:
        report.counts.clear()
    progress(1.0, "Done")
    return report
