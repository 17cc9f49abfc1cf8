"""Writing the canonical CSV files: the same layout the importer reads.

The files are sorted and formatted the same way every time, so an export of
a database rebuilt from an export is byte-for-byte identical.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection

from tracker.files.canonical import FILE_KINDS, FileKind
from tracker.files.formula_guard import neutralised


def _yes_no(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return "yes" if value else "no"


def _number(value) -> str:
    if value is None or pd.isna(value):
        return "NA"
    return f"{float(value):g}"


# How a stored value is written, by the type the model stores it as; others as pandas does.
WRITTEN_AS = {bool: _yes_no, float: _number}


def _rows(connection: Connection, kind: FileKind) -> pd.DataFrame:
    """A kind's stored rows as its file holds them, in its export order."""
    statement = kind.select(*kind.fields.values()).order_by(
        *(kind.fields[column] for column in kind.order)
    )
    frame = pd.DataFrame(connection.execute(statement).all(), columns=list(kind.columns))
    for column in kind.columns:
        written = WRITTEN_AS.get(kind.stored_type(column))
        if written is not None:
            frame[column] = frame[column].map(written)
    return frame


def canonical_frames(connection: Connection) -> dict[str, pd.DataFrame]:
    """Every canonical file's rows, by file stem."""
    return {kind.name: _rows(connection, kind) for kind in FILE_KINDS}


def _file_frame(frames: dict[str, pd.DataFrame], kind: FileKind) -> pd.DataFrame:
    """A kind's rows in canonical column order, formula-safe; a kind not given (a generator
    that makes none of them) is its header alone, so every export holds every file."""
    frame = frames.get(kind.name, pd.DataFrame(columns=list(kind.columns)))
    return neutralised(frame[list(kind.columns)])


def write_canonical_csvs(frames: dict[str, pd.DataFrame], directory: Path) -> list[Path]:
    """Write each frame as its canonical file, with the columns in canonical order."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in FILE_KINDS:
        path = directory / kind.filename
        frame = _file_frame(frames, kind)
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    return written


def canonical_zip(frames: dict[str, pd.DataFrame]) -> bytes:
    """Every canonical CSV in one zip, formula-safe; the importer reads it back unchanged."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in FILE_KINDS:
            frame = _file_frame(frames, kind)
            archive.writestr(kind.filename, frame.to_csv(index=False, lineterminator="\n"))
    return buffer.getvalue()


def canonical_workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    """Every canonical file as a sheet of one workbook, formula-safe."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for kind in FILE_KINDS:
            frame = _file_frame(frames, kind)
            frame.to_excel(writer, sheet_name=kind.name, index=False)
    return buffer.getvalue()
