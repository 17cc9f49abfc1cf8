"""One import run: read every file, compare it with the store, and write it all or nothing.

Every file is read and checked first; then, inside one write transaction, the rows are
compared with what is stored and the writes are planned. They run only if nothing at all
is wrong, so a refused import writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from itertools import chain, islice
from pathlib import Path

import numpy as np
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
from tracker.files.importing.auditing import AuditTally, Compared, import_entries
from tracker.files.importing.closing import arriving_closures, open_closure_audits
from tracker.files.importing.comparing import Reconciled, reconcile
from tracker.files.importing.history import FAMILY_DATES, Incoming, check_histories
from tracker.files.importing.reading import ParsedFile, ReadFiles, read_files
from tracker.files.importing.report import ImportReport
from tracker.files.importing.scope import import_scope, is_scoped, within
from tracker.files.importing.stored import stored_assessments, stored_rows
from tracker.files.importing.streamed import StreamedScores
from tracker.files.importing.streaming import StreamedFile
from tracker.files.importing.writing import (
    insert,
    insert_assessments,
    insert_rows,
    update,
    update_rows,
)
from tracker.files.problems import Problem
from tracker.people.access import Viewer
from tracker.people.audit import record_many
from tracker.store.db import begin_write, read_frame
from tracker.store.journeys import refresh_journeys
from tracker.store.models import Assessment, Family, KeyWorker

Progress = Callable[[float, str], None]
KEY_WORKERS, FAMILIES = CANONICAL["key_workers"], CANONICAL["families"]
AUDIT_BATCH = 20_000


class ImportFailed(Exception):
    """Raised inside the write transaction to roll it back."""


class _Importer:
    """One import run: compares every parsed file with the store and writes the result."""

    def __init__(
        self,
        connection: Connection,
        files: list[ParsedFile | StreamedFile],
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
        self.read_problems = report.problems.copy()  # what reading the files found
        self.replace = replace
        self.actor = actor  # who entered what the files add, for records that say so
        self.opened_audits: list[dict] = []  # audit rows of the closure audits it opened
        self.plan: list = []  # callables that write, run only when nothing is wrong
        self.audit = AuditTally()  # what the audit trail records of the writes
        self.writing = False  # whether a streamed file writes as it goes (nothing wrong yet)
        self.streaming = False  # whether a streamed file was begun (and may have written)
        self.known_families: set[str] = set()
        self.touched_families: set[int] = set()  # ids: their assessments were added or changed
        # What a family's history is judged on: the stored rows and what the files bring.
        self.stored_families = pd.DataFrame()
        self.stored_assessments: pd.DataFrame | None = None
        self.incoming: dict[str, list[Incoming]] = {"families": [], "assessments": []}
        self.replaced_assessments: set[int] = set()

    def rows(self, kind: str) -> list[ParsedFile]:
        return [item for item in self.files.get(kind, []) if isinstance(item, ParsedFile)]

    def run(self, *, dry_run: bool, progress: Progress) -> None:
        self.known_families = self._key_workers_and_families()
        self._check_family_refs()
        self._scores()
        if not self._streamed_scores(dry_run=dry_run, progress=progress):
            return
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
        self.take(kind.name, kind.noun, kind.identity, kind.values, result, stored)
        return result

    def take(self, name, noun, identity, values, result: Reconciled, stored) -> None:
        """Note what a comparison found, for the audit trail."""
        self.audit.take(Compared(name, noun, tuple(identity), tuple(values), result, stored))

    def count_kind(self, kind: str, result: Reconciled) -> None:
        self.report.count(kind, "new", len(result.new))
        self.report.count(kind, "unchanged", result.unchanged)
        self.report.count(kind, "replaced", len(result.replaced))

    def _arriving(self, kind: str, parsed: ParsedFile, result: Reconciled) -> None:
        """Keep the rows a file adds or changes, to judge the histories they make."""
        rows = pd.concat([result.new, result.replaced.drop(columns="id")], ignore_index=True)
        self.incoming[kind].append(Incoming(parsed.file, rows, parsed.field_lines))

    def _all_stored_assessments(self) -> pd.DataFrame:
        """Those read for the scores files, unless a family row changed: its closing date
        bears on its assessments of every instrument. Once a streamed file has written,
        every instrument's were read before it did."""
        changed = any(not item.rows.empty for item in self.incoming["families"])
        if self.stored_assessments is None or (changed and not self.streaming):
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

        if self.rows("families"):
            stored_families = stored_rows(self.connection, FAMILIES)
        else:  # what the history checks need; a national register whole is half a gigabyte
            dates = sa.select(Family.family_ref, Family.closed_on, Family.re_referred_on)
            stored_families = read_frame(self.connection, dates, list(FAMILY_DATES))
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
            self.count_kind("families", result)
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
        self.opened_audits += open_closure_audits(
            self.connection,
            arriving_closures(result, self.stored_families),
            self.family_ids(),
            self.actor,
        )

    def _plan_key_workers(self, result: Reconciled) -> None:
        self.count_kind("key_workers", result)
        self.plan.append(lambda: insert_rows(self.connection, KEY_WORKERS, result.new))
        self.plan.append(lambda: update_rows(self.connection, KEY_WORKERS, result.replaced))

    def _check_family_refs(self) -> None:
        for kind in ("scores", *CHILD_KINDS):
            for parsed in self.rows(kind):
                self.check_family_refs(parsed)

    def check_family_refs(self, parsed: ParsedFile) -> None:
        """Every row naming a family that is neither stored nor in the families file."""
        rows = parsed.rows.assign(line=parsed.line_of("family_ref", parsed.rows["line"]))
        # Each reference looked up once: a national file names each family dozens of times.
        refs, distinct = pd.factorize(rows["family_ref"])
        known = np.array([ref in self.known_families for ref in distinct] + [True])
        unknown = rows[~known[refs]].drop_duplicates(["family_ref", "line"])
        self.report.problems.each(
            unknown.itertuples(),
            len(unknown),
            lambda row: Problem(
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
            self.take(
                "assessments",
                "assessment",
                ASSESSMENT_IDENTITY,
                ASSESSMENT_VALUES,
                assessments,
                assessments_stored,
            )
            scores = self._reconcile(parsed, scores_stored, SCORES)
            self.arriving_assessments(parsed, assessments)
            self.check_baseline_order(
                parsed,
                assessments_stored,
                self.incoming["assessments"][-1].rows,
                set(assessments.replaced["id"]),
            )
            self.count_kind("assessments", assessments)
            self.count_kind("scores", scores)
            self.plan.append(
                lambda assessments=assessments, scores=scores: self._write_scores(
                    assessments, scores
                )
            )

    def arriving_assessments(self, parsed: ParsedFile, assessments: Reconciled) -> None:
        self._arriving("assessments", parsed, assessments)
        self.replaced_assessments |= set(assessments.replaced["id"])

    def _streamed_scores(self, *, dry_run: bool, progress: Progress) -> bool:
        """Streamed scores files, compared and (while nothing is wrong) written a chunk at a
        time, after what was planned before them is written. False when reading one found
        a problem: then, as when files are read whole, nothing else is compared."""
        streamed = [f for f in self.files.get("scores", []) if isinstance(f, StreamedFile)]
        if not streamed:
            return True
        # Before anything is written: the history checks judge the store as it was.
        self.stored_assessments = stored_assessments(self.connection)
        self.streaming = True
        self.writing = self.report.ok and not dry_run
        if self.writing:
            for step in self.plan:
                step()
            self.plan = []
        self.family_id_map = self.family_ids()
        return all(
            [StreamedScores(self, item, self.stored_assessments).run(progress) for item in streamed]
        )

    @property
    def writing(self) -> bool:
        return self._writing and self.report.ok

    @writing.setter
    def writing(self, value: bool) -> None:
        self._writing = value

    def check_baseline_order(
        self, parsed: ParsedFile, stored: pd.DataFrame, arriving: pd.DataFrame, replaced: set
    ) -> None:
        """A review cannot predate the family's first baseline for that instrument.

        ``arriving`` are a file's new and replacing assessments; ``replaced`` the ids of the
        stored ones they replace.
        """
        key = ["family_ref", "instrument"]
        columns = [*key, "assessed_on", "rater", "occasion"]
        everything = pd.concat([stored[~stored["id"].isin(replaced)][columns], arriving[columns]])
        # The earliest as datetime64: taking the min of date objects took seconds per county.
        baselines = (
            everything[everything["occasion"] == "baseline"]
            .assign(assessed_on=lambda frame: pd.to_datetime(frame["assessed_on"]))
            .groupby(key)["assessed_on"]
            .min()
            .dt.date.rename("baseline_on")
            .reset_index()
        )
        candidates = arriving.merge(baselines, on=key)
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
        insert_assessments(self.connection, assessments.new, self.family_ids())
        update(self.connection, Assessment, assessments.replaced, list(ASSESSMENT_VALUES))
        changed = pd.concat([assessments.new["family_ref"], assessments.replaced["family_ref"]])
        self.touched_families |= set(changed.map(self.family_ids()).dropna().astype(int))

        key = list(ASSESSMENT_IDENTITY)
        ids = stored_assessments(
            self.connection,
            set(scores.new["instrument"].unique()) | set(scores.replaced["instrument"].unique()),
        ).rename(columns={"id": "assessment_id"})[[*key, "assessment_id"]]
        new_scores = scores.new.merge(ids, on=key)
        insert_rows(self.connection, SCORES, new_scores, ["assessment_id"])
        update_rows(self.connection, SCORES, scores.replaced)

        # Anyone editing an assessment this import changed must reload before saving.
        created = set(assessments.new.merge(ids, on=key)["assessment_id"])
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

    def refresh_journeys(self) -> None:
        """Recompute the stored journeys of the families whose assessments changed, once,
        in the import's transaction."""
        if self.touched_families:
            refresh_journeys(self.connection, sorted(self.touched_families))

    # -- per-family records

    def _children(self, kind: FileKind) -> None:
        files = self.rows(kind.name)
        if not files:
            return
        stored = stored_rows(self.connection, kind)
        for parsed in files:
            result = self._reconcile(parsed, stored, kind)
            self.count_kind(kind.name, result)
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
            self.count_kind(kind.name, result)
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
                importer.refresh_journeys()
                entries = import_entries(
                    importer.audit,
                    importer.family_ids(),
                    actor=actor,
                    source=", ".join(read.names),
                    summary={
                        "replace": replace,
                        "counts": report.counts,
                        **({"only": "own caseload"} if scoped else {}),
                    },
                )
                # In batches, each chained to the last: a national first load adds 400,000.
                rows = chain(entries, importer.opened_audits)
                while batch := list(islice(rows, AUDIT_BATCH)):
                    record_many(connection, batch)
            if not report.ok:
                raise ImportFailed
    except ImportFailed:
        report.counts.clear()
    progress(1.0, "Done")
    return report
