"""Importing the canonical CSV files, all or nothing.

Every file is read and checked first; then, inside one write transaction,
the rows are compared with what is stored. Identical rows are left alone,
new rows are added, and a row that would change a stored value is an error
unless the caller asked to replace. If anything at all is wrong, nothing is
written and every problem is reported as ``file:line: column: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tracker.files.canonical import CANONICAL, CHILD_KINDS, FILE_KINDS, FileKind
from tracker.files.tabular import FileRejected, Problem, Sheet, normalise_header, read_tables
from tracker.files.validation import EMPTY_MARKERS, FrameChecker, as_choices, on_step
from tracker.instruments.loader import Instrument, load_instruments
from tracker.people.audit import record
from tracker.store.db import begin_write, read_frame
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
from tracker.store.vocabulary import (
    ACTIVITY_KINDS,
    AGE_GROUPS,
    CLOSURE_REASONS,
    GOAL_STATUSES,
    KEY_WORKER_BACKGROUNDS,
    OCCASION_ALIASES,
    RATERS,
    TIERS_OF_NEED,
)

Progress = Callable[[float, str], None]


class ImportFailed(Exception):
    """Raised inside the write transaction to roll it back."""


@dataclass
class ImportReport:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, kind: str, outcome: str, number: int) -> None:
        self.counts.setdefault(kind, {"new": 0, "unchanged": 0, "replaced": 0})
        self.counts[kind][outcome] = self.counts[kind].get(outcome, 0) + int(number)

    @property
    def changed_anything(self) -> bool:
        return any(c.get("new", 0) or c.get("replaced", 0) for c in self.counts.values())


@dataclass
class ParsedFile:
    kind: FileKind
    file: str
    rows: pd.DataFrame  # typed values, plus ``line``


# --------------------------------------------------------------------------- reading


def recognise(columns: Sequence[str], file: str) -> FileKind:
    """Which canonical file this is, from its header alone."""
    present = set(columns)
    candidates = [kind for kind in FILE_KINDS if kind.signature in present]
    if len(candidates) > 1:
        complete = [kind for kind in candidates if set(kind.required) <= present]
        candidates = complete or candidates
    if not candidates:
        expected = "; ".join(f"{kind.name}: {', '.join(kind.required)}" for kind in FILE_KINDS)
        raise FileRejected(
            Problem(file, 1, "-", f"the header matches no known file. Expected one of {expected}")
        )
    if len(candidates) > 1:
        names = " or ".join(kind.name for kind in candidates)
        raise FileRejected(Problem(file, 1, "-", f"the header could be {names}; split the file"))
    kind = candidates[0]
    missing = [column for column in kind.required if column not in present]
    if missing:
        raise FileRejected(
            Problem(
                file,
                1,
                missing[0],
                f"missing required column for {kind.name} (missing: {', '.join(missing)})",
            )
        )
    return kind


def _dates(series: pd.Series) -> pd.Series:
    """Timestamps to plain dates (None where missing), as the database wants them."""
    days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return pd.Series(days.astype(object), index=series.index, dtype=object)


def _parse_key_workers(check: FrameChecker) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": check.text("name", required=True, max_length=120),
            "background": check.choice(
                "background", KEY_WORKER_BACKGROUNDS, required=True, what="background"
            ),
            "dedicated": check.boolean("dedicated").fillna(True),
        }
    )


def _parse_families(check: FrameChecker) -> pd.DataFrame:
    # Spreadsheets often write just "2" or "2-3" for the tier.
    short_tiers = {tier.removeprefix("tier "): tier for tier in TIERS_OF_NEED}
    rows = pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "area": check.text("area", required=True, max_length=120),
            "tier_of_need": check.choice(
                "tier_of_need",
                as_choices(TIERS_OF_NEED),
                required=True,
                what="tier of need",
                aliases=short_tiers,
            ),
            "key_worker": check.text("key_worker", required=False, max_length=120),
            "referral_source": check.text("referral_source", required=True, max_length=120),
            "referral_date": check.date("referral_date", required=True),
            "closed_on": check.date("closed_on", required=False),
            "closure_reason": check.choice(
                "closure_reason", CLOSURE_REASONS, required=False, what="closure reason"
            ),
            "closure_note": check.text("closure_note", required=False, max_length=1000),
            "age_group": check.choice(
                "age_group", as_choices(AGE_GROUPS), required=False, what="age group"
            ),
            "child_disability": check.boolean("child_disability"),
            "presenting_issues": check.text("presenting_issues", required=False, max_length=500),
            "re_referred_on": check.date("re_referred_on", required=False),
            "consent_to_share": check.boolean("consent_to_share"),
            "consent_on": check.date("consent_on", required=False),
        }
    )
    check.flag(
        rows["consent_on"].notna() & (rows["consent_to_share"].isna()),
        "consent_to_share",
        "a consent date is given but not whether consent was given (yes or no)",
    )
    check.flag(
        rows["re_referred_on"].notna()
        & (rows["closed_on"].isna() | (rows["re_referred_on"] < rows["closed_on"])),
        "re_referred_on",
        "a family can only be re-referred after its case closed",
    )
    check.flag(
        rows["closed_on"].notna() & rows["closure_reason"].isna(),
        "closure_reason",
        "a closed family needs a closure reason",
    )
    check.flag(
        rows["closed_on"].isna() & rows["closure_reason"].notna(),
        "closed_on",
        "a closure reason is given but no closing date",
    )
    check.flag(
        rows["closed_on"] < rows["referral_date"],
        "closed_on",
        lambda value: f"{value} is before the referral date",
    )
    for column in ("referral_date", "closed_on", "re_referred_on", "consent_on"):
        rows[column] = _dates(rows[column])
    return rows


def _parse_scores(check: FrameChecker, instruments: dict[str, Instrument]) -> pd.DataFrame:
    instrument = check.choice(
        "instrument", as_choices(instruments), required=True, what="instrument"
    )
    occasion_raw = check.raw("occasion").str.lower()
    occasion = occasion_raw.map(OCCASION_ALIASES)
    numbered_review = occasion_raw.str.fullmatch(r"r\d+")
    occasion = occasion.where(~numbered_review, "review")
    check.flag(occasion_raw.eq(""), "occasion", "is required but empty")
    check.flag(
        ~occasion_raw.eq("") & occasion.isna(),
        "occasion",
        lambda value: (
            f"{value!r} is not an occasion; use baseline, review, closure, "
            "follow-up, or B, R1, R2 ..."
        ),
    )
    rows = pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "instrument": instrument,
            "occasion": occasion,
            "assessed_on": check.date("assessed_on", required=True),
            "rater": check.choice("rater", as_choices(RATERS), required=True, what="rater"),
            "domain": check.text("domain", required=True, max_length=64),
            "note": check.text("note", required=False, max_length=2000),
        }
    )
    raw_score = check.raw("score")
    not_scored = raw_score.str.lower().isin(EMPTY_MARKERS)
    value = pd.to_numeric(raw_score.where(~not_scored), errors="coerce")
    check.flag(
        ~not_scored & value.isna(),
        "score",
        lambda text: f"{text!r} is not a number (leave it blank or write NA if not scored)",
    )
    for key in rows["instrument"].dropna().unique():
        spec = instruments[key]
        in_group = rows["instrument"] == key
        check.flag(
            in_group & ~rows["domain"].isin(spec.domain_keys) & rows["domain"].notna(),
            "domain",
            lambda text, spec=spec: f"{text!r} is not a domain of {spec.key}",
        )
        scored = in_group & value.notna()
        check.flag(
            scored & ((value < spec.scale_min) | (value > spec.scale_max)),
            "score",
            lambda text, spec=spec: (
                f"{text} is outside the {spec.key} scale ({spec.scale_min:g} to {spec.scale_max:g})"
            ),
        )
        check.flag(
            scored & ~on_step(value.fillna(spec.scale_min), spec.scale_min, spec.step),
            "score",
            lambda text, spec=spec: f"{text} is not a whole step of {spec.step:g} on {spec.key}",
        )
    rows["value"] = value.astype("float64")
    rows["assessed_on"] = _dates(rows["assessed_on"])
    return rows


def _parse_goals(check: FrameChecker, domain_keys: set[str]) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "text": check.text("goal", required=True, max_length=500),
            "domain": check.text("domain", required=False, max_length=64),
            "status": check.choice("status", GOAL_STATUSES, required=True, what="goal status"),
            "set_on": check.date("set_on", required=True),
            "status_on": check.date("status_on", required=False),
        }
    )
    check.flag(
        rows["domain"].notna() & ~rows["domain"].isin(domain_keys),
        "domain",
        lambda text: f"{text!r} is not a domain of any instrument",
    )
    check.flag(
        rows["status_on"] < rows["set_on"],
        "status_on",
        lambda value: f"{value} is before the goal was set",
    )
    for column in ("set_on", "status_on"):
        rows[column] = _dates(rows[column])
    return rows


def _parse_activities(check: FrameChecker) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "activity_on": _dates(check.date("activity_on", required=True)),
            "hours": check.number("hours", required=True, low=0, high=24),
            "kind": check.choice("kind", ACTIVITY_KINDS, required=True, what="activity kind"),
        }
    )


def _parse_referrals(check: FrameChecker) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "service": check.text("service", required=True, max_length=120),
            "referred_on": _dates(check.date("referred_on", required=True)),
        }
    )


def _parse_feedback(check: FrameChecker) -> pd.DataFrame:
    satisfaction = check.number("satisfaction", required=True, low=1, high=5)
    check.flag(
        satisfaction.notna() & (satisfaction % 1 != 0),
        "satisfaction",
        lambda text: f"{text} is not a whole number from 1 to 5",
    )
    return pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "given_on": _dates(check.date("given_on", required=True)),
            "satisfaction": satisfaction.astype("Int64"),
            "comment": check.text("comment", required=False, max_length=2000),
        }
    )


def _parse_notes(check: FrameChecker) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family_ref": check.text("family_ref", required=True, max_length=64),
            "written_on": _dates(check.date("written_on", required=True)),
            "text": check.text("note", required=True, max_length=4000),
            "author": check.text("author", required=False, max_length=120),
        }
    )


WIDE_ID_COLUMNS = ("family_ref", "instrument", "occasion", "assessed_on", "rater")


def is_wide(columns: Sequence[str]) -> bool:
    """One row per assessment with a column per domain, as local spreadsheets are laid out."""
    present = set(columns)
    return {"family_ref", "occasion", "assessed_on", "rater"} <= present and not (
        {"score", "domain"} & present
    )


def _domain_headers(instrument: Instrument) -> dict[str, str]:
    """Header spellings (key or label, normalised) that name each domain."""
    names = {key: key for key in instrument.domain_keys}
    names.update({normalise_header(d.label): d.key for d in instrument.domains})
    return names


def unpivot_wide(
    sheet: Sheet, instruments: dict[str, Instrument]
) -> tuple[Sheet, dict[str, pd.Series], list[Problem]]:
    """Turn a wide sheet into canonical score rows, keeping each score's line and header.

    The instrument is the one whose domains the headers name; a header that names no domain
    of it is reported with the closest domain names as suggestions.
    """
    frame = sheet.frame
    headers = [c for c in frame.columns if c not in WIDE_ID_COLUMNS and c != "note"]
    matches = {
        key: {h for h in headers if h in _domain_headers(spec)} for key, spec in instruments.items()
    }
    best = max(matches, key=lambda key: len(matches[key])) if matches else None
    if best is None or not matches[best]:
        raise FileRejected(
            Problem(
                sheet.name,
                1,
                "-",
                "the columns name no domain of any "
                "instrument; use domain keys or labels as headings",
            )
        )
    spec = instruments[best]
    names = _domain_headers(spec)
    problems = []
    for header in headers:
        if header not in names:
            close = difflib.get_close_matches(header, list(names), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(
                Problem(sheet.name, 1, header, f"this heading is not a domain of {best}{hint}")
            )
    known = [h for h in headers if h in names]
    id_columns = [c for c in (*WIDE_ID_COLUMNS, "note") if c in frame.columns]
    long = frame.melt(
        id_vars=id_columns,
        value_vars=known,
        var_name="header",
        value_name="score",
        ignore_index=False,
    )
    lines = sheet.lines.loc[long.index].to_numpy()
    long = long.reset_index(drop=True)
    long["domain"] = long["header"].map(names)
    if "instrument" not in long.columns:
        long["instrument"] = best
    long["instrument"] = long["instrument"].where(long["instrument"] != "", best)
    headers_by_row = {"score": long["header"], "domain": long["header"]}
    unpivoted = Sheet(
        sheet.name, long.drop(columns="header"), pd.Series(lines, index=long.index, dtype="int64")
    )
    return unpivoted, headers_by_row, problems


def parse_sheet(
    sheet: Sheet, instruments: dict[str, Instrument], today: date, report: ImportReport
) -> ParsedFile | None:
    """Recognise and check one table; problems go into the report."""
    headers: dict[str, pd.Series] = {}
    try:
        if is_wide(list(sheet.frame.columns)):
            sheet, headers, problems = unpivot_wide(sheet, instruments)
            report.problems.extend(problems)
        kind = recognise(list(sheet.frame.columns), sheet.name)
    except FileRejected as rejected:
        report.problems.append(rejected.problem)
        return None
    frame = sheet.frame
    for column in frame.columns:
        if column not in kind.columns:
            report.problems.append(
                Problem(sheet.name, 1, column, "this column is not used and was ignored", "warning")
            )
    if frame.empty:
        report.problems.append(Problem(sheet.name, 1, "-", "there are no data rows", "warning"))
    check = FrameChecker(sheet.name, frame, today, lines=sheet.lines, headers=headers)
    domain_keys = {key for spec in instruments.values() for key in spec.domain_keys}
    parsers = {
        "key_workers": lambda: _parse_key_workers(check),
        "families": lambda: _parse_families(check),
        "scores": lambda: _parse_scores(check, instruments),
        "goals": lambda: _parse_goals(check, domain_keys),
        "activities": lambda: _parse_activities(check),
        "referrals_on": lambda: _parse_referrals(check),
        "feedback": lambda: _parse_feedback(check),
        "notes": lambda: _parse_notes(check),
    }
    rows = parsers[kind.name]()
    rows["line"] = check.lines_of(rows.index)
    report.problems.extend(check.problems)
    return ParsedFile(kind, sheet.name, rows.reset_index(drop=True))


def parse_path(
    path: Path, instruments: dict[str, Instrument], today: date, report: ImportReport
) -> list[ParsedFile]:
    """Every table in a CSV or Excel file, checked."""
    try:
        sheets, warnings = read_tables(path, {kind.name for kind in FILE_KINDS})
    except FileRejected as rejected:
        report.problems.append(rejected.problem)
        return []
    report.problems.extend(warnings)
    parsed = [parse_sheet(sheet, instruments, today, report) for sheet in sheets]
    return [item for item in parsed if item is not None]


# --------------------------------------------------------------------------- comparing


def _same(left: pd.Series, right: pd.Series) -> pd.Series:
    """Element-wise equality that treats two missing values as equal."""
    left_missing = left.isna()
    right_missing = right.isna()
    equal = left.astype(object).where(~left_missing, None) == right.astype(object).where(
        ~right_missing, None
    )
    return (left_missing & right_missing) | (~left_missing & ~right_missing & equal)


def _show(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "blank"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Reconciled:
    new: pd.DataFrame
    replaced: pd.DataFrame  # incoming values plus the stored ``id``
    unchanged: int


def reconcile(
    parsed: ParsedFile,
    rows: pd.DataFrame,
    stored: pd.DataFrame,
    identity: list[str],
    values: list[str],
    *,
    replace: bool,
    problems: list[Problem],
    what: str,
) -> Reconciled:
    """Sort incoming rows into new, unchanged and changed against the store.

    Duplicates within the file must agree; a stored value may only change
    with ``replace``.
    """
    # By position, not line: one line of a wide sheet holds many rows.
    order = rows.groupby(identity, dropna=False, sort=False).cumcount()
    firsts = rows[order == 0]
    later = rows[order > 0].merge(
        firsts[[*identity, *values, "line"]], on=identity, suffixes=("", "_first")
    )
    for column in values:
        clash = later[~_same(later[column], later[f"{column}_first"])]
        for _, row in clash.iterrows():
            problems.append(
                Problem(
                    parsed.file,
                    int(row["line"]),
                    HEADER_FOR.get(column, column),
                    f"{_show(row[column])} conflicts with {_show(row[f'{column}_first'])} "
                    f"for the same {what} on line {int(row['line_first'])}",
                )
            )
    merged = firsts.merge(
        stored[[*identity, *values, "id"]], on=identity, how="left", suffixes=("", "_stored")
    )
    is_new = merged["id"].isna()
    differs = pd.Series(False, index=merged.index)
    for column in values:
        changed = ~is_new & ~_same(merged[column], merged[f"{column}_stored"])
        differs |= changed
        if not replace:
            for _, row in merged[changed].iterrows():
                problems.append(
                    Problem(
                        parsed.file,
                        int(row["line"]),
                        HEADER_FOR.get(column, column),
                        f"the stored value is {_show(row[f'{column}_stored'])} but the file has "
                        f"{_show(row[column])}; use replace to overwrite it",
                    )
                )
    keep = [*identity, *values, "line"]
    replaced = merged[differs][[*keep, "id"]].astype({"id": "int64"})
    return Reconciled(
        new=merged[is_new][keep], replaced=replaced, unchanged=int((~is_new & ~differs).sum())
    )


# Typed columns whose header in the file has another name.
HEADER_FOR = {"value": "score"}


# --------------------------------------------------------------------------- the store


def _frame(connection: Connection, query, columns: list[str]) -> pd.DataFrame:
    return read_frame(connection, query, columns)


def _stored_key_workers(connection: Connection) -> pd.DataFrame:
    return _frame(
        connection,
        sa.select(KeyWorker.id, KeyWorker.name, KeyWorker.background, KeyWorker.dedicated),
        ["id", "name", "background", "dedicated"],
    )


# Everything a families row says about a family, in the canonical column order.
FAMILY_VALUES = [column for column in CANONICAL["families"].columns if column != "family_ref"]


def _stored_families(connection: Connection) -> pd.DataFrame:
    query = sa.select(
        Family.id,
        Family.family_ref,
        Family.area,
        Family.tier_of_need,
        KeyWorker.name,
        Family.referral_source,
        Family.referral_date,
        Family.closed_on,
        Family.closure_reason,
        Family.closure_note,
        Family.age_group,
        Family.child_disability,
        Family.presenting_issues,
        Family.re_referred_on,
        Family.consent_to_share,
        Family.consent_on,
    ).outerjoin(KeyWorker, KeyWorker.id == Family.key_worker_id)
    return _frame(connection, query, ["id", "family_ref", *FAMILY_VALUES])


def _stored_children(connection: Connection, table, columns: dict[str, sa.Column]) -> pd.DataFrame:
    """Rows of a per-family table, keyed by ``family_ref``."""
    query = sa.select(table.id, Family.family_ref, *columns.values()).join(
        Family, Family.id == table.family_id
    )
    return _frame(connection, query, ["id", "family_ref", *columns])


def _stored_assessments(connection: Connection, instruments: Iterable[str]) -> pd.DataFrame:
    query = (
        sa.select(
            Assessment.id,
            Family.family_ref,
            Assessment.instrument,
            Assessment.assessed_on,
            Assessment.rater,
            Assessment.occasion,
        )
        .join(Family, Family.id == Assessment.family_id)
        .where(Assessment.instrument.in_(list(instruments)))
    )
    return _frame(
        connection, query, ["id", "family_ref", "instrument", "assessed_on", "rater", "occasion"]
    )


def _stored_scores(connection: Connection, instruments: Iterable[str]) -> pd.DataFrame:
    query = (
        sa.select(
            Score.id,
            Family.family_ref,
            Assessment.instrument,
            Assessment.assessed_on,
            Assessment.rater,
            Score.domain,
            Score.value,
            Score.note,
        )
        .join(Assessment, Assessment.id == Score.assessment_id)
        .join(Family, Family.id == Assessment.family_id)
        .where(Assessment.instrument.in_(list(instruments)))
    )
    return _frame(
        connection,
        query,
        ["id", "family_ref", "instrument", "assessed_on", "rater", "domain", "value", "note"],
    )


CHILD_TABLES = {
    "notes": (
        FamilyNote,
        ["family_ref", "written_on", "text"],
        {"written_on": FamilyNote.written_on, "text": FamilyNote.text, "author": FamilyNote.author},
    ),
    "goals": (
        PlanGoal,
        ["family_ref", "text"],
        {
            "text": PlanGoal.text,
            "domain": PlanGoal.domain,
            "status": PlanGoal.status,
            "set_on": PlanGoal.set_on,
            "status_on": PlanGoal.status_on,
        },
    ),
    "activities": (
        ServiceActivity,
        ["family_ref", "activity_on", "kind"],
        {
            "activity_on": ServiceActivity.activity_on,
            "kind": ServiceActivity.kind,
            "hours": ServiceActivity.hours,
        },
    ),
    "referrals_on": (
        ReferralOn,
        ["family_ref", "service", "referred_on"],
        {"service": ReferralOn.service, "referred_on": ReferralOn.referred_on},
    ),
    "feedback": (
        Feedback,
        ["family_ref", "given_on"],
        {
            "given_on": Feedback.given_on,
            "satisfaction": Feedback.satisfaction,
            "comment": Feedback.comment,
        },
    ),
}


# --------------------------------------------------------------------------- writing


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as plain Python values, with every missing value as None."""
    subset = frame[columns].astype(object)
    subset = subset.where(subset.notna(), None)
    return subset.to_dict("records")


def _insert(connection: Connection, table, frame: pd.DataFrame, columns: list[str]) -> None:
    """Insert the rows in bulk (``executemany``, or COPY on PostgreSQL), a column at a time.

    Values go through each column type's own bind processor and Python-side defaults
    are filled in, so what is stored is what ``sa.insert`` would store; building a
    dict per row and converting value by value took most of a county import's writing.
    One batch is one moment, so a callable default (``entered_at``) is called once.
    """
    if frame.empty:
        return
    dialect = connection.dialect
    target = table.__table__
    cells = {}
    for name in columns:
        values = frame[name].astype(object)
        values = values.where(values.notna(), None).tolist()
        process = target.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        cells[name] = [process(value) for value in values] if process else values
    for column in target.c:
        default = column.default
        if column.name in cells or default is None:
            continue
        value = default.arg(None) if default.is_callable else default.arg
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        cells[column.name] = [process(value) if process else value] * len(frame)
    quote = dialect.identifier_preparer.quote
    into = f"{quote(target.name)} ({', '.join(quote(name) for name in cells)})"
    rows = zip(*cells.values(), strict=True)
    if dialect.name == "postgresql":
        # COPY is PostgreSQL's bulk load, several times faster than INSERTs.
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {into} FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {into} VALUES ({', '.join([marker] * len(cells))})", list(rows)
    )


def _update(connection: Connection, table, frame: pd.DataFrame, columns: list[str]) -> None:
    if frame.empty:
        return
    statement = (
        sa.update(table)
        .where(table.__table__.c.id == sa.bindparam("row_id"))
        .values({column: sa.bindparam(f"new_{column}") for column in columns})
    )
    renamed = frame.rename(columns={"id": "row_id", **{c: f"new_{c}" for c in columns}})
    connection.execute(statement, _records(renamed, ["row_id", *[f"new_{c}" for c in columns]]))


class _Importer:
    """One import run: compares every parsed file with the store and writes the result."""

    def __init__(
        self,
        connection: Connection,
        files: list[ParsedFile],
        report: ImportReport,
        *,
        replace: bool,
    ):
        self.connection = connection
        self.files = {parsed.kind.name: [] for parsed in files}
        for parsed in files:
            self.files[parsed.kind.name].append(parsed)
        self.report = report
        self.replace = replace
        self.plan: list = []  # callables that write, run only when nothing is wrong

    def rows(self, kind: str) -> list[ParsedFile]:
        return self.files.get(kind, [])

    def run(self, *, dry_run: bool, progress: Progress) -> None:
        families = self._key_workers_and_families()
        self._check_family_refs(families)
        self._scores()
        for kind in CHILD_KINDS:
            self._children(kind)
        if self.report.errors or dry_run:
            return
        for number, step in enumerate(self.plan, start=1):
            progress(0.5 + 0.5 * number / len(self.plan), "Writing")
            step()

    # -- key workers and families

    def _key_workers_and_families(self) -> set[str]:
        stored_workers = _stored_key_workers(self.connection)
        known_workers = set(stored_workers["name"])
        for parsed in self.rows("key_workers"):
            result = reconcile(
                parsed,
                parsed.rows,
                stored_workers,
                ["name"],
                ["background", "dedicated"],
                replace=self.replace,
                problems=self.report.problems,
                what="key worker",
            )
            self._plan_key_workers(result)
            known_workers |= set(result.new["name"])

        stored_families = _stored_families(self.connection)
        known = set(stored_families["family_ref"])
        for parsed in self.rows("families"):
            named = set(parsed.rows["key_worker"].dropna()) - known_workers
            if named:
                implicit = pd.DataFrame(
                    {"name": sorted(named), "background": "other", "dedicated": True}
                )
                self.report.count("key_workers", "new", len(implicit))
                self.plan.append(
                    lambda implicit=implicit: _insert(
                        self.connection, KeyWorker, implicit, ["name", "background", "dedicated"]
                    )
                )
                known_workers |= named
            result = reconcile(
                parsed,
                parsed.rows,
                stored_families,
                ["family_ref"],
                FAMILY_VALUES,
                replace=self.replace,
                problems=self.report.problems,
                what="family",
            )
            self._count("families", result)
            self.plan.append(lambda result=result: self._write_families(result))
            known |= set(result.new["family_ref"])
        return known

    def _write_families(self, result: Reconciled) -> None:
        workers = dict(self.connection.execute(sa.select(KeyWorker.name, KeyWorker.id)).all())
        columns = ["family_ref", *[c for c in FAMILY_VALUES if c != "key_worker"], "key_worker_id"]
        for frame, write in ((result.new, _insert), (result.replaced, _update)):
            if frame.empty:
                continue
            frame = frame.assign(key_worker_id=frame["key_worker"].map(workers))
            if write is _insert:
                _insert(self.connection, Family, frame, columns)
            else:
                _update(self.connection, Family, frame, columns[1:])

    def _count(self, kind: str, result: Reconciled) -> None:
        self.report.count(kind, "new", len(result.new))
        self.report.count(kind, "unchanged", result.unchanged)
        self.report.count(kind, "replaced", len(result.replaced))

    def _plan_key_workers(self, result: Reconciled) -> None:
        self._count("key_workers", result)
        columns = ["background", "dedicated"]
        self.plan.append(
            lambda: _insert(self.connection, KeyWorker, result.new, ["name", *columns])
        )
        self.plan.append(lambda: _update(self.connection, KeyWorker, result.replaced, columns))

    def _check_family_refs(self, known: set[str]) -> None:
        for kind in ("scores", *CHILD_KINDS):
            for parsed in self.rows(kind):
                rows = parsed.rows
                unknown = rows[rows["family_ref"].notna() & ~rows["family_ref"].isin(known)]
                for _, row in unknown.iterrows():
                    self.report.problems.append(
                        Problem(
                            parsed.file,
                            int(row["line"]),
                            "family_ref",
                            f"{row['family_ref']!r} is not a known family; add it to "
                            "families.csv first",
                        )
                    )

    # -- assessments and scores

    def _scores(self) -> None:
        files = self.rows("scores")
        if not files:
            return
        instruments = set().union(*(p.rows["instrument"].dropna().unique() for p in files))
        stored_assessments = _stored_assessments(self.connection, instruments)
        stored_scores = _stored_scores(self.connection, instruments)
        assessment_key = ["family_ref", "instrument", "assessed_on", "rater"]
        for parsed in files:
            rows = parsed.rows
            assessments = reconcile(
                parsed,
                rows,
                stored_assessments,
                assessment_key,
                ["occasion"],
                replace=self.replace,
                problems=self.report.problems,
                what="assessment",
            )
            scores = reconcile(
                parsed,
                rows,
                stored_scores,
                [*assessment_key, "domain"],
                ["value", "note"],
                replace=self.replace,
                problems=self.report.problems,
                what="domain score",
            )
            self._check_baseline_order(parsed, stored_assessments, assessments)
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
        for _, row in early.iterrows():
            self.report.problems.append(
                Problem(
                    parsed.file,
                    int(row["line"]),
                    "assessed_on",
                    f"this {row['occasion']} on {row['assessed_on']} is before the family's "
                    f"baseline on {row['baseline_on']} for {row['instrument']}",
                )
            )

    def _write_scores(self, assessments: Reconciled, scores: Reconciled) -> None:
        families = dict(self.connection.execute(sa.select(Family.family_ref, Family.id)).all())
        new_assessments = assessments.new.assign(
            family_id=assessments.new["family_ref"].map(families),
            instrument_version=assessments.new["instrument"].map(
                {key: spec.version for key, spec in load_instruments().items()}
            ),
        )
        _insert(
            self.connection,
            Assessment,
            new_assessments,
            ["family_id", "instrument", "instrument_version", "occasion", "assessed_on", "rater"],
        )
        _update(self.connection, Assessment, assessments.replaced, ["occasion"])

        key = ["family_ref", "instrument", "assessed_on", "rater"]
        ids = _stored_assessments(
            self.connection,
            set(scores.new["instrument"].unique()) | set(scores.replaced["instrument"].unique()),
        ).rename(columns={"id": "assessment_id"})[[*key, "assessment_id"]]
        new_scores = scores.new.merge(ids, on=key)
        _insert(self.connection, Score, new_scores, ["assessment_id", "domain", "value", "note"])
        _update(self.connection, Score, scores.replaced, ["value", "note"])

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

    def _children(self, kind: str) -> None:
        table, identity, columns = CHILD_TABLES[kind]
        files = self.rows(kind)
        if not files:
            return
        stored = _stored_children(self.connection, table, columns)
        values = [c for c in columns if c not in identity]
        for parsed in files:
            result = reconcile(
                parsed,
                parsed.rows,
                stored,
                identity,
                values,
                replace=self.replace,
                problems=self.report.problems,
                what=kind.rstrip("s"),
            )
            self._count(kind, result)
            self.plan.append(
                lambda result=result, table=table, columns=columns: self._write_children(
                    table, result, list(columns)
                )
            )

    def _write_children(self, table, result: Reconciled, columns: list[str]) -> None:
        families = dict(self.connection.execute(sa.select(Family.family_ref, Family.id)).all())
        new = result.new.assign(family_id=result.new["family_ref"].map(families))
        _insert(self.connection, table, new, ["family_id", *columns])
        _update(self.connection, table, result.replaced, columns)


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
    progress = progress or (lambda share, stage: None)
    report = ImportReport(dry_run=dry_run)
    instruments = load_instruments()
    today = today or date.today()
    parsed_files = []
    for number, path in enumerate(paths, start=1):
        progress(0.3 * number / len(paths), "Reading and checking")
        parsed_files += parse_path(Path(path), instruments, today, report)
    if report.errors:
        return report
    parsed_files.sort(key=lambda p: FILE_KINDS.index(p.kind))
    progress(0.4, "Comparing with what is stored")
    try:
        with begin_write(engine) as connection:
            _Importer(connection, parsed_files, report, replace=replace).run(
                dry_run=dry_run, progress=progress
            )
            if not report.errors and not dry_run and report.changed_anything:
                record(
                    connection,
                    actor=actor,
                    action="import",
                    entity="import",
                    entity_id=", ".join(Path(path).name for path in paths)[:120],
                    after={"replace": replace, "counts": report.counts},
                )
                if connection.dialect.name == "postgresql":
                    # Fresh statistics: after a bulk load the planner otherwise still sees
                    # the tables as nearly empty and picks plans that take minutes.
                    connection.exec_driver_sql("ANALYZE")
            if report.errors:
                raise ImportFailed
    except ImportFailed:
        report.counts.clear()
    progress(1.0, "Done")
    return report


def problem_table(report: ImportReport) -> pd.DataFrame:
    """Every problem as a row: file, row, column, value and what is wrong."""
    return pd.DataFrame(
        [
            {
                "File": p.file,
                "Row": p.line,
                "Column": p.column,
                "Value": p.value,
                "Problem": p.message,
                "Severity": p.severity,
            }
            for p in report.problems
        ],
        columns=["File", "Row", "Column", "Value", "Problem", "Severity"],
    )


def summary_lines(report: ImportReport) -> list[str]:
    """What an import did (or would do), in plain words."""
    counts = report.counts
    new_families = counts.get("families", {}).get("new", 0)
    new_assessments = counts.get("assessments", {}).get("new", 0)
    unchanged = sum(c.get("unchanged", 0) for key, c in counts.items() if key != "assessments")
    replaced = sum(c.get("replaced", 0) for key, c in counts.items() if key != "assessments")
    added = sum(c.get("new", 0) for key, c in counts.items() if key != "assessments")
    return [
        f"{new_families} new families",
        f"{new_assessments} new assessments",
        f"{added} new rows in all",
        f"{unchanged} rows already stored and unchanged",
        f"{replaced} stored values replaced",
    ]
