"""The pseudonymised research extract: what an analyst may have, and nothing more.

Family references become keyed hashes (HMAC-SHA256 with a secret kept in settings and
never exported), dates become months, free text and names are dropped, and families
without recorded consent to share are left out altogether.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import re
import zipfile

import pandas as pd

from tracker.files.formula_guard import neutralised

FAMILY_COLUMNS = [
    "pseudo_id",
    "area",
    "tier_of_need",
    "age_group",
    "child_disability",
    "referral_source",
    "referral_month",
    "closed_month",
    "closure_reason",
    "re_referred_month",
]


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


def _month(series: pd.Series) -> pd.Series:
    """'2025-03-14' to '2025-03'; blank stays blank."""
    return series.fillna("").astype(str).str.slice(0, 7)


def research_frames(frames: dict[str, pd.DataFrame], key: str | None) -> dict[str, pd.DataFrame]:
    """The research tables, from the canonical frames (as exported, dates as text)."""
    if problem := key_problem(key):
        raise ResearchExportError(problem)
    families = frames["families"]
    consented = families[families["consent_to_share"] == "yes"]
    ids = {ref: pseudonym(ref, key) for ref in consented["family_ref"]}

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        kept = frame[frame["family_ref"].isin(ids)]
        return kept.assign(pseudo_id=kept["family_ref"].map(ids))

    family_table = keep(consented).assign(
        referral_month=_month(consented["referral_date"]),
        closed_month=_month(consented["closed_on"]),
        re_referred_month=_month(consented["re_referred_on"]),
    )
    scores = keep(frames["scores"]).assign(assessed_month=lambda f: _month(f["assessed_on"]))
    goals = keep(frames["goals"]).assign(
        set_month=lambda f: _month(f["set_on"]), status_month=lambda f: _month(f["status_on"])
    )
    activities = keep(frames["activities"]).assign(month=lambda f: _month(f["activity_on"]))
    referrals = keep(frames["referrals_on"]).assign(month=lambda f: _month(f["referred_on"]))
    feedback = keep(frames["feedback"]).assign(month=lambda f: _month(f["given_on"]))
    tables = {
        "families": family_table[FAMILY_COLUMNS],
        "scores": scores[
            ["pseudo_id", "instrument", "occasion", "assessed_month", "rater", "domain", "score"]
        ],
        "goals": goals[["pseudo_id", "domain", "status", "set_month", "status_month"]],
        "activities": activities[["pseudo_id", "month", "hours", "kind"]],
        "referrals_on": referrals[["pseudo_id", "service", "month"]],
        "feedback": feedback[["pseudo_id", "month", "satisfaction"]],
    }
    return {
        name: table.sort_values(list(table.columns)).reset_index(drop=True)
        for name, table in tables.items()
    }


def research_zip(frames: dict[str, pd.DataFrame], key: str | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in research_frames(frames, key).items():
            archive.writestr(
                f"{name}.csv", neutralised(table).to_csv(index=False, lineterminator="\n")
            )
        archive.writestr(
            "README.txt",
            "Pseudonymised extract. Families without recorded consent to share are left out.\n"
            "pseudo_id is a keyed hash of the family reference; the key is not included.\n"
            "Dates are reduced to the month; notes, comments, goal wording and names are "
            "removed.\n",
        )
    return buffer.getvalue()
