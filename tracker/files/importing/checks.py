"""What each canonical file's rows must be: checked text in, typed values out.

Most columns are read as their model column says (text up to its length, a date, yes or
no, a number in its range, or a key of its vocabulary), so a new column in the model and
the file table is checked with nothing added here. What no model column says stays here:
the occasion's paper-form spellings, a score on its instrument's scale, and the rules that
tie one column to another (a closed family needs a closure reason; a panel decides after
a referral to it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

import pandas as pd

from tracker.files.canonical import FileKind
from tracker.files.validation import EMPTY_MARKERS, FrameChecker, as_choices, on_step
from tracker.instruments.loader import Instrument
from tracker.store.vocabulary import OCCASION_ALIASES

Instruments = dict[str, Instrument]


def read_column(check: FrameChecker, kind: FileKind, column: str) -> pd.Series:
    """One column, checked and typed as its model column stores it.

    A blank is allowed where the model allows one; a blank yes-or-no takes the model's
    default (a key worker is dedicated unless the file says not).
    """
    required = not kind.may_be_blank(column)
    stored = kind.stored_type(column)
    if column in kind.choices:
        choices = kind.choices[column]
        return check.choice(
            column, choices.labels, required=required, what=choices.what, aliases=choices.aliases
        )
    if stored is date:
        return check.date(column, required=required)
    if stored is bool:
        default = kind.default(column)
        answers = check.boolean(column)
        return answers if default is None else answers.fillna(default)
    if stored in (int, float):
        low, high = kind.ranges[column]
        numbers = check.number(column, required=required, low=low, high=high)
        if stored is float:
            return numbers
        whole = numbers % 1 == 0
        check.flag(
            numbers.notna() & ~whole,
            column,
            lambda text: f"{text} is not a whole number from {low:g} to {high:g}",
        )
        return numbers.where(whole).astype("Int64")
    return check.text(column, required=required, max_length=kind.lengths[column])


def read_columns(check: FrameChecker, kind: FileKind, columns: Iterable[str]) -> pd.DataFrame:
    """``read_column`` for each of these columns, in order."""
    return pd.DataFrame({column: read_column(check, kind, column) for column in columns})


def _every_column(check: FrameChecker, kind: FileKind, instruments: Instruments) -> pd.DataFrame:
    return read_columns(check, kind, kind.columns)


def _families(check: FrameChecker, kind: FileKind, instruments: Instruments) -> pd.DataFrame:
    rows = read_columns(check, kind, kind.columns)
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
    _pathway(check, rows)
    return rows


def _pathway(check: FrameChecker, rows: pd.DataFrame) -> None:
    """The referral pathway's rules, as ``tracker.records.pathway`` keeps them in the app."""
    check.flag(
        rows["panel_decision_on"].notna() & rows["panel_referral_on"].isna(),
        "panel_decision_on",
        "a panel decision date is given but no panel referral date",
    )
    check.flag(
        rows["panel_decision_on"] < rows["panel_referral_on"],
        "panel_decision_on",
        lambda value: f"{value} is before the panel referral date",
    )
    check.flag(
        rows["first_contact_on"] < rows["referral_date"],
        "first_contact_on",
        lambda value: f"{value} is before the referral date",
    )
    inappropriate = rows["referral_outcome"].eq("inappropriate")
    check.flag(
        inappropriate & rows["signposted_to"].isna(),
        "signposted_to",
        "an inappropriate referral needs where the family was signposted instead",
    )
    check.flag(
        ~inappropriate & rows["signposted_to"].notna(),
        "signposted_to",
        "only an inappropriate referral is signposted elsewhere; leave it blank",
    )
    check.flag(
        rows["agencies"].notna() & rows["multi_agency_package"].ne(True),
        "agencies",
        "agencies are listed only for a family with a multi-agency package (yes)",
    )


def _stakeholder_feedback(
    check: FrameChecker, kind: FileKind, instruments: Instruments
) -> pd.DataFrame:
    rows = read_columns(check, kind, kind.columns)
    check.flag(
        rows["period_end"] < rows["period_start"],
        "period_end",
        lambda value: f"{value} is before the start of the period",
    )
    return rows


def _occasions(check: FrameChecker) -> pd.Series:
    """Occasions as words, or as the paper form writes them: B, R1, R2 ..."""
    typed = check.raw("occasion").str.lower()
    occasion = typed.map(OCCASION_ALIASES)
    occasion = occasion.where(~typed.str.fullmatch(r"r\d+"), "review")
    check.flag(typed.eq(""), "occasion", "is required but empty")
    check.flag(
        ~typed.eq("") & occasion.isna(),
        "occasion",
        lambda value: (
            f"{value!r} is not an occasion; use baseline, review, closure, "
            "follow-up, or B, R1, R2 ..."
        ),
    )
    return occasion


def _scores(check: FrameChecker, kind: FileKind, instruments: Instruments) -> pd.DataFrame:
    instrument = check.choice(
        "instrument", as_choices(instruments), required=True, what="instrument"
    )
    occasion = _occasions(check)
    plain = [c for c in kind.columns if c not in ("instrument", "occasion", "score")]
    rows = read_columns(check, kind, plain).assign(instrument=instrument, occasion=occasion)
    typed_score = check.raw("score")
    not_scored = typed_score.str.lower().isin(EMPTY_MARKERS)
    score = pd.to_numeric(typed_score.where(~not_scored), errors="coerce")
    check.flag(
        ~not_scored & score.isna(),
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
        scored = in_group & score.notna()
        check.flag(
            scored & ((score < spec.scale_min) | (score > spec.scale_max)),
            "score",
            lambda text, spec=spec: (
                f"{text} is outside the {spec.key} scale ({spec.scale_min:g} to {spec.scale_max:g})"
            ),
        )
        check.flag(
            scored & ~on_step(score.fillna(spec.scale_min), spec.scale_min, spec.step),
            "score",
            lambda text, spec=spec: f"{text} is not a whole step of {spec.step:g} on {spec.key}",
        )
    rows["score"] = score.astype("float64")
    return rows


def _goals(check: FrameChecker, kind: FileKind, instruments: Instruments) -> pd.DataFrame:
    rows = read_columns(check, kind, kind.columns)
    domain_keys = {key for spec in instruments.values() for key in spec.domain_keys}
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
    return rows


Parser = Callable[[FrameChecker, FileKind, Instruments], pd.DataFrame]
# The kinds with rules of their own; every other kind is its columns and nothing more.
PARSERS: dict[str, Parser] = {
    "families": _families,
    "scores": _scores,
    "goals": _goals,
    "stakeholder_feedback": _stakeholder_feedback,
}


def _plain_dates(series: pd.Series) -> pd.Series:
    """Timestamps to plain dates (None where missing), as the database wants them."""
    days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return pd.Series(days.astype(object), index=series.index, dtype=object)


def typed_rows(check: FrameChecker, kind: FileKind, instruments: Instruments) -> pd.DataFrame:
    """A file's rows as typed values, named as the file names them; problems go to ``check``."""
    rows = PARSERS.get(kind.name, _every_column)(check, kind, instruments)
    for column in rows.columns:
        if kind.stored_type(column) is date:
            rows[column] = _plain_dates(rows[column])
    return rows
