"""Opening zips (a full export, or an Excel workbook, which is a zip too) so that no upload
can unpack into more than the server can hold.

What a zip declares is checked before anything is unpacked: how many files it holds, how
big they are unpacked, and how many times smaller each is packed. Declared sizes can lie,
so each file is then unpacked in small pieces and its real bytes are counted against the
same limits, stopping at the first piece past one.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from tracker.files.problems import FileRejected, Problem
from tracker.store.settings import Settings

MB = 1024 * 1024
# Unpacked a piece at a time, so a lying size costs one piece of memory past the limit.
PIECE = 64 * 1024
# What a damaged zip raises: its own error, zlib's, a short read, or a method it lacks.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True)
class ZipLimits:
    members: int
    unpacked_mb: int
    ratio: int

    @classmethod
    def of(cls, settings: Settings) -> ZipLimits:
        return cls(settings.zip_max_members, settings.zip_max_unpacked_mb, settings.zip_max_ratio)


class BoundedZip:
    """A zip whose declared sizes are within the limits, unpacked while counting."""

    def __init__(self, data: bytes, name: str, limits: ZipLimits, *, what: str, unreadable: str):
        self.name = name
        self.what = what  # "zip" or "workbook", as messages call the file
        self.limits = limits
        self.unpacked = 0
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            self.members = [info for info in self.archive.infolist() if not info.is_dir()]
        except ZIP_ERRORS as error:
            raise FileRejected(Problem(name, 0, "-", unreadable)) from error
        self._check_declared()

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, *exc) -> None:
        self.archive.close()

    def _check_declared(self) -> None:
        limits = self.limits
        if len(self.members) > limits.members:
            raise self._refusal(
                self.name,
                f"the {self.what} holds {len(self.members):,} files, more than the limit of "
                f"{limits.members:,} (TRACKER_ZIP_MAX_MEMBERS)",
            )
        if sum(info.file_size for info in self.members) > limits.unpacked_mb * MB:
            raise self._too_big()
        for info in self.members:
            if info.file_size > limits.ratio * max(info.compress_size, 1):
                raise self._too_packed(info, info.file_size)

    @staticmethod
    def _refusal(where: str, message: str) -> FileRejected:
        return FileRejected(Problem(where, 0, "-", message))

    def _too_big(self) -> FileRejected:
        return self._refusal(
            self.name,
            f"the {self.what} unpacks to more than the limit of {self.limits.unpacked_mb:,} MB "
            "(TRACKER_ZIP_MAX_UNPACKED_MB)",
        )

    def _too_packed(self, info: zipfile.ZipInfo, unpacked: int) -> FileRejected:
        ratio = unpacked / max(info.compress_size, 1)
        return self._refusal(
            self.where(info),
            f"this file unpacks to {ratio:,.0f} times its packed size, more than the limit of "
            f"{self.limits.ratio:,} times (TRACKER_ZIP_MAX_RATIO); it may be a zip bomb",
        )

    def where(self, info: zipfile.ZipInfo) -> str:
        """How messages name a file inside the zip: ``export.zip[scores.csv]``."""
        return f"{self.name}[{info.filename}]"

    def pieces(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's bytes, a piece at a time, each counted against the limits."""
        unpacked = 0
        try:
            with self.archive.open(info) as member:
                while piece := member.read(PIECE):
                    unpacked += len(piece)
                    self.unpacked += len(piece)
                    if self.unpacked > self.limits.unpacked_mb * MB:
                        raise self._too_big()
                    if unpacked > self.limits.ratio * max(info.compress_size, 1):
                        raise self._too_packed(info, unpacked)
                    yield piece
        except ZIP_ERRORS as error:
            raise self._refusal(
                self.where(info),
                f"this file in the {self.what} cannot be read: it is damaged, encrypted, "
                "or its sizes are wrong",
            ) from error

    def read(self, info: zipfile.ZipInfo) -> bytes:
        return b"".join(self.pieces(info))
