"""Whose records an import may touch: everyone's for a manager, a key worker's own families'
scores for a practitioner bringing back an offline form.

A practitioner's files are cut down before anything is compared with the store: a file of
another kind, and every row about a family not on their caseload, is a problem and is left
out, so no message goes on to say anything about someone else's family. The refusal is the
same for a family on another caseload and for one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tracker.files.importing.reading import ParsedFile
from tracker.files.problems import Problem, Problems
from tracker.people.access import (
    FAMILY_REFUSAL,
    Viewer,
    allowed,
    authorise_role,
    visible_families,
)
from tracker.store.models import Family

# What a practitioner may bring in: scores (the offline form, or a sheet of scores).
PRACTITIONER_KINDS = frozenset({"scores"})


@dataclass(frozen=True)
class ImportScope:
    families: frozenset[str]  # the references the import may touch
    kinds: frozenset[str] = PRACTITIONER_KINDS


def is_scoped(viewer: Viewer | None) -> bool:
    """Whether this viewer's imports are held to their own caseload (None: the command line)."""
    return viewer is not None and not allowed(viewer, "import_data")


def import_scope(connection: Connection, viewer: Viewer | None) -> ImportScope | None:
    """None when the import may touch every family; otherwise the viewer's own families.

    Raises ``AccessDenied`` for a role that may not import at all.
    """
    if not is_scoped(viewer):
        return None
    authorise_role(viewer, "offline_form")
    references = connection.execute(
        sa.select(Family.family_ref).where(visible_families(viewer))
    ).scalars()
    return ImportScope(frozenset(references))


def within(files: list[ParsedFile], scope: ImportScope, problems: Problems) -> list[ParsedFile]:
    """The files' rows the scope allows; each file and row it does not is a problem."""
    kept = []
    for parsed in files:
        if parsed.kind.name not in scope.kinds:
            problems.append(
                Problem(
                    parsed.file,
                    1,
                    "-",
                    f"this is {parsed.kind.filename}, which only a manager can import; "
                    "bring back offline forms (scores) here",
                )
            )
            continue
        rows = parsed.rows
        outside = ~rows["family_ref"].isin(scope.families)
        refused = rows.assign(line=parsed.line_of("family_ref", rows["line"]))[outside]
        refused = refused.drop_duplicates(["family_ref", "line"])
        problems.each(
            refused.itertuples(),
            len(refused),
            lambda row, parsed=parsed: Problem(
                parsed.file,
                int(row.line),
                "family_ref",
                FAMILY_REFUSAL,
                value=str(row.family_ref),
            ),
            "error",
        )
        kept.append(replace(parsed, rows=rows[~outside].reset_index(drop=True)))
    return kept
