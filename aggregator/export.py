"""Bulk downloads. First cut: one gzipped JSON-lines file of compiled releases per publisher."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from aggregator.db import query


@dataclass(frozen=True)
class ExportedFile:
    publisher: str
    path: Path
    lines: int


def export(
    conn: psycopg.Connection, directory: Path, on_file: Callable[[ExportedFile], None] | None = None
) -> list[ExportedFile]:
    """Write ``DIR/compiled/<publisher>/full.jsonl.gz`` for every publisher with compiled releases."""
    exported = []
    for row in conn.execute(query("export", "select_publishers")).fetchall():
        path = directory / "compiled" / row["name"] / "full.jsonl.gz"
        lines = _write_compiled(conn, row["id"], path)
        exported.append(ExportedFile(row["name"], path, lines))
        if on_file:
            on_file(exported[-1])
    return exported


def _write_compiled(conn: psycopg.Connection, publisher_id: int, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    lines = 0
    # mtime=0 makes the same data give the same bytes, so that checksums of downloads are stable.
    with conn.transaction(), conn.cursor(name="export_compiled") as cursor, partial.open("wb") as raw:
        cursor.itersize = 1000
        cursor.execute(query("export", "select_compiled"), {"publisher_id": publisher_id})
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            for row in cursor:
                out.write(row["body"].encode())
                out.write(b"\n")
                lines += 1
    partial.replace(path)
    return lines
