"""Compiled releases as downloads, rewritten only where they changed.

A publisher's compiled releases go to one file per UTC year of their first release date (``<year>.jsonl.gz``,
``undated.jsonl.gz`` without one), one compiled release a line, by OCID (bytewise order). Each such part is one
gzip member; ``full.jsonl.gz`` is the parts one after the other (by year, undated last), which is itself valid
gzip (a gzip file may hold several members), so every compiled release is serialized and compressed once.

Each part has a *content* fingerprint, computed by the database without reading the bodies: the SHA-256 of its
OCIDs and of the hashes of their compiled releases' canonical JSON, in file order (and of :data:`FORMAT`, so that
a change of the files' layout rewrites them). The data package of the previous export keeps every part's
fingerprint, size and checksum; a part whose fingerprint is unchanged and whose file is still there, with the same
size and checksum, is not written again, and ``full.jsonl.gz`` is concatenated again only when a part changed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg

from aggregator.db import query

#: Part of every fingerprint: change it when the same compiled releases would give other bytes.
FORMAT = "ocds-atlas compiled parts, gzip member per year, 1"
CONTENT = "ocds_atlas_content"  # the data package's property holding a compiled file's fingerprint
BATCH = 1000


@dataclass(frozen=True)
class Part:
    name: str  # "2023", "undated" or "full"
    year: int | None
    lines: int
    content: str  # fingerprint, hex


@dataclass(frozen=True)
class Written:
    """A compiled file as exported: its part, checksum, and whether this export wrote it."""

    part: Part
    path: Path
    sha256: str
    written: bool


@dataclass(frozen=True)
class Previous:
    """A file as the previous export's data package describes it."""

    content: str
    bytes: int
    sha256: str


def previous_files(directory: Path) -> dict[str, Previous]:
    """What the previous export wrote, by path relative to ``directory`` (nothing when there was none)."""
    try:
        descriptor = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
        return {
            r["path"]: Previous(r[CONTENT], int(r["bytes"]), r["hash"].removeprefix("sha256:"))
            for r in descriptor.get("resources", [])
            if CONTENT in r
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def parts_of(conn: psycopg.Connection, publisher_id: int) -> list[Part]:
    """A publisher's parts, by year then undated, with their fingerprints."""
    rows = conn.execute(query("publish/export", "select_compiled_parts"), {"publisher_id": publisher_id})
    parts = []
    for row in rows:
        name = "undated" if row["year"] is None else str(row["year"])
        content = hashlib.sha256(f"{FORMAT}\n{name}\n{row['content']}".encode()).hexdigest()
        parts.append(Part(name, row["year"], row["lines"], content))
    return parts


def full_part(parts: list[Part]) -> Part:
    content = hashlib.sha256("\n".join([FORMAT, *(p.content for p in parts)]).encode()).hexdigest()
    return Part("full", None, sum(p.lines for p in parts), content)


def write_publisher(
    conn: psycopg.Connection, publisher_id: int, folder: Path, previous: dict[str, Previous], relative: str
) -> list[Written]:
    """Bring ``folder`` (``relative`` in the export) up to date with the publisher's compiled releases: parts first,
    then ``full.jsonl.gz``; return them with ``full`` first."""
    parts = parts_of(conn, publisher_id)
    kept = {p.name: sha for p in parts if (sha := _unchanged(folder, p, previous.get(f"{relative}/{p.name}.jsonl.gz")))}
    fresh = _write_parts(conn, publisher_id, folder, [p for p in parts if p.name not in kept])
    results = [
        Written(p, folder / f"{p.name}.jsonl.gz", kept.get(p.name) or fresh[p.name], p.name not in kept) for p in parts
    ]
    full = full_part(parts)
    full_path = folder / "full.jsonl.gz"
    sha = None if fresh else _unchanged(folder, full, previous.get(f"{relative}/full.jsonl.gz"))
    written = sha is None
    if sha is None:
        sha = concatenate(full_path, [r.path for r in results])
    return [Written(full, full_path, sha, written), *results]


def _unchanged(folder: Path, part: Part, previous: Previous | None) -> str | None:
    """The file's checksum when it holds exactly this part already; else None."""
    return unchanged(folder / f"{part.name}.jsonl.gz", part.content, previous)


def unchanged(path: Path, content: str, previous: Previous | None) -> str | None:
    """The file's checksum when the previous export wrote it with this content fingerprint and it still has the size
    and checksum it had then; else None."""
    if previous is None or previous.content != content:
        return None
    try:
        if path.stat().st_size != previous.bytes:
            return None
    except OSError:
        return None
    sha = sha256_of(path)
    return sha if sha == previous.sha256 else None


def _write_parts(conn: psycopg.Connection, publisher_id: int, folder: Path, parts: list[Part]) -> dict[str, str]:
    """Write these parts in one pass over their compiled releases; return their checksums."""
    if not parts:
        return {}
    years = [-1 if p.year is None else p.year for p in parts]
    sums: dict[str, str] = {}
    with conn.cursor(name="export_compiled") as cursor:
        cursor.itersize = BATCH
        cursor.execute(query("publish/export", "select_compiled"), {"publisher_id": publisher_id, "years": years})
        rows = iter(cursor)
        pending = next(rows, None)
        for part in parts:
            hashed = _HashedGzip(folder / f"{part.name}.jsonl.gz")
            with hashed as stream:
                while pending is not None and pending["part"] == part.name:
                    stream.write(pending["body"].encode() + b"\n")
                    pending = next(rows, None)
            sums[part.name] = hashed.sha256
    return sums


def concatenate(path: Path, parts: list[Path], head: bytes = b"") -> str:
    """``path`` as ``head`` (gzip members already made) and the parts' gzip members one after the other, through
    ``path.partial``; return its checksum."""
    digest = hashlib.sha256(head)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        out.write(head)
        for part in parts:
            with part.open("rb") as f:
                for chunk in _chunks(f):
                    digest.update(chunk)
                    out.write(chunk)
        if not parts and not head:  # no compiled release: an empty gzip file is still valid gzip
            empty = gzip.compress(b"", mtime=0)
            digest.update(empty)
            out.write(empty)
    partial.replace(path)
    return digest.hexdigest()


def _chunks(f: IO[bytes]) -> Iterator[bytes]:
    while chunk := f.read(1 << 20):
        yield chunk


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in _chunks(f):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingWriter:
    """A file that hashes what is written to it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class _HashedGzip:
    """One gzip member (mtime 0, no file name) into ``path.partial``, renamed into place when closed without an
    error; ``sha256`` is the file's checksum once closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.sha256 = ""

    def __enter__(self) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stack = ExitStack()
        raw = self.stack.enter_context(self.partial.open("wb"))
        self.hashing = _HashingWriter(raw)
        self.gz = gzip.GzipFile(filename="", fileobj=self.hashing, mode="wb", mtime=0, compresslevel=6)  # type: ignore[arg-type]
        return self.gz

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.gz.close()
        self.stack.close()
        if kind is None:
            self.partial.replace(self.path)
            self.sha256 = self.hashing.digest.hexdigest()
        else:
            self.partial.unlink(missing_ok=True)
