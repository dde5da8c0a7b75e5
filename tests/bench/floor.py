"""The floor of ``make bench``'s compile part: the work that any load + compile storing what ocds-atlas stores must
do, timed piece by piece on the same packages, with nothing else around it.

The pieces, package by package, each done the cheapest way this project knows:

- parse the package (orjson, the whole file at once);
- hash each release's canonical JSON (sorted keys): bodies are deduplicated by that hash;
- compress the release bodies (zstd) and COPY them as ``(hash, body)`` rows into a table shaped as ``raw_data`` (a
  unique hash, a bytea body), one transaction per package;
- merge each OCID whose releases have all been read (the fast merge, which gives ocdsmerge's output), hash the
  compiled releases and COPY them into a table shaped as ``data`` (a unique hash, an uncompressed jsonb body);
- free the merged releases and the compiled releases once stored: Python's objects of parsed JSON cost CPU to free
  as they cost to make (about a tenth of the client's pieces), and any load + compile that parses frees them.

Left out, so that the floor is below anything that meets the issue: reading the bodies back, release rows with
their keys and provenance, indexes other than the hash's, notes, the compile queue, incremental checks, starting
processes, and grouping the releases by OCID. The cycle collector is paused throughout, as ocds-atlas pauses it.

The client's CPU seconds of each piece and the server's CPU seconds (the embedded server's, this run's own), summed
and divided by the cores the bench may use, are the least time that work can take with every core busy all the time.
``ocdskit compile``'s seconds divided by that give the highest throughput ratio ocds-atlas could reach here.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql

from aggregator.compile import fastmerge
from aggregator.compile.rules import rules_for
from aggregator.raw import bodies, gcpause


@dataclass
class Floor:
    #: CPU seconds of each piece, in the order done.
    pieces: dict[str, float] = field(default_factory=dict)
    #: Rows the server stored, per table.
    stored: dict[str, int] = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        return sum(self.pieces.values())

    def seconds(self, cores: int) -> float:
        """The least wall-clock time of the pieces on ``cores`` cores, all busy all the time."""
        return self.cpu / cores


def measure(packages: list[Path], conninfo: str, server_cpu: Callable[[], float]) -> Floor:
    """Time the floor's pieces on ``packages``, package by package as a load reads them, against the server at
    ``conninfo`` (in a database created for them and dropped afterwards), whose CPU seconds so far ``server_cpu``
    gives.

    Each OCID is merged once the packages after its last release have been read: the generated packages hold each
    OCID's releases one after the other (an OCID that comes back later is an error)."""
    floor = Floor()
    merger = rules_for("1.1").merger
    pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
    merged: set[str] = set()
    with _database(conninfo) as conn, gcpause.paused():
        _create(conn, "releases", "bytea")
        _create(conn, "compiled", "jsonb")
        server_before = server_cpu()
        for path in packages:
            with _timed(floor, "parse the packages"):
                releases = orjson.loads(path.read_bytes())["releases"]
            with _timed(floor, "hash the releases"):
                raw = dict(bodies.canonical(release)[:2] for release in releases)
            with _timed(floor, "compress the releases"):
                raw = {digest: bodies.pack(text) for digest, text in raw.items()}
            _copy(conn, floor, "releases", raw, packed=True)
            here = {release["ocid"] for release in releases}
            done = [ocid for ocid in pending if ocid not in here]
            for release in releases:
                if release["ocid"] in merged:
                    raise ValueError(f"{release['ocid']} comes back after its releases were merged")
                pending[release["ocid"]].append(release)
            _merge(conn, floor, merger, "compiled", [pending.pop(ocid) for ocid in done])
            merged.update(done)
        releases = []  # the last package's releases are then referenced by ``pending`` alone
        _merge(conn, floor, merger, "compiled", [pending.pop(ocid) for ocid in list(pending)])
        floor.pieces["store the bodies (server)"] = server_cpu() - server_before
    return floor


def _merge(conn: psycopg.Connection, floor: Floor, merger: Any, table: str, groups: list[list[dict[str, Any]]]) -> None:
    with _timed(floor, "merge each OCID"):
        compiled = [fastmerge.compiled_release(merger, releases) for releases in groups]
    with _timed(floor, "hash the compiled releases"):
        rows = dict(bodies.canonical(release)[:2] for release in compiled)
    _copy(conn, floor, table, rows)
    with _timed(floor, "free the releases"):
        del compiled, rows
        groups.clear()  # the releases' last references: the packages' lists were dropped as the next was parsed


@contextmanager
def _timed(floor: Floor, piece: str) -> Iterator[None]:
    started = time.process_time()
    yield
    floor.pieces[piece] = floor.pieces.get(piece, 0.0) + time.process_time() - started


@contextmanager
def _database(conninfo: str) -> Iterator[psycopg.Connection]:
    name = f"atlas_floor_{os.getpid()}"
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            with psycopg.connect(conninfo, dbname=name) as conn:
                yield conn
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _create(conn: psycopg.Connection, table: str, kind: str) -> None:
    """A table shaped as ``data`` (``kind`` jsonb) or ``raw_data`` (bytea): a unique hash and a body that PostgreSQL
    does not compress (and no autovacuum: its work is not the floor's)."""
    name = sql.Identifier(table)
    create = "CREATE TABLE {} (hash bytea NOT NULL UNIQUE, body {} NOT NULL) WITH (autovacuum_enabled = false)"
    conn.execute(sql.SQL(create).format(name, sql.SQL(kind)))
    conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN body SET STORAGE EXTERNAL").format(name))
    conn.commit()


def _copy(conn: psycopg.Connection, floor: Floor, table: str, rows: dict[bytes, bytes], packed: bool = False) -> None:
    """COPY ``rows`` into ``table`` as a load does (``packed``: compressed bytes, in COPY's binary format), in a
    transaction of their own; the client's part is timed here, the server's as a whole by :func:`measure`."""
    with _timed(floor, "send the bodies"), conn.cursor() as cursor:
        if packed:
            statement = sql.SQL("COPY {} (hash, body) FROM STDIN (FORMAT binary)").format(sql.Identifier(table))
            bodies.copy_packed(cursor, statement, list(rows), rows)
        else:
            statement = sql.SQL("COPY {} (hash, body) FROM STDIN").format(sql.Identifier(table))
            bodies.copy_rows(cursor, statement, list(rows), rows)
        conn.commit()
        floor.stored[table] = floor.stored.get(table, 0) + cursor.rowcount
