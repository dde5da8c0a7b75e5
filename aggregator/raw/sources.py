"""Sources: logical files as streams of bytes, and the limits and budget that guard reading them.

A :class:`Source` is a file or an archive member; :class:`ReadLimits` bound what one file may expand to, and a
:class:`Budget` counts what was decompressed (see :mod:`aggregator.raw.archives`, which makes the sources).
"""

from __future__ import annotations

import io
import lzma
import os
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aggregator.raw.shapes import Problem

SKIPPED_SUFFIXES = frozenset({".csv", ".md"})
SKIPPED_PREFIXES = ("MANIFEST", "README")
MAX_NESTING = 3
CHUNK = 1 << 20
ARCHIVE_ERRORS = (zlib.error, lzma.LZMAError, zipfile.BadZipFile, tarfile.TarError)
READ_ERRORS = (OSError, EOFError, ValueError, NotImplementedError, RuntimeError, *ARCHIVE_ERRORS)
Opener = Callable[[], IO[bytes]]


def _environment_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


@dataclass(frozen=True)
class ReadLimits:
    """How large things are read. Defaults come from the environment, read at call time."""

    #: A source larger than this is parsed incrementally (``OCDS_ATLAS_READ_STREAM_THRESHOLD``, bytes).
    stream_threshold: int = 16 << 20
    #: In such a source, a line of JSON lines longer than this too (``OCDS_ATLAS_READ_LINE_THRESHOLD``, bytes).
    line_threshold: int = 16 << 20
    #: An archive may expand to this many times its own size (``OCDS_ATLAS_ARCHIVE_MAX_RATIO``)…
    max_ratio: int = 100
    #: …but always to this many bytes, so that small archives of repetitive JSON are not refused.
    ratio_floor: int = 16 << 20
    #: An archive never expands past this many bytes (``OCDS_ATLAS_ARCHIVE_MAX_BYTES``).
    max_bytes: int = 4 << 30

    @classmethod
    def from_environment(cls) -> ReadLimits:
        return cls(
            stream_threshold=_environment_int("OCDS_ATLAS_READ_STREAM_THRESHOLD", cls.stream_threshold),
            line_threshold=_environment_int("OCDS_ATLAS_READ_LINE_THRESHOLD", cls.line_threshold),
            max_ratio=_environment_int("OCDS_ATLAS_ARCHIVE_MAX_RATIO", cls.max_ratio),
            max_bytes=_environment_int("OCDS_ATLAS_ARCHIVE_MAX_BYTES", cls.max_bytes),
        )


@dataclass
class Source:
    """One logical file: a plain file, an archive member, or a decompressed .gz file."""

    name: str  # "path", or "archive.zip!member.json"
    #: The whole content (for small sources; prefer ``open``).
    read: Callable[[], bytes]
    #: A new stream of the content, when it can be streamed; close it after use.
    open: Opener | None = None
    #: The size in bytes, when known for sure without reading (plain files).
    size: int | None = None


class ArchiveTooLarge(Exception):
    """Raised while reading an archive that expands past its budget; carries the note."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class Budget:
    """How many bytes an archive (with everything nested in it) may expand to."""

    def __init__(self, name: str, compressed_size: int, limits: ReadLimits) -> None:
        self.name = name
        self.limit = min(limits.max_bytes, max(limits.max_ratio * compressed_size, limits.ratio_floor))
        self.compressed_size = compressed_size
        self.used = 0
        self.exceeded = False

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            self.exceeded = True
            raise ArchiveTooLarge(self.problem())

    def problem(self) -> Problem:
        message = (
            f"The archive expands to more than {self.limit:,} bytes (it is {self.compressed_size:,} bytes), "
            "so reading it was stopped; what was read before was kept."
        )
        data = {"name": self.name, "limit": self.limit, "size": self.compressed_size}
        return Problem("error", "archive_too_large", message, data)


class Metered(io.RawIOBase):
    """A decompressed stream that charges each new byte it gives to a :class:`Budget` (bytes read again after a
    seek back are not charged twice). Closing it closes what it wraps."""

    def __init__(self, inner: IO[bytes], budget: Budget, closing: tuple[IO[bytes], ...] = ()) -> None:
        super().__init__()
        self._inner = inner
        self._read = getattr(inner, "read1", inner.read)
        self._budget = budget
        self._closing = closing
        self._position = 0
        self._high = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._inner.seekable()

    def readinto(self, buffer: Any) -> int:
        # read1: a truncated stream gives what it decompressed before the error comes, on the next call.
        data = self._read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self._position += count
        if self._position > self._high:
            new, self._high = self._position - self._high, self._position
            self._budget.spend(new)
        return count

    def read1(self, size: int = -1) -> bytes:
        return self.read(size if size >= 0 else CHUNK)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._position = self._inner.seek(offset, whence)
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
            for stream in self._closing:
                stream.close()
        super().close()


@dataclass
class Expansion:
    """What every level of one file's expansion shares."""

    budget: Budget
    limits: ReadLimits
    pattern: str | None
    temporary: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)


def sniff(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head[257:262] == b"ustar":
        return "tar"
    return None


def skipped(name: str) -> bool:
    """Hidden files and folders, macOS resource forks, MANIFEST*, README*, *.csv and *.md."""
    base = name.rsplit("/", 1)[-1]
    if base.startswith(".") or "__MACOSX/" in name or base.upper().startswith(SKIPPED_PREFIXES):
        return True
    hidden_folder = any(part.startswith(".") for part in name.split("/")[:-1])
    return hidden_folder or Path(base).suffix.lower() in SKIPPED_SUFFIXES


def unreadable(name: str, error: Exception) -> Problem:
    message = f"The file can't be read: {error}."
    return Problem("error", "unreadable_file", message, {"name": name, "error": str(error)})


def read_all(opener: Opener) -> bytes:
    with opener() as stream:
        return stream.read()


def read_head(stream: IO[bytes], limit: int) -> tuple[bytes, Exception | None]:
    """Up to ``limit`` bytes from the start of ``stream``, and the error that stopped the reading early, if any:
    what could be decompressed before a truncated or corrupt part is kept."""
    chunks: list[bytes] = []
    size = 0
    read = getattr(stream, "read1", stream.read)
    try:
        while size < limit:
            chunk = read(min(CHUNK, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except READ_ERRORS as error:
        return b"".join(chunks), error
    return b"".join(chunks), None
