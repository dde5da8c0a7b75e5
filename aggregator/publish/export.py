"""Bulk downloads: ``ocds-atlas export DIR`` writes

- ``compiled/<publisher>/<year>.jsonl.gz`` and ``undated.jsonl.gz``: one compiled release a line, by OCID, by the
  UTC year of its first release's date; ``full.jsonl.gz``: those files one after the other (see ``compiled``),
  each rewritten only when its compiled releases changed;
- ``tables/<table>.csv.gz`` and ``tables/<table>.parquet`` for every table of ``downloads.DOWNLOADS`` (publishers,
  the normalized tables, the cross-country processes, quality), keyed by publisher and OCID; the tables of processes
  by publisher and year, each part rewritten only when its processes changed (see ``table_parts``);
  ``indicators.csv``;
- ``datapackage.json``: a Frictionless Data Package describing every file and field, each publisher's licence and
  the sources; ``SHA256SUMS``: their checksums.

Everything is read in one repeatable-read snapshot through server-side cursors, in batches, and written as it
is read (gzip streams, Parquet row groups), through ``*.partial`` files renamed into place. Nothing depends on the
clock or on the database's ids: the same data give the same bytes, however many times they were loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from aggregator.db import query
from aggregator.publish import compiled, datapackage, table_parts
from aggregator.publish.downloads import DOWNLOADS, Download
from aggregator.publish.tables import Column, write_query


@dataclass(frozen=True)
class ExportedFile:
    publisher: str | None  # a compiled file's publisher; None for files of every publisher
    path: Path
    lines: int  # compiled releases, or table rows
    kind: str = "compiled"  # compiled (full.jsonl.gz), compiled_part (by year), csv, parquet
    name: str = ""  # the data package's resource name
    description: str = ""
    columns: list[Column] = field(default_factory=list)
    download: Download | None = None  # the table a csv or parquet file holds
    sha256: str = ""  # known when the export computed it as it wrote (compiled files)
    content: str = ""  # a compiled file's or a table of processes' fingerprint
    written: bool = True  # False: an unchanged file left as it was


def export(
    conn: psycopg.Connection, directory: Path, on_file: Callable[[ExportedFile], None] | None = None
) -> list[ExportedFile]:
    """Write every download into ``directory``; return what was written (not datapackage.json nor SHA256SUMS)."""
    directory.mkdir(parents=True, exist_ok=True)
    previous = compiled.previous_files(directory)
    exported: list[ExportedFile] = []

    def add(files: list[ExportedFile]) -> None:
        for file in files:
            exported.append(file)
            if on_file:
                on_file(file)

    # One snapshot for every file; SET TRANSACTION must come first, so not when the caller has a transaction open.
    fresh = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if fresh:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with_data = [
            table_parts.Publisher(r["id"], r["name"], r["level"], r["title"])
            for r in conn.execute(query("publish/export", "select_publishers")).fetchall()
        ]
        for publisher in with_data:
            add(write_compiled(conn, publisher.id, publisher.name, directory, previous))
        parts = table_parts.parts_of(conn, with_data)
        publishers: list[Mapping[str, Any]] = []
        for download in DOWNLOADS:
            if download.by_part:
                add(write_by_part(conn, download, directory, with_data, parts, previous))
                continue
            files, rows = write_download(conn, download, directory)
            add(files)
            if download.name == "publisher":
                publishers = rows
        rate_sources = [r["source"] for r in conn.execute(query("publish/export", "select_rate_sources")).fetchall()]
    _remove_stale(directory, {f.path for f in exported})
    write_package(directory, exported, [_publisher(r) for r in publishers], rate_sources)
    return exported


def write_compiled(
    conn: psycopg.Connection, publisher_id: int, publisher: str, directory: Path, previous: dict[str, Any]
) -> list[ExportedFile]:
    relative = f"compiled/{publisher}"
    written = compiled.write_publisher(conn, publisher_id, directory / relative, previous, relative)
    return [_compiled_file(publisher, w) for w in written]


def _compiled_file(publisher: str, written: compiled.Written) -> ExportedFile:
    part = written.part
    what = {
        "full": "all years: the files of each year one after the other, undated last",
        "undated": "no release date",
    }.get(part.name, f"first release dated {part.name}, UTC")
    return ExportedFile(
        publisher,
        written.path,
        part.lines,
        kind="compiled" if part.name == "full" else "compiled_part",
        name=f"compiled-{publisher}-{part.name}",
        description=(
            f"{part.lines} compiled releases of {publisher} ({what}), one a line, by OCID "
            f"(OCDS 1.1 release schema: {datapackage.OCDS_RELEASE_SCHEMA})."
        ),
        sha256=written.sha256,
        content=part.content,
        written=written.written,
    )


def write_download(
    conn: psycopg.Connection, download: Download, directory: Path
) -> tuple[list[ExportedFile], list[Mapping[str, Any]]]:
    """A table's files; and its rows when it is the publishers' table (small), for the data package."""
    if (
        download.needs
        and not conn.execute(query("publish/downloads", "table_exists"), {"table": download.needs}).fetchone()[
            "present"
        ]
    ):
        return [], []
    paths = {
        fmt: directory / (download.path or f"tables/{download.name}.{'csv.gz' if fmt == 'csv' else fmt}")
        for fmt in download.formats
    }
    statement = query("publish/downloads", download.name)
    columns, count = write_query(conn, statement, None, paths.get("csv"), paths.get("parquet"))
    files = [_table_file(download, fmt, path, count, columns) for fmt, path in paths.items()]
    rows = conn.execute(statement).fetchall() if download.name == "publisher" else []
    return files, rows


def write_by_part(
    conn: psycopg.Connection,
    download: Download,
    directory: Path,
    publishers: list[table_parts.Publisher],
    parts: list[table_parts.Part],
    previous: dict[str, Any],
) -> list[ExportedFile]:
    """A table of processes' files, from its parts (rewritten only where they changed)."""
    paths = {fmt: directory / f"tables/{download.name}.{'csv.gz' if fmt == 'csv' else fmt}" for fmt in download.formats}
    columns, wholes = table_parts.write_table(conn, download.name, publishers, parts, paths, previous, directory)
    return [
        _table_file(download, fmt, w.path, w.rows, columns, sha256=w.sha256, content=w.content, written=w.written)
        for fmt, w in zip(paths, wholes, strict=True)
    ]


def _table_file(
    download: Download, fmt: str, path: Path, rows: int, columns: list[Column], **known: Any
) -> ExportedFile:
    """A table's file as exported (``known``: its checksum, fingerprint, whether written, when already known)."""
    name = download.name if download.path else f"{download.name}-{fmt}"
    description = download.description + (" Exact numbers." if fmt == "csv" else " Numbers as doubles.")
    return ExportedFile(None, path, rows, fmt, name, description, columns, download, **known)


def _publisher(row: Mapping[str, Any]) -> datapackage.Publisher:
    return datapackage.Publisher(
        row["publisher"],
        row["title"],
        row["country"],
        row["url"],
        row["licence"],
        row["level"],
        row["coverage_start"],
        row["coverage_end"],
    )


def _remove_stale(directory: Path, written: set[Path]) -> None:
    """Files of an earlier export that this one did not write (a year that no longer has releases)."""
    for pattern in ("compiled/*/*.jsonl.gz", "tables/*.csv.gz", "tables/*.parquet"):
        for path in directory.glob(pattern):
            if path not in written:
                path.unlink()


def write_package(
    directory: Path, files: list[ExportedFile], publishers: list[datapackage.Publisher], rate_sources: list[str]
) -> None:
    """datapackage.json, then SHA256SUMS of every file (datapackage.json included)."""
    sums = {f.path.relative_to(directory).as_posix(): f.sha256 or compiled.sha256_of(f.path) for f in files}
    resources = [
        datapackage.Resource(
            name=f.name,
            path=f.path.relative_to(directory).as_posix(),
            kind="compiled" if f.kind.startswith("compiled") else f.kind,
            bytes=f.path.stat().st_size,
            sha256=sums[f.path.relative_to(directory).as_posix()],
            rows=f.lines,
            description=f.description,
            fields=[(c.name, c.field_type) for c in f.columns],
            download=f.download,
            publisher=f.publisher,
            content=f.content,
        )
        for f in files
    ]
    created = max((p.coverage_end for p in publishers if p.coverage_end), default=None)
    package = directory / "datapackage.json"
    descriptor = datapackage.descriptor(resources, publishers, rate_sources, created)
    package.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sums["datapackage.json"] = compiled.sha256_of(package)
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    (directory / "SHA256SUMS").write_text(lines, encoding="utf-8")
