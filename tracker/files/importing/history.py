"""Whether an import would fork a family's history, judged on what the store would hold after it.

The rule is the store's (``tracker.store.history``), the same one the scoring form asks:
one journey per family and instrument until a re-referral, and nothing dated after a closure
that no re-referral reopened. Here it is applied to the stored assessments and families with
the import's rows put in, so an earlier baseline in a file forks a stored journey as surely as
a later one. A problem is reported on the row that causes it: an assessment the import adds
or changes, or the family row whose new closing or re-referral date breaks stored ones. A
fork already stored is left alone, so it never blocks an unrelated import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from tracker.files.canonical import ASSESSMENT_IDENTITY
from tracker.files.problems import Problem, Problems
from tracker.store.history import history_breaks

FAMILY_DATES = ["family_ref", "closed_on", "re_referred_on"]
ASSESSMENT = [*ASSESSMENT_IDENTITY, "occasion"]


@dataclass
class Incoming:
    """Rows one file brings of one kind, new or replacing, with the file and line of each."""

    file: str
    rows: pd.DataFrame  # identity and values as the file names them, and ``line``
    field_lines: dict[str, int]  # where the offline form's fields are (``ParsedFile``)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _located(incoming: list[Incoming], columns: list[str]) -> pd.DataFrame:
    frames = [item.rows[[*columns, "line"]].assign(file=item.file) for item in incoming]
    if not frames:
        return pd.DataFrame(columns=[*columns, "line", "file"])
    return pd.concat(frames, ignore_index=True)


def _families_after(stored: pd.DataFrame, incoming: list[Incoming]) -> pd.DataFrame:
    """Each family's closing and re-referral dates as they would be after the import."""
    frames = [stored[FAMILY_DATES], *(item.rows[FAMILY_DATES] for item in incoming)]
    return pd.concat(frames, ignore_index=True).drop_duplicates("family_ref", keep="last")


def _changed_dates(stored: pd.DataFrame, incoming: list[Incoming]) -> pd.DataFrame:
    """Families whose closing or re-referral date the import changes: where, and which."""
    rows = _located(incoming, FAMILY_DATES)
    merged = rows.merge(stored[FAMILY_DATES], on="family_ref", suffixes=("", "_stored"))
    closed = _differs(merged["closed_on"], merged["closed_on_stored"])
    back = _differs(merged["re_referred_on"], merged["re_referred_on_stored"])
    merged["column"] = closed.map({True: "closed_on", False: "re_referred_on"})
    return merged[closed | back].drop_duplicates("family_ref", keep="last")


def _differs(left: pd.Series, right: pd.Series) -> pd.Series:
    left, right = pd.to_datetime(left), pd.to_datetime(right)
    return (left != right) & ~(left.isna() & right.isna())


def _breaks(history: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    """``history_breaks`` in the files' terms: each break with its assessment's row."""
    named = {"family_ref": "family"}
    found = history_breaks(history.rename(columns=named), families.rename(columns=named))
    return found.join(history, how="inner")


def _broken_by_new_dates(
    kept: pd.DataFrame,
    stored_families: pd.DataFrame,
    families: list[Incoming],
    changed: pd.DataFrame,
) -> pd.DataFrame:
    """Stored assessments that the import's new closing or re-referral dates break: only
    those, not a break already there with the stored dates, nor one an incoming row makes."""
    theirs = kept[kept["family_ref"].isin(changed["family_ref"])]
    if theirs.empty:
        return theirs.assign(field=None, problem=None)
    before = _breaks(theirs, stored_families[FAMILY_DATES])
    after = _breaks(theirs, _families_after(stored_families, families))
    already = set(zip(before.index, before["field"], strict=True))
    pairs = zip(after.index, after["field"], strict=True)
    fresh = [(index, field) not in already for index, field in pairs]
    return after[pd.Series(fresh, index=after.index, dtype=bool)]


def check_histories(
    stored_assessments: Callable[[], pd.DataFrame],
    stored_families: pd.DataFrame,
    assessments: list[Incoming],
    replaced_ids: set[int],
    families: list[Incoming],
    problems: Problems,
) -> list[str]:
    """Report every row that would fork a history; the notices a preview should show.

    ``assessments`` are the new and replacing assessments (one row each, as the files name
    them); ``replaced_ids`` the stored ones they replace; ``families`` the new and replacing
    family rows. The stored assessments are read only if something could fork.
    """
    changed = _changed_dates(stored_families, families)
    arriving = _located(assessments, ASSESSMENT)
    if arriving.empty and changed.empty:
        return []
    stored_assessments = stored_assessments()
    kept = stored_assessments[~stored_assessments["id"].isin(replaced_ids)][ASSESSMENT]
    history = pd.concat([kept.assign(file=None, line=0), arriving], ignore_index=True)
    breaks = _breaks(history, _families_after(stored_families, families))
    mine = breaks[breaks["file"].notna()]
    fields = {item.file: item.field_lines for item in assessments}
    problems.each(
        mine.itertuples(),
        len(mine),
        lambda row: Problem(
            row.file,
            fields[row.file].get(row.field, int(row.line)),
            row.field,
            row.problem,
            value=str(getattr(row, row.field)),
        ),
        "error",
    )
    where = changed.assign(value=changed["closed_on"].where(changed["column"] == "closed_on"))
    where["value"] = where["value"].fillna(where["re_referred_on"])
    theirs = (
        _broken_by_new_dates(kept, stored_families, families, changed)
        .merge(where[["family_ref", "file", "line", "column", "value"]], on="family_ref")
        .sort_values("assessed_on")
    )
    by_family = theirs.groupby("family_ref")
    for _, group in by_family:
        latest = group.iloc[-1]
        stored = _plural(group["assessed_on"].nunique(), "stored assessment", "stored assessments")
        problems.append(
            Problem(
                latest.file,
                int(latest.line),
                latest.column,
                f"with this change {stored}, the latest on "
                f"{pd.Timestamp(latest.assessed_on):%d %b %Y}, would break the family's "
                f"history: {latest.problem}",
                value="" if pd.isna(latest.value) else str(latest.value),
            )
        )
    notices = _joining(arriving, stored_assessments)
    forks = len(mine) + by_family.ngroups
    if forks:
        families_hit = pd.concat([mine["family_ref"], theirs["family_ref"]]).nunique()
        notices.insert(
            0,
            f"Refused: {_plural(forks, 'row', 'rows')} in "
            f"{_plural(families_hit, 'family', 'families')} would fork a history (a second "
            "baseline without a re-referral, or an assessment after the case closed). "
            "Nothing will be written.",
        )
    return notices


def _joining(arriving: pd.DataFrame, stored: pd.DataFrame) -> list[str]:
    """Assessments the import adds beside a journey already stored for that instrument."""
    pairs = stored[["family_ref", "instrument"]].drop_duplicates()
    new = arriving.merge(
        stored[[*ASSESSMENT_IDENTITY, "id"]], on=list(ASSESSMENT_IDENTITY), how="left"
    )
    new = new[new["id"].isna()].merge(pairs, on=["family_ref", "instrument"])
    if new.empty:
        return []
    count, families = len(new), new["family_ref"].nunique()
    one = families == 1
    return [
        f"{_plural(count, 'assessment', 'assessments')} would be added to "
        f"{_plural(families, 'family', 'families')} that already "
        f"{'has' if one else 'have'} assessments stored for that instrument: check they "
        f"continue {'its journey' if one else 'their journeys'} and do not repeat "
        f"{'it' if one else 'them'}."
    ]
