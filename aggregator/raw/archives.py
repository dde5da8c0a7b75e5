"""Logical files in a file on disk: the file itself, or the members of its archives, streamed and guarded.

Archives (zip, tar, gzip, bz2, xz, nested up to :data:`MAX_NESTING` levels) are recognised by their magic bytes.
A member is never decompressed into memory whole by this module: each :class:`Source` opens a stream of its
bytes. Guards, as notes (never exceptions):

- a member whose name is absolute or has a ``..`` component is refused (``unsafe_member``);
- an archive's expansion, counted while decompressing (headers can lie), is stopped once it passes
  :attr:`ReadLimits.max_ratio` times the archive's size (past :attr:`ReadLimits.ratio_floor`) or
  :attr:`ReadLimits.max_bytes` (``archive_too_large``); what was read before stays read;
- ``member_pattern``: members whose names do not match the glob are skipped (one ``member_pattern_skipped`` note).

RAR archives are read through libarchive (the ``libarchive-c`` package over the system's libarchive): its members
can only be read in order, once, so each kept member is copied (and charged to the budget) to a temporary file as
the archive is read. Without libarchive, a RAR archive gives an ``unsupported_archive`` note.
"""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import io
import lzma
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from aggregator.raw.shapes import Problem
from aggregator.raw.sources import (
    CHUNK,
    MAX_NESTING,
    READ_ERRORS,
    ArchiveTooLarge,
    Budget,
    Expansion,
    Metered,
    Opener,
    ReadLimits,
    Source,
    read_all,
    read_head,
    skipped,
    sniff,
    unreadable,
)

_DECOMPRESSORS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bz2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115 (the caller closes it)
}
_DRIVE = re.compile(r"^[A-Za-z]:")
RAR_UNSUPPORTED = (
    "RAR archives are read with libarchive, which could not be loaded on this machine "
    "(install the libarchive13 system package)"
)


# Entry point


def expand_file(path: Path, member_pattern: str | None, limits: ReadLimits) -> Iterator[Source | Problem]:
    """The logical files of one file on disk (see the module's docstring)."""
    try:
        with path.open("rb") as file:
            head = file.read(512)
        size = path.stat().st_size
    except OSError as error:
        yield unreadable(str(path), error)
        return
    kind = sniff(head)
    if kind is None:
        yield Source(str(path), path.read_bytes, lambda: path.open("rb"), size)
        return
    expansion = Expansion(Budget(str(path), size, limits), limits, member_pattern)
    try:
        yield from _expand(str(path), kind, lambda: path.open("rb"), 0, expansion)
    finally:
        for directory in expansion.temporary:
            directory.cleanup()


# Archives


def _expand(name: str, kind: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    """Yield the members of an archive, recursing into nested archives."""
    if depth >= MAX_NESTING:
        yield unreadable(name, ValueError(f"archives are nested more than {MAX_NESTING} levels deep"))
        return
    try:
        if kind in _DECOMPRESSORS:
            yield from _decompressed(name, kind, opener, depth, expansion)
        elif kind == "rar":
            yield from _rar_members(name, opener, depth, expansion)
        else:
            yield from _members(name, kind, opener, depth, expansion)
    except ArchiveTooLarge as error:
        yield error.problem
    except READ_ERRORS as error:
        yield Problem(
            "error",
            "invalid_archive",
            f"The {kind} archive can't be read: {error}.",
            {"name": name, "error": str(error)},
        )


def _decompressing(kind: str, opener: Opener, budget: Budget) -> IO[bytes]:
    raw = opener()
    try:
        return Metered(_DECOMPRESSORS[kind](raw), budget, (raw,))
    except BaseException:
        raw.close()
        raise


def _decompressed(name: str, kind: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    """A decompressed file keeps the compressed file's name, unless it is an archive itself."""

    def open_stream() -> IO[bytes]:
        return _decompressing(kind, opener, expansion.budget)

    with open_stream() as stream:
        head, error = read_head(stream, 512)
    if error is not None and not head:
        raise error
    inner = sniff(head)
    if inner == "tar":
        yield from _tar_members(name, open_stream, depth, expansion)
    elif inner is not None:
        yield from _nested(name, inner, open_stream, depth, expansion)
    else:
        yield Source(name, lambda: read_all(open_stream), open_stream)


def _members(name: str, kind: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    if kind == "zip":
        yield from _zip_members(name, opener, depth, expansion)
    else:
        yield from _tar_members(name, opener, depth, expansion)


def _zip_members(name: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    with opener() as file, zipfile.ZipFile(file) as archive:
        infos = {i.filename: i for i in archive.infolist() if not i.is_dir() and _kept(i.filename)}
        declared = sum(info.file_size for info in infos.values())
        if expansion.budget.used + declared > expansion.budget.limit:  # the headers already say too much
            expansion.budget.exceeded = True
            yield expansion.budget.problem()
            return

        def member_opener(member: str) -> Opener:
            return lambda: Metered(archive.open(infos[member]), expansion.budget)

        yield from _each_member(name, sorted(infos), member_opener, depth, expansion)


def _tar_members(name: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    with opener() as file, tarfile.open(fileobj=file, mode="r:") as archive:
        files = {m.name: m for m in archive.getmembers() if m.isfile() and _kept(m.name)}

        def member_opener(member: str) -> Opener:
            def open_member() -> IO[bytes]:
                stream = archive.extractfile(files[member])
                if stream is None:
                    raise tarfile.TarError(f"{member} is not a regular file")
                return stream

            return open_member

        yield from _each_member(name, sorted(files), member_opener, depth, expansion)


def _rar_members(name: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    try:
        import libarchive
    except (ImportError, OSError) as error:
        yield Problem("error", "unsupported_archive", f"{RAR_UNSUPPORTED}: {error}", {"name": name, "kind": "rar"})
        return
    directory = tempfile.TemporaryDirectory(prefix="ocds-atlas-")
    expansion.temporary.append(directory)
    spilled: dict[str, Path] = {}
    try:
        with opener() as file, libarchive.stream_reader(file, format_name="rar") as archive:
            for index, entry in enumerate(archive):
                if entry.isfile and _kept(entry.pathname) and entry.pathname not in spilled:
                    spilled[entry.pathname] = _spill_entry(entry, Path(directory.name) / f"{index:06d}", expansion)
    except libarchive.ArchiveError as error:
        raise OSError(str(error)) from error

    def member_opener(member: str) -> Opener:
        return lambda: spilled[member].open("rb")

    yield from _each_member(name, sorted(spilled), member_opener, depth, expansion)


def _spill_entry(entry: Any, path: Path, expansion: Expansion) -> Path:
    with path.open("wb") as out:
        for block in entry.get_blocks():
            expansion.budget.spend(len(block))
            out.write(block)
    return path


def _each_member(
    name: str, members: list[str], opener_of: Callable[[str], Opener], depth: int, expansion: Expansion
) -> Iterator[Source | Problem]:
    """Check, filter and yield an archive's members, stopping when the archive's budget is spent."""
    unmatched = 0
    for member in members:
        if expansion.budget.exceeded:
            return
        full_name = f"{name}!{member}"
        if unsafe(member):
            yield _unsafe_member(full_name, member)
            continue
        matches = expansion.pattern is None or fnmatch.fnmatchcase(member, expansion.pattern)
        found = yield from _member(full_name, opener_of(member), depth, expansion, matches)
        unmatched += not found
    if unmatched:
        yield _pattern_note(name, unmatched, expansion.pattern)


def _member(name: str, opener: Opener, depth: int, expansion: Expansion, matches: bool) -> Iterator[Source | Problem]:
    """Yield a member (a source, or the members of a nested archive); return False if it was skipped because it
    does not match the member pattern. Members that do not match are still opened if they are archives."""
    try:
        with opener() as stream:
            head, error = read_head(stream, 512)
    except READ_ERRORS as failure:
        head, error = b"", failure
    if error is not None and not head:
        yield unreadable(name, error)
        return True
    kind = sniff(head)
    if kind is not None:
        yield from _nested(name, kind, opener, depth, expansion)
        return True
    if not matches:
        return False
    yield Source(name, lambda: read_all(opener), opener)
    return True


def _nested(name: str, kind: str, opener: Opener, depth: int, expansion: Expansion) -> Iterator[Source | Problem]:
    """An archive inside an archive: kept in memory if small, else copied to a temporary file, then expanded."""
    with opener() as stream:
        head, error = read_head(stream, expansion.limits.stream_threshold + 1)
        if error is not None:
            raise error
        if len(head) <= expansion.limits.stream_threshold:
            data = head
            nested_opener: Opener = lambda: io.BytesIO(data)  # noqa: E731
        else:
            nested_opener = _spill(head, stream, expansion)
    yield from _expand(name, kind, nested_opener, depth + 1, expansion)


def _spill(head: bytes, stream: IO[bytes], expansion: Expansion) -> Opener:
    directory = tempfile.TemporaryDirectory(prefix="ocds-atlas-")
    expansion.temporary.append(directory)
    path = Path(directory.name) / "nested"
    with path.open("wb") as copy:
        copy.write(head)
        shutil.copyfileobj(stream, copy, CHUNK)
    return lambda: path.open("rb")


def _kept(member: str) -> bool:
    """Members to read, or to refuse with a note: unsafe names are not skipped silently as hidden files."""
    return unsafe(member) or not skipped(member)


def unsafe(member: str) -> bool:
    """An absolute member name, or one that climbs out of the archive."""
    if member.startswith(("/", "\\")) or _DRIVE.match(member):
        return True
    return ".." in re.split(r"[/\\]", member)


def _unsafe_member(name: str, member: str) -> Problem:
    message = "An archive member has an absolute path or a '..' component, so it was refused."
    return Problem("error", "unsafe_member", message, {"name": name, "member": member})


def _pattern_note(name: str, count: int, pattern: str | None) -> Problem:
    message = f"{count} members of the archive do not match {pattern!r} and were skipped."
    return Problem("info", "member_pattern_skipped", message, {"name": name, "count": count, "pattern": pattern})
