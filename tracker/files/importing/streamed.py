"""A streamed scores file compared and written a chunk at a time, in the import's one
transaction: nothing is committed until every chunk is in and nothing is wrong.

Each chunk is checked and compared exactly as a whole file is (``parse_sheet``,
``reconcile``); what it needs of the chunks before it is given to ``reconcile`` as the
rows it met first (``seen``), so a duplicate two chunks apart gets the same message as
one two lines apart. Across chunks only integer keys are kept: each assessment's key with
its occasion, first line and stored id, and each score's key with its first line and value.
Chunks are written as they pass while the import is still clean; once anything is wrong
writing stops, checking goes on, and the transaction is rolled back at the end.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tracker.files.canonical import ASSESSMENT_IDENTITY, ASSESSMENT_VALUES, SCORES
from tracker.files.importing.comparing import Reconciled, reconcile
from tracker.files.importing.reading import ParsedFile, parse_sheet
from tracker.files.importing.report import ImportReport
from tracker.files.importing.stored import stored_rows
from tracker.files.importing.streaming import SeenKeys, StreamedFile
from tracker.files.importing.writing import insert_assessments, insert_rows, update, update_rows
from tracker.files.problems import FileRejected, Problems
from tracker.instruments.loader import load_instruments
from tracker.store.db import read_frame
from tracker.store.models import Assessment, Score
from tracker.store.settings import get_settings
from tracker.store.vocabulary import OCCASIONS, RATERS

if TYPE_CHECKING:
    from tracker.files.importing.run import _Importer

IDENTITY = list(ASSESSMENT_IDENTITY)
# Stored scores are read for this many stored assessments at a time (bound parameters).
ID_BATCH = 10_000
DAYS = 1 << 20  # day numbers (proleptic ordinals) fit below this


def _codes(values: pd.Series, known: dict) -> np.ndarray:
    """Each value's code in ``known`` (0 when missing or unknown), looked up once per
    distinct value."""
    local, uniques = pd.factorize(values)
    lookup = np.array([*(known.get(value, 0) for value in uniques), 0], dtype=np.int64)
    return lookup[local]


class StreamedScores:
    """One streamed scores file, through the importer that runs it."""

    def __init__(self, importer: _Importer, streamed: StreamedFile, stored: pd.DataFrame):
        self.importer = importer
        self.streamed = streamed
        self.instruments = load_instruments()
        self.instrument_codes = {key: n for n, key in enumerate(sorted(self.instruments), 1)}
        self.rater_codes = {key: n for n, key in enumerate(RATERS, 1)}
        self.occasions = [None, *OCCASIONS]
        self.occasion_codes = {key: n for n, key in enumerate(OCCASIONS, 1)}
        domains = sorted({d for spec in self.instruments.values() for d in spec.domain_keys})
        self.domain_codes = {key: n for n, key in enumerate(domains, 1)}
        # A family's code is its id once stored; a family not (yet) stored gets one above.
        self.family_codes = importer.family_id_map
        self.unstored_families: dict[str, int] = {}  # new in this import, or unknown
        self.next_family = max(self.family_codes.values(), default=0) + 1
        self.stored = stored
        self.stored_keys = pd.Index(self._assessment_keys(stored))
        self.stored_ids = stored["id"].to_numpy(dtype=np.int64)
        self.assessments = SeenKeys("code", "occasion", "line", "id")
        self.scores = SeenKeys("line", "value")
        self.values: list[tuple] = []  # (score, note) by value code
        self.value_codes: dict[tuple, int] = {}
        # Where this file's arriving assessments begin among the importer's, and the stored
        # ones they replace: the baseline order is checked on them once the file is read.
        self.first_incoming = len(importer.incoming["assessments"])
        self.replaced: set[int] = set()
        self.touched: set[int] = set()  # stored assessments whose scores or occasion changed
        self.families: set[int] = set()  # whose assessments were added or changed
        self.last: ParsedFile | None = None

    # -- keys

    def _family_codes(self, refs: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(refs)
        lookup = np.zeros(len(uniques) + 1, dtype=np.int64)
        for n, ref in enumerate(uniques):
            code = self.family_codes.get(ref) or self.unstored_families.get(ref)
            if code is None:
                code = self.unstored_families[ref] = self.next_family
                self.next_family += 1
            lookup[n] = code
        return lookup[local]

    def _days(self, days: pd.Series) -> np.ndarray:
        local, uniques = pd.factorize(days)
        lookup = np.array([*(pd.Timestamp(d).toordinal() for d in uniques), 0], dtype=np.int64)
        return lookup[local]

    def _assessment_keys(self, rows: pd.DataFrame) -> np.ndarray:
        """One integer per assessment identity (family, instrument, day, rater)."""
        key = self._family_codes(rows["family_ref"]) * (len(self.instrument_codes) + 1)
        key += _codes(rows["instrument"], self.instrument_codes)
        key = key * DAYS + self._days(rows["assessed_on"])
        return key * (len(RATERS) + 1) + _codes(rows["rater"], self.rater_codes)

    def _value_codes(self, rows: pd.DataFrame) -> np.ndarray:
        """One integer per (score, note), the same across chunks."""
        scores, score_values = pd.factorize(rows["score"])
        notes, note_values = pd.factorize(rows["note"])
        local, pairs = pd.factorize((scores + 1) * (len(note_values) + 1) + notes + 1)
        _, first = np.unique(local, return_index=True)
        codes = np.empty(len(pairs), dtype=np.int64)
        for n, at in enumerate(first):
            score = None if scores[at] < 0 else float(score_values[scores[at]])
            note = None if notes[at] < 0 else note_values[notes[at]]
            code = self.value_codes.get((score, note))
            if code is None:
                code = self.value_codes[(score, note)] = len(self.values)
                self.values.append((float("nan") if score is None else score, note))
            codes[n] = code
        return codes[local]

    # -- the run

    def run(self, progress) -> bool:
        """Check, compare and (while nothing is wrong) write every chunk; False when a row
        of the file itself is wrong, which ends the import as it does for a file read whole:
        the problems are then those reading found and no more."""
        importer = self.importer
        reading = ImportReport()  # what reading the file finds, said before any comparison
        whole = True
        try:
            for sheet, done in self.streamed.sheets(get_settings().import_max_columns):
                parsed = parse_sheet(
                    sheet, self.instruments, self.streamed.today, reading, whole=whole
                )
                whole = False
                if parsed is not None and reading.ok:
                    self._chunk(parsed)
                progress(0.4 + 0.5 * done / self.streamed.size, f"Importing {sheet.name}")
        except FileRejected as rejected:
            reading = ImportReport()
            reading.problems.append(rejected.problem)
        if not reading.ok:
            importer.report.problems = _joined_problems(importer.read_problems, reading.problems)
            return False
        compared = importer.report.problems
        importer.report.problems = _joined_problems(
            importer.read_problems, reading.problems, _after(compared, importer.read_problems)
        )
        if self.last is not None:
            arriving = importer.incoming["assessments"][self.first_incoming :]
            arriving = pd.concat([item.rows for item in arriving], ignore_index=True)
            importer.check_baseline_order(self.last, self.stored, arriving, self.replaced)
        if importer.writing and self.touched:
            ids = sorted(self.touched)
            for start in range(0, len(ids), ID_BATCH):
                importer.connection.execute(
                    sa.update(Assessment)
                    .where(Assessment.id.in_(ids[start : start + ID_BATCH]))
                    .values(version=Assessment.version + 1)
                )
        importer.touched_families |= self.families
        return True

    def _chunk(self, parsed: ParsedFile) -> None:
        importer = self.importer
        self.last = parsed
        rows = parsed.rows
        importer.check_family_refs(parsed)
        akeys = self._assessment_keys(rows)

        # Assessments: the chunks before's first rows of these, then the store.
        unique, first = np.unique(akeys, return_index=True)
        met, before = self.assessments.find(unique)
        seen = rows.iloc[first[met]][IDENTITY].assign(
            occasion=[self.occasions[code] for code in before["occasion"][met]],
            line=before["line"][met],
            _key=unique[met],
        )
        in_store = self.stored_keys.get_indexer(unique)
        stored = self.stored.iloc[in_store[in_store >= 0]]
        assessments = reconcile(
            replace(parsed, rows=rows.assign(_key=akeys)),
            stored,
            IDENTITY,
            list(ASSESSMENT_VALUES),
            replace=importer.replace,
            problems=importer.report.problems,
            what="assessment",
            seen=seen,
            key="_key",
        )
        importer.take(
            "assessments", "assessment", ASSESSMENT_IDENTITY, ASSESSMENT_VALUES, assessments, stored
        )
        importer.arriving_assessments(parsed, assessments)
        importer.count_kind("assessments", assessments)
        self.replaced |= set(assessments.replaced["id"].tolist())

        # Write the new assessments now, so their ids are known for their scores.
        fresh = ~met
        ids = np.full(len(unique), -1, dtype=np.int64)
        ids[in_store >= 0] = self.stored_ids[in_store[in_store >= 0]]
        if importer.writing:
            created = self._write_assessments(assessments)
            ids = np.where(ids < 0, created.reindex(unique).fillna(-1).to_numpy(np.int64), ids)
        self.assessments.add(
            unique[fresh],
            code=np.arange(len(self), len(self) + int(fresh.sum()), dtype=np.int64),
            occasion=_codes(rows["occasion"].iloc[first[fresh]], self.occasion_codes),
            line=rows["line"].to_numpy(np.int64)[first[fresh]],
            id=ids[fresh],
        )
        self.families |= set(self._family_codes(assessments.new["family_ref"]).tolist())
        self.families |= set(self._family_codes(assessments.replaced["family_ref"]).tolist())

        # Scores: keyed by the assessment's code and the domain.
        _, now = self.assessments.find(akeys)
        skeys = now["code"] * (len(self.domain_codes) + 1) + _codes(
            rows["domain"], self.domain_codes
        )
        unique_s, first_s = np.unique(skeys, return_index=True)
        met_s, before_s = self.scores.find(unique_s)
        earlier = [self.values[code] for code in before_s["value"][met_s]]
        seen_s = rows.iloc[first_s[met_s]][list(SCORES.identity)].assign(
            score=[score for score, _ in earlier],
            note=[note for _, note in earlier],
            line=before_s["line"][met_s],
            _key=unique_s[met_s],
        )
        stored_s = self._stored_scores(ids[(in_store >= 0)])
        scores = reconcile(
            replace(parsed, rows=rows.assign(_key=skeys)),
            stored_s,
            list(SCORES.identity),
            list(SCORES.values),
            replace=importer.replace,
            problems=importer.report.problems,
            what=SCORES.noun,
            seen=seen_s,
            key="_key",
        )
        importer.take(SCORES.name, SCORES.noun, SCORES.identity, SCORES.values, scores, stored_s)
        importer.count_kind(SCORES.name, scores)
        new_s = first_s[~met_s]
        self.scores.add(  # 16 bytes a score: the national file's 18.6 million take 300 MB
            unique_s[~met_s],
            line=rows["line"].to_numpy(np.int32)[new_s],
            value=self._value_codes(rows.iloc[new_s]).astype(np.int32),
        )
        if importer.writing:
            self._write_scores(assessments, scores)

    def __len__(self) -> int:
        return len(self.assessments)

    def _stored_scores(self, ids: np.ndarray) -> pd.DataFrame:
        connection = self.importer.connection
        ids = sorted(int(i) for i in ids)
        frames = [
            stored_rows(
                connection, SCORES, where=Score.assessment_id.in_(ids[start : start + ID_BATCH])
            )
            for start in range(0, len(ids), ID_BATCH)
        ]
        if not frames:
            return stored_rows(connection, SCORES, where=sa.false())
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def _write_assessments(self, assessments: Reconciled) -> pd.Series:
        """Insert the chunk's new assessments; their ids, by assessment key."""
        connection = self.importer.connection
        watermark = connection.execute(sa.select(sa.func.max(Assessment.id))).scalar() or 0
        insert_assessments(connection, assessments.new, self.importer.family_id_map)
        update(connection, Assessment, assessments.replaced, list(ASSESSMENT_VALUES))
        self.touched |= set(assessments.replaced["id"].tolist())
        statement = sa.select(
            Assessment.id, Assessment.family_id, *(SCORES.fields[c] for c in IDENTITY[1:])
        ).where(Assessment.id > watermark)
        created = read_frame(connection, statement, ["id", "family_ref", *IDENTITY[1:]])
        if created.empty:
            return pd.Series(dtype=np.int64)
        # Stored families' codes are their ids, so the family id stands in for its reference.
        key = created["family_ref"].to_numpy(np.int64) * (len(self.instrument_codes) + 1)
        key += _codes(created["instrument"], self.instrument_codes)
        key = key * DAYS + self._days(created["assessed_on"])
        key = key * (len(RATERS) + 1) + _codes(created["rater"], self.rater_codes)
        return pd.Series(created["id"].to_numpy(np.int64), index=key)

    def _write_scores(self, assessments: Reconciled, scores: Reconciled) -> None:
        _, found = self.assessments.find(self._assessment_keys(scores.new))
        new = scores.new.assign(assessment_id=found["id"])
        new = new.sort_values(["assessment_id", "domain"], kind="stable")
        insert_rows(self.importer.connection, SCORES, new, ["assessment_id"])
        update_rows(self.importer.connection, SCORES, scores.replaced)
        if not len(self.stored_ids):
            return
        in_store = self.stored_keys.get_indexer(self._assessment_keys(scores.new))
        self.touched |= set(self.stored_ids[in_store[in_store >= 0]].tolist())
        if not scores.replaced.empty:
            replaced = self.stored_keys.get_indexer(self._assessment_keys(scores.replaced))
            self.touched |= set(self.stored_ids[replaced[replaced >= 0]].tolist())


def _after(problems: Problems, prefix: Problems) -> Problems:
    """The problems found after ``prefix``, which ``problems`` began as a copy of."""
    rest = Problems(problems.limit)
    rest.kept = problems.kept[len(prefix.kept) :]
    rest.counts = problems.counts - prefix.counts
    return rest


def _joined_problems(*parts: Problems) -> Problems:
    """Problems found in turn, as one list (the first ``limit`` kept, every one counted)."""
    joined = Problems(parts[0].limit)
    for part in parts:
        joined.kept += part.kept[: joined.limit - len(joined.kept)]
        joined.counts += part.counts
    return joined
