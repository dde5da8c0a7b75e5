"""The tables of processes as downloads, rewritten only where they changed.

``process``, ``award``, ``contract``, ``process_party``, ``organization_identifier`` and ``processes`` hold rows
made from one process each. They are written by *part*, as the compiled files are split: one publisher's processes
whose compiled release's first release is dated in one UTC year, or undated. Each part of each table is kept
between exports in the cache (``$OCDS_ATLAS_HOME/cache/export-parts/<table>/<publisher>/``) as one gzip member of
CSV rows without a header, one Parquet file and, written last, a JSON file with their rows and checksums, named by
the part's *content* fingerprint. The database computes that fingerprint without reading the rows
(``process_parts`` in ``sql/queries/publish/downloads.sql``: each process's OCID, the hash of its normalized
output, whether it is primary and its buyer's name), mixed with what else the rows are made of: the table's query,
the schema's latest migration, the publisher's name, level and title, and :data:`FORMAT`. A part whose files are
in the cache is not read again. (The hash of a normalized output covers the database's ids of the process, so
that fingerprint is the database's own; the whole files' fingerprints, in ``datapackage.json``, are made of the
parts' checksums instead, which two builds of the same inputs share.)

``tables/<table>.csv.gz`` is then the header row's gzip member followed by the parts' members, publisher by
publisher (bytewise), year by year (undated last): valid gzip, every row compressed once.
``tables/<table>.parquet`` is the parts' Parquet files read and written again as one file (in Arrow, without Python
objects per row), in row groups of at most ``tables.BATCH_ROWS`` rows. Either file is left as it is when the data
package of the previous export gives it the same fingerprint, size and checksum.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.parquet as pq

from aggregator import migrate, settings
from aggregator.db import query
from aggregator.publish import compiled, tables

#: Part of every fingerprint: change it when the same rows would give other bytes.
FORMAT = "ocds-atlas table parts, gzip member and Parquet file per publisher and year, 1"


@dataclass(frozen=True)
class Publisher:
    id: int
    name: str
    level: str | None
    title: str | None


@dataclass(frozen=True)
class Part:
    """A publisher's processes of one year (None: undated), with the fingerprint of what their rows are made of."""

    publisher: str
    year: int | None
    processes: int
    content: str

    @property
    def name(self) -> str:
        return "undated" if self.year is None else str(self.year)


@dataclass(frozen=True)
class Cached:
    """A part's files in the cache, and what its JSON file says of them once they are all there."""

    csv: Path
    parquet: Path
    summary: Path

    def read(self) -> dict[str, Any] | None:
        """Rows and checksums; None when the part is not (wholly) in the cache."""
        try:
            summary = json.loads(self.summary.read_text(encoding="utf-8"))
            sizes = self.csv.stat().st_size, self.parquet.stat().st_size
            if sizes == (summary["csv_bytes"], summary["parquet_bytes"]):
                return summary
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def files(self) -> tuple[Path, Path, Path]:
        return self.csv, self.parquet, self.summary


@dataclass(frozen=True)
class Whole:
    """A table's file as this export leaves it."""

    path: Path
    rows: int
    content: str
    sha256: str
    written: bool


def parts_of(conn: psycopg.Connection, publishers: list[Publisher]) -> list[Part]:
    """Every publisher's parts, publisher by publisher (as given), year by year, undated last."""
    migrations = migrate.available()
    latest = migrations[-1].name if migrations else ""
    parts = []
    for publisher in publishers:
        seed = "\n".join([FORMAT, latest, publisher.name, publisher.level or "", publisher.title or ""])
        for row in conn.execute(query("publish/downloads", "process_parts"), {"publisher_id": publisher.id}):
            content = _sha256(seed, str(row["year"]), row["content"])
            parts.append(Part(publisher.name, row["year"], row["processes"], content))
    return parts


def cache_root() -> Path:
    return settings.cache_dir() / "export-parts"


def write_table(
    conn: psycopg.Connection,
    name: str,
    publishers: list[Publisher],
    parts: list[Part],
    paths: Mapping[str, Path],
    previous: Mapping[str, compiled.Previous],
    directory: Path,
) -> tuple[list[tables.Column], list[Whole]]:
    """Bring the table's files (``paths``: csv and parquet) up to date: the parts missing from the cache first,
    then the whole files. Return the columns and the files."""
    statement = query("publish/downloads", name)
    columns = tables.columns_of_query(conn, statement, {"publisher_id": 0, "years": []})[:-1]
    digest = _sha256(statement)
    folder = cache_root() / name
    cached = {p: _cached(folder, p, digest) for p in parts}
    summaries = {p: c.read() for p, c in cached.items()}
    by_publisher = {p.name: p for p in publishers}
    for publisher in dict.fromkeys(p.publisher for p in parts if summaries[p] is None):
        missing = [p for p in parts if p.publisher == publisher and summaries[p] is None]
        written = _write_missing(conn, statement, by_publisher[publisher], missing, cached, columns)
        summaries.update(written)
    _remove_stale(folder, {path for c in cached.values() for path in c.files()})
    content = _sha256(
        FORMAT,
        digest,
        *(f"{p.publisher}/{p.name}/{summaries[p]['csv_sha256']}/{summaries[p]['parquet_sha256']}" for p in parts),
    )
    rows = sum(summaries[p]["rows"] for p in parts)
    files = []
    for fmt, path in paths.items():
        relative = path.relative_to(directory).as_posix()
        sha = compiled.unchanged(path, content, previous.get(relative))
        if sha is not None:
            files.append(Whole(path, rows, content, sha, False))
            continue
        pieces = [c.csv if fmt == "csv" else c.parquet for c in cached.values()]
        sha = _concatenate_csv(path, columns, pieces) if fmt == "csv" else _combine_parquet(path, columns, pieces)
        files.append(Whole(path, rows, content, sha, True))
    return columns, files


def _cached(folder: Path, part: Part, digest: str) -> Cached:
    """The part's files in the cache (present or not): named by the part and the fingerprint of its rows."""
    stem = folder / part.publisher / f"{part.name}-{_sha256(digest, part.content)[:32]}"
    return Cached(stem.with_name(stem.name + ".csv.gz"), stem.with_suffix(".parquet"), stem.with_suffix(".json"))


def _write_missing(
    conn: psycopg.Connection,
    statement: str,
    publisher: Publisher,
    missing: list[Part],
    cached: Mapping[Part, Cached],
    columns: list[tables.Column],
) -> dict[Part, dict[str, Any]]:
    """Write a publisher's missing parts in one pass over their rows, then each part's JSON file; a part without
    rows in this table gets empty files, so that it is known to be empty. Return the parts' summaries."""
    by_year = {p.year: cached[p] for p in missing}
    years = [-1 if p.year is None else p.year for p in missing]
    params = {"publisher_id": publisher.id, "years": years}
    written = tables.write_parts(conn, statement, params, lambda year: (by_year[year].csv, by_year[year].parquet))
    summaries = {}
    for part in missing:
        files = cached[part]
        if part.year not in written:
            with tables.partial(files.csv):
                pass
            with tables.partial(files.parquet) as raw:
                pq.ParquetWriter(raw, tables.arrow_schema(columns), compression="zstd").close()
        summary = {
            "rows": written.get(part.year, 0),
            "csv_bytes": files.csv.stat().st_size,
            "csv_sha256": compiled.sha256_of(files.csv),
            "parquet_bytes": files.parquet.stat().st_size,
            "parquet_sha256": compiled.sha256_of(files.parquet),
        }
        with tables.partial(files.summary) as raw:
            raw.write(json.dumps(summary).encode())
        summaries[part] = summary
    return summaries


def _remove_stale(folder: Path, kept: set[Path]) -> None:
    """Cached parts of this table that no part has now (older fingerprints, years or publishers gone)."""
    for path in folder.glob("*/*"):
        if path not in kept:
            path.unlink(missing_ok=True)
    for publisher in folder.glob("*"):
        if publisher.is_dir() and not any(publisher.iterdir()):
            publisher.rmdir()


def _concatenate_csv(path: Path, columns: list[tables.Column], pieces: list[Path]) -> str:
    """The header row's gzip member, then the pieces' members; return the file's checksum."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([c.name for c in columns])
    header = io.BytesIO()
    with tables.gzip_member(header) as gz:
        gz.write(line.getvalue().encode())
    return compiled.concatenate(path, pieces, header.getvalue())


def _combine_parquet(path: Path, columns: list[tables.Column], pieces: list[Path]) -> str:
    """The pieces' rows as one Parquet file, in row groups of at most ``tables.BATCH_ROWS`` rows (a part's last
    one shorter), read and written a batch at a time; return the file's checksum."""
    schema = tables.arrow_schema(columns)
    with tables.partial(path) as raw, pq.ParquetWriter(raw, schema, compression="zstd") as writer:
        for piece in pieces:
            for batch in pq.ParquetFile(piece).iter_batches(batch_size=tables.BATCH_ROWS, use_threads=False):
                writer.write_batch(batch, row_group_size=tables.BATCH_ROWS)
    return compiled.sha256_of(path)


def _sha256(*texts: str) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()
