"""The pseudonymised research extract: what an analyst may have, and nothing more.

Family references become keyed hashes (HMAC-SHA256 with a secret kept in settings and
never exported), free text and names are dropped, and families without recorded consent
to share are left out altogether. A keyed hash alone does not stop someone who knows a
family's area, age group and referral month from finding it, so the extract is
k-anonymous over those quasi-identifiers, with k = ``min_group``: values shared by fewer
than k families become "other", dates become quarters and months from referral,
generalised further one step at a time until few families stand out, and the families
that still do are left out with all their rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import re
import zipfile
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd

from tracker.files.formula_guard import neutralised
from tracker.store.settings import get_settings

FAMILY_COLUMNS = [
    "pseudo_id",
    "area",
    "tier_of_need",
    "age_group",
    "child_disability",
    "referral_source",
    "referral_period",
    "closure_reason",
    "months_to_closure",
    "months_to_re_referral",
]
OTHER, WITHHELD = "other", "withheld"
# Each step up a ladder publishes less. A family's timing is one step for all its columns,
# in every table, so no table shows it more finely than the families table does.
AGE_BANDS = {"0-4": "0-10", "5-10": "0-10", "11-15": "11-19", "16-19": "11-19"}
CLOSURE_GROUPS = {
    "wholly_achieved": "achieved",
    "partially_achieved": "achieved",
    "not_achieved": "not achieved",
    "dropped_out": "not achieved",
    "stepped_up": "moved on",
    "moved_away": "moved on",
}
MONTH_BANDS = (3, 6, 12, None)  # months per band; None: withheld
LONGEST_BAND = 24  # months from referral; later is "24+"
# What each step of each ladder in _ladders publishes, for the README.
AS_RECORDED = ("as recorded", WITHHELD)
STEP_WORDS = {
    "area": AS_RECORDED,
    "tier_of_need": AS_RECORDED,
    "age_group": ("as recorded", "0-10 or 11-19", WITHHELD),
    "child_disability": AS_RECORDED,
    "referral_source": AS_RECORDED,
    "referral_period": ("quarter", "year", WITHHELD),
    "closure_reason": ("as recorded", "achieved, not achieved or moved on", "closed or not"),
    "timing": (*(f"{width}-month bands" for width in MONTH_BANDS[:-1]), WITHHELD),
}
# Generalising stops once at most this share of consenting families would be left out.
MAX_LEFT_OUT_SHARE = 0.05


# An HMAC key is only as secret as it is unguessable: a one-letter key was recovered from
# an extract of sequential references in a fraction of a second.
MIN_KEY_BYTES = 32
MIN_KEY_DISTINCT_CHARACTERS = 8
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class ResearchExportError(ValueError):
    """The extract cannot be made; the message says what to do."""


def key_bytes(key: str) -> int:
    """How many bytes of secret ``key`` can hold, read as hex or base64 when it is written
    that way (as key generators write them), otherwise as UTF-8 text."""
    if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", key):
        return len(key) // 2
    if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", key):
        try:
            padded = key + "=" * (-len(key) % 4)
            return len(base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_")))
        except (binascii.Error, ValueError):
            pass
    return len(key.encode("utf-8"))


def key_problem(key: str | None) -> str | None:
    """Why ``key`` cannot pseudonymise references, in words an operator can act on."""
    if not key:
        return (
            "Set TRACKER_PSEUDONYM_KEY to a long random secret before making a research "
            "extract; it is what keeps the references unlinkable, and it is never exported. "
            f"Make one with: {MAKE_A_KEY}"
        )
    if key_bytes(key) < MIN_KEY_BYTES or len(set(key)) < MIN_KEY_DISTINCT_CHARACTERS:
        return (
            f"TRACKER_PSEUDONYM_KEY must hold at least {MIN_KEY_BYTES} random bytes; this one "
            "is short or repetitive enough to be guessed, and with it every pseudonym could "
            f"be traced back to its family. Make a new one with: {MAKE_A_KEY}"
        )
    return None


def pseudonym(family_ref: str, key: str) -> str:
    digest = hmac.new(key.encode("utf-8"), family_ref.encode("utf-8"), hashlib.sha256)
    return "P-" + digest.hexdigest()[:16]


@dataclass(frozen=True)
class ResearchExtract:
    """The tables, and the facts about them the README states."""

    tables: dict[str, pd.DataFrame]
    min_group: int
    smallest_class: int  # 0 when no family could be kept
    left_out: int
    steps: dict[str, int]  # how far up its ladder each quasi-identifier went

    @property
    def readme(self) -> str:
        steps = "; ".join(f"{name}: {STEP_WORDS[name][step]}" for name, step in self.steps.items())
        return (
            "Pseudonymised extract. Families without recorded consent to share are left out.\n"
            "pseudo_id is a keyed hash of the family reference; the key is not included.\n"
            "Notes, comments, goal wording and names are removed.\n\n"
            f"k-anonymity: k = {self.min_group} (the service's smallest group). Every family "
            "shares its area, tier, age group, disability, referral source, referral period, "
            f"closure reason and timing with at least {self.min_group - 1} others.\n"
            f"smallest group: {self.smallest_class} families\n"
            f"left out: {self.left_out} consenting families, who would have been in a group "
            f"smaller than {self.min_group}, with all their rows\n"
            f"shown as: {steps}\n\n"
            f"Values shared by fewer than {self.min_group} families read '{OTHER}'; "
            f"'{WITHHELD}' means the column could not be shown for anyone. Dates are "
            "quarters or years (referral_period) or whole months from the referral in "
            "bands (months_to_closure, months_to_re_referral, months_from_referral); "
            "blank means not closed or not re-referred.\n"
        )


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def _common(values: pd.Series, families: pd.Series, k: int) -> pd.Series:
    """Values at least ``k`` families share; the rest, typed by few, become "other"."""
    pairs = pd.DataFrame({"value": values.to_numpy(), "family": families.to_numpy()})
    sharing = pairs.drop_duplicates().groupby("value")["family"].size()
    return values.where(values.isin(sharing.index[sharing >= k]), OTHER)


def _months_after(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole months from ``start`` to ``end``; missing when either is blank."""
    days = (pd.to_datetime(end, errors="coerce") - pd.to_datetime(start, errors="coerce")).dt.days
    return days // 30.4375


def _banded(months: pd.Series, width: int | None) -> pd.Series:
    def band(month: float) -> str:
        if pd.isna(month):
            return ""
        if width is None:
            return WITHHELD
        if month < 0:
            return "before referral"
        if month >= LONGEST_BAND:
            return f"{LONGEST_BAND}+"
        low = int(month // width * width)
        return f"{low}-{low + width - 1}"

    return months.map(band).astype(str)


def _ladders(families: pd.DataFrame, k: int) -> dict[str, list[pd.DataFrame]]:
    """Each quasi-identifier's published columns, finest first; rare values are "other"."""
    ids = families["pseudo_id"]
    referred = pd.to_datetime(families["referral_date"], errors="coerce")
    closed = _months_after(families["referral_date"], families["closed_on"])
    back = _months_after(families["referral_date"], families["re_referred_on"])

    def one(name: str, *levels: pd.Series) -> list[pd.DataFrame]:
        return [_common(level, ids, k).to_frame(name) for level in levels]

    withheld = pd.Series(WITHHELD, index=families.index)
    reason = _text(families["closure_reason"])
    return {
        "area": one("area", _text(families["area"]), withheld),
        "tier_of_need": one("tier_of_need", _text(families["tier_of_need"]), withheld),
        "age_group": one(
            "age_group",
            age := _text(families["age_group"]),
            age.map(lambda group: AGE_BANDS.get(group, group)),
            withheld,
        ),
        "child_disability": one("child_disability", _text(families["child_disability"]), withheld),
        "referral_source": one("referral_source", _text(families["referral_source"]), withheld),
        "referral_period": one(
            "referral_period",
            _text(
                referred.dt.to_period("Q")
                .astype(str)
                .str.replace("Q", "-Q")
                .where(referred.notna())
            ),
            _text(referred.dt.year.astype("Int64").astype(str).where(referred.notna())),
            withheld,
        ),
        "closure_reason": one(
            "closure_reason",
            reason,
            reason.map(lambda value: CLOSURE_GROUPS.get(value, value)),
            reason.where(reason == "", "closed"),
        ),
        "timing": [
            pd.DataFrame(
                {
                    "months_to_closure": _common(_banded(closed, width), ids, k),
                    "months_to_re_referral": _common(_banded(back, width), ids, k),
                }
            )
            for width in MONTH_BANDS
        ],
    }


def _standing_out(table: pd.DataFrame, k: int) -> pd.Series:
    """Whether each row's equivalence class over all its columns is smaller than ``k``."""
    sizes = table.groupby(list(table.columns), dropna=False)[table.columns[0]].transform("size")
    return sizes < k


def _generalised(
    ladders: dict[str, list[pd.DataFrame]], k: int, allowed: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The least generalised table that leaves out at most ``allowed`` families.

    Every combination of steps is tried (a full-domain search: one step per
    quasi-identifier for every family). The loss is the share of each ladder climbed,
    summed; ties go to the one that leaves out fewest families. When none is good enough,
    the top of every ladder is taken."""
    codes = {
        name: [pd.MultiIndex.from_frame(level).factorize()[0] for level in levels]
        for name, levels in ladders.items()
    }
    heights = [len(levels) - 1 for levels in ladders.values()]

    def loss(steps: tuple[int, ...]) -> float:
        return sum(step / height for step, height in zip(steps, heights, strict=True))

    best: tuple[float, int, tuple[int, ...]] | None = None
    for steps in sorted(product(*(range(height + 1) for height in heights)), key=loss):
        if best is not None and loss(steps) > best[0]:
            break
        key = np.zeros(len(next(iter(ladders.values()))[0]), dtype=np.int64)
        for name, step in zip(codes, steps, strict=True):
            key = pd.factorize(key * (codes[name][step].max(initial=0) + 1) + codes[name][step])[0]
        sizes = np.bincount(key)
        left_out = int(sizes[sizes < k].sum())
        if left_out <= allowed and (best is None or (loss(steps), left_out) < best[:2]):
            best = (loss(steps), left_out, steps)
    chosen = best[2] if best else tuple(heights)
    steps = dict(zip(ladders, chosen, strict=True))
    return pd.concat([ladders[name][step] for name, step in steps.items()], axis=1), steps


def research_extract(
    frames: dict[str, pd.DataFrame], key: str | None, min_group: int | None = None
) -> ResearchExtract:
    """The research tables, from the canonical frames (as exported, dates as text)."""
    if problem := key_problem(key):
        raise ResearchExportError(problem)
    k = get_settings().min_group if min_group is None else min_group
    families = frames["families"]
    consented = families[families["consent_to_share"] == "yes"].reset_index(drop=True)
    consented = consented.assign(pseudo_id=consented["family_ref"].map(lambda r: pseudonym(r, key)))
    quasi, steps = _generalised(_ladders(consented, k), k, int(MAX_LEFT_OUT_SHARE * len(consented)))
    kept = ~_standing_out(quasi, k) if len(quasi) else pd.Series(dtype=bool)
    family_table = pd.concat([consented[["pseudo_id"]], quasi], axis=1)[kept][FAMILY_COLUMNS]
    ids = dict(zip(consented["family_ref"][kept], consented["pseudo_id"][kept], strict=True))
    referred_on = consented.set_index("family_ref")["referral_date"]
    width = MONTH_BANDS[steps["timing"]]

    def keep(name: str, when: str) -> pd.DataFrame:
        frame = frames[name][frames[name]["family_ref"].isin(ids)]
        after = _months_after(frame["family_ref"].map(referred_on), frame[when])
        return frame.assign(
            pseudo_id=frame["family_ref"].map(ids), months_from_referral=_banded(after, width)
        )

    goals = keep("goals", "set_on").rename(columns={"months_from_referral": "set_after"})
    goals = goals.assign(
        status_after=_banded(
            _months_after(goals["family_ref"].map(referred_on), goals["status_on"]), width
        )
    )
    referrals = keep("referrals_on", "referred_on")
    referrals = referrals.assign(
        service=_common(_text(referrals["service"]), referrals["pseudo_id"], k)
    )
    timed = ["pseudo_id", "months_from_referral"]
    tables = {
        "families": family_table,
        "scores": keep("scores", "assessed_on")[
            [*timed, "instrument", "occasion", "rater", "domain", "score"]
        ],
        "goals": goals[["pseudo_id", "domain", "status", "set_after", "status_after"]],
        "activities": keep("activities", "activity_on")[[*timed, "hours", "kind"]],
        "referrals_on": referrals[[*timed, "service"]],
        "feedback": keep("feedback", "given_on")[[*timed, "satisfaction"]],
    }
    sizes = family_table.drop(columns="pseudo_id").groupby(FAMILY_COLUMNS[1:]).size()
    return ResearchExtract(
        tables={
            name: table.sort_values(list(table.columns)).reset_index(drop=True)
            for name, table in tables.items()
        },
        min_group=k,
        smallest_class=int(sizes.min()) if len(sizes) else 0,
        left_out=len(consented) - len(family_table),
        steps=steps,
    )


def research_frames(
    frames: dict[str, pd.DataFrame], key: str | None, min_group: int | None = None
) -> dict[str, pd.DataFrame]:
    return research_extract(frames, key, min_group).tables


def research_zip(
    frames: dict[str, pd.DataFrame], key: str | None, min_group: int | None = None
) -> bytes:
    extract = research_extract(frames, key, min_group)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in extract.tables.items():
            archive.writestr(
                f"{name}.csv", neutralised(table).to_csv(index=False, lineterminator="\n")
            )
        archive.writestr("README.txt", extract.readme)
    return buffer.getvalue()
