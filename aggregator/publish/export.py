"""Bulk downloads: ``ocds-atlas export DIR`` writes

- ``compiled/<publisher>/full.jsonl.gz``, ``<year>.jsonl.gz`` and ``undated.jsonl.gz``: one compiled release a line,
  by OCID; a release's year is the UTC year of its first release's date (``compiled_release.first_date``);
- ``tables/<table>.csv.gz`` and ``tables/<table>.parquet`` for every normalized table, and
  ``tables/processes.parquet``: processes across countries with their publisher and converted amounts;
  ``tables/red_flag.csv.gz`` and ``tables/red_flag.parquet``: every red flag, of a process or a party;
- ``indicators.csv``: every indicator value (a header only when the indicators' table does not exist);
- ``datapackage.json``: a Frictionless Data Package describing all of them; ``SHA256SUMS``: their checksums.

Everything is read in one repeatable-read snapshot through server-side cursors, in batches, and written as it
is read (gzip streams, Parquet row groups), through ``*.partial`` files renamed into place. gzip headers have
mtime 0 and no file name, so the same data give the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql

from aggregator.db import query
from aggregator.publish import datapackage
from aggregator.publish.tables import Column, write_header_only, write_query

NORMALIZED_TABLES = ("process", "award", "contract", "organization", "organization_identifier", "process_party")
INDICATOR_COLUMNS = [
    Column("indicator", "text"),
    Column("level", "text"),
    Column("country", "bpchar"),
    Column("publisher", "text"),
    Column("buyer_org_key", "text"),
    Column("year", "int4"),
    Column("value", "float8"),
    Column("n_eligible", "int4"),
    Column("n_total", "int4"),
    Column("missing_share", "float8"),
    Column("suppressed", "bool"),
    Column("computed_at", "timestamptz"),
]


@dataclass(frozen=True)
class ExportedFile:
    publisher: str | None  # a compiled file's publisher; None for files of every publisher
    path: Path
    lines: int  # compiled releases, or table rows
    kind: str = "compiled"  # compiled (full.jsonl.gz), compiled_part (by year), csv, parquet
    name: str = ""  # the data package's resource name
    description: str = ""
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)


def export(
    conn: psycopg.Connection, directory: Path, on_file: Callable[[ExportedFile], None] | None = None
) -> list[ExportedFile]:
    """Write every download into ``directory``; return what was written (not datapackage.json nor SHA256SUMS)."""
    directory.mkdir(parents=True, exist_ok=True)
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
        rows = conn.execute(query("publish/export", "select_publishers")).fetchall()
        for row in rows:
            add(write_compiled(conn, row["id"], row["name"], directory / "compiled" / row["name"]))
        for table in NORMALIZED_TABLES:
            add(write_table(conn, table, directory / "tables"))
        add([write_processes(conn, directory / "tables" / "processes.parquet")])
        add(write_red_flags(conn, directory / "tables"))
        add([write_indicators(conn, directory / "indicators.csv")])
        rate_sources = [r["source"] for r in conn.execute(query("publish/export", "select_rate_sources")).fetchall()]
    publishers = [datapackage.Publisher(r["name"], r["title"], r["country"], r["url"], r["licence"]) for r in rows]
    _remove_stale(directory, {f.path for f in exported})
    write_package(directory, exported, publishers, rate_sources)
    return exported


def write_compiled(conn: psycopg.Connection, publisher_id: int, publisher: str, folder: Path) -> list[ExportedFile]:
    """One pass over a publisher's compiled releases, by OCID, into full.jsonl.gz and one file per year."""
    counts: dict[str, int] = {}
    with ExitStack() as stack, conn.cursor(name="export_compiled") as cursor:
        cursor.itersize = 1000
        cursor.execute(query("publish/export", "select_compiled"), {"publisher_id": publisher_id})
        streams: dict[str, IO[bytes]] = {}
        for row in cursor:
            line = row["body"].encode() + b"\n"
            for part in ("full", "undated" if row["year"] is None else str(row["year"])):
                if part not in streams:
                    streams[part] = stack.enter_context(_gzip_file(folder / f"{part}.jsonl.gz"))
                    counts[part] = 0
                streams[part].write(line)
                counts[part] += 1
        if "full" not in streams:
            stack.enter_context(_gzip_file(folder / "full.jsonl.gz"))
            counts["full"] = 0
    return [_compiled_file(publisher, folder, part, counts[part]) for part in sorted(counts, key=_part_order)]


def _part_order(part: str) -> tuple[int, str]:
    return (0 if part == "full" else 2 if part == "undated" else 1, part)


def _compiled_file(publisher: str, folder: Path, part: str, lines: int) -> ExportedFile:
    what = {"full": "all years", "undated": "no release date"}.get(part, f"first release dated {part}")
    return ExportedFile(
        publisher,
        folder / f"{part}.jsonl.gz",
        lines,
        kind="compiled" if part == "full" else "compiled_part",
        name=f"compiled-{publisher}-{part}",
        description=(
            f"{lines} compiled releases of {publisher} ({what}), one a line, by OCID "
            f"(OCDS 1.1 release schema: {datapackage.OCDS_RELEASE_SCHEMA})."
        ),
    )


class _gzip_file:
    """A gzip stream into ``path.partial``, renamed to ``path`` when closed without an error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")

    def __enter__(self) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.raw = self.partial.open("wb")
        self.gz = gzip.GzipFile(filename="", fileobj=self.raw, mode="wb", mtime=0, compresslevel=6)
        return self.gz

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.gz.close()
        self.raw.close()
        if kind is None:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)


def write_table(conn: psycopg.Connection, table: str, folder: Path) -> list[ExportedFile]:
    names = [r["name"] for r in conn.execute(query("publish/export", "select_columns"), {"table": table}).fetchall()]
    key = [r["name"] for r in conn.execute(query("publish/export", "select_primary_key"), {"table": table}).fetchall()]
    statement = sql.SQL(query("publish/export", "select_table")).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, names)),
        table=sql.Identifier(table),
        order=sql.SQL(", ").join(map(sql.Identifier, key or names[:1])),
    )
    csv_path, parquet_path = folder / f"{table}.csv.gz", folder / f"{table}.parquet"
    columns, rows = write_query(conn, statement, None, csv_path, parquet_path)
    description = f"The normalized table {table} (see sql/migrations/0004_create_normalized_layer.sql)"
    return [
        ExportedFile(None, csv_path, rows, "csv", f"{table}-csv", description + ", exact numbers.", columns, key),
        ExportedFile(None, parquet_path, rows, "parquet", f"{table}-parquet", description + ".", columns, key),
    ]


def write_processes(conn: psycopg.Connection, path: Path) -> ExportedFile:
    columns, rows = write_query(conn, query("publish/export", "select_processes"), None, parquet_path=path)
    description = (
        "Processes across countries: country, publisher, year (tender period's start, else release date), buyer, "
        "procedure, the tender's amount and the sums of awards' and contracts' amounts in USD, EUR and PPP dollars."
    )
    return ExportedFile(None, path, rows, "parquet", "processes", description, columns)


def write_red_flags(conn: psycopg.Connection, folder: Path) -> list[ExportedFile]:
    csv_path, parquet_path = folder / "red_flag.csv.gz", folder / "red_flag.parquet"
    columns, rows = write_query(conn, query("publish/export", "select_red_flags"), None, csv_path, parquet_path)
    description = (
        "Cardinal's red flags, per publisher: a process's (its ocid) or a party's (ocid empty; party_role buyer, "
        "procuringEntity or tenderer, and party_id); details (JSON) holds Cardinal's value and what raised the flag"
    )
    return [
        ExportedFile(None, csv_path, rows, "csv", "red_flag-csv", description + ", exact numbers.", columns),
        ExportedFile(None, parquet_path, rows, "parquet", "red_flag-parquet", description + ".", columns),
    ]


def write_indicators(conn: psycopg.Connection, path: Path) -> ExportedFile:
    description = "Indicator values per country, publisher or buyer and year, with sample size and missing share."
    if conn.execute(query("publish/export", "indicator_table_exists")).fetchone()["present"]:
        columns, rows = write_query(conn, query("publish/export", "select_indicators"), None, csv_path=path)
    else:
        write_header_only(path, INDICATOR_COLUMNS)
        columns, rows = INDICATOR_COLUMNS, 0
        description += " The indicators had not been computed (no indicator_value table): a header only."
    return ExportedFile(None, path, rows, "csv", "indicators", description, columns)


def _remove_stale(directory: Path, written: set[Path]) -> None:
    """Files of an earlier export that this one did not write (a year that no longer has releases)."""
    for pattern in ("compiled/*/*.jsonl.gz", "tables/*.csv.gz", "tables/*.parquet"):
        for path in directory.glob(pattern):
            if path not in written:
                path.unlink()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_package(
    directory: Path, files: list[ExportedFile], publishers: list[datapackage.Publisher], rate_sources: list[str]
) -> None:
    """datapackage.json, then SHA256SUMS of every file (datapackage.json included)."""
    sums = {f.path.relative_to(directory).as_posix(): sha256_of(f.path) for f in files}
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
            primary_key=f.primary_key,
            publisher=f.publisher,
        )
        for f in files
    ]
    package = directory / "datapackage.json"
    text = json.dumps(datapackage.descriptor(resources, publishers, rate_sources), indent=2, ensure_ascii=False)
    package.write_text(text + "\n", encoding="utf-8")
    sums["datapackage.json"] = sha256_of(package)
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    (directory / "SHA256SUMS").write_text(lines, encoding="utf-8")
