"""The canonical CSV files: their names, columns and column order.

The importer recognises a file by its signature column; the exporter and the
sample generator write the columns in this order, so every tool agrees.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileKind:
    name: str
    signature: str
    columns: tuple[str, ...]
    optional: frozenset[str] = frozenset()

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column for column in self.columns if column not in self.optional)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


# Listed in the order they are written, so every reference exists before it is used.
FILE_KINDS = (
    FileKind(
        "key_workers", "background", ("name", "background", "dedicated"), frozenset({"dedicated"})
    ),
    FileKind(
        "families",
        "tier_of_need",
        (
            "family_ref",
            "area",
            "tier_of_need",
            "key_worker",
            "referral_source",
            "referral_date",
            "closed_on",
            "closure_reason",
            "closure_note",
            "age_group",
            "child_disability",
            "presenting_issues",
            "re_referred_on",
            "consent_to_share",
            "consent_on",
        ),
        frozenset(
            {
                "closed_on",
                "closure_reason",
                "closure_note",
                "age_group",
                "child_disability",
                "presenting_issues",
                "re_referred_on",
                "consent_to_share",
                "consent_on",
            }
        ),
    ),
    FileKind(
        "scores",
        "score",
        ("family_ref", "instrument", "occasion", "assessed_on", "rater", "domain", "score", "note"),
        frozenset({"note"}),
    ),
    FileKind(
        "goals",
        "goal",
        ("family_ref", "goal", "domain", "status", "set_on", "status_on"),
        frozenset({"domain", "status_on"}),
    ),
    FileKind("activities", "hours", ("family_ref", "activity_on", "hours", "kind")),
    FileKind("referrals_on", "service", ("family_ref", "service", "referred_on")),
    FileKind(
        "feedback",
        "satisfaction",
        ("family_ref", "given_on", "satisfaction", "comment"),
        frozenset({"comment"}),
    ),
    FileKind(
        "notes",
        "written_on",
        ("family_ref", "written_on", "author", "note"),
        frozenset({"author"}),
    ),
)
CANONICAL = {kind.name: kind for kind in FILE_KINDS}
CHILD_KINDS = ("goals", "activities", "referrals_on", "feedback", "notes")
