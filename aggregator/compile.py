"""Compiling: the OCIDs queued by loads (or all, with ``full``) are merged into compiled releases.

A compiled release is rewritten only when its inputs changed (see :func:`aggregator.merge.input_hash`).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ocdsmerge
import orjson
import psycopg

from aggregator import bodies
from aggregator.db import query
from aggregator.merge import Compiled, RecordInput, ReleaseInput, compile_ocid
from aggregator.notes import Note, add_notes
from aggregator.standard import release_schema

BATCH_SIZE = 500
#: The first cut compiles every release with the merge rules of the OCDS 1.1.5 release schema.
RULES = "1__1__5"


@dataclass
class CompileSummary:
    ocids: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    #: Merge warnings, counted per (publisher id, warning and path).
    warnings: Counter[tuple[int, str]] = field(default_factory=Counter)


@functools.cache
def merger(rules: str) -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=release_schema(rules))


def pending(conn: psycopg.Connection, publisher_ids: list[int] | None, full: bool) -> list[tuple[int, str]]:
    name = "select_all_ocids" if full else "select_queued_ocids"
    rows = conn.execute(query("compile", name), {"publisher_ids": publisher_ids}).fetchall()
    return [(row["publisher_id"], row["ocid"]) for row in rows]


def compile_ocids(
    conn: psycopg.Connection,
    publisher_ids: list[int] | None = None,
    full: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> CompileSummary:
    """Compile what is queued (or everything, with ``full``) for the given publishers (or all)."""
    summary = CompileSummary()
    started = datetime.now(UTC)
    for publisher_id, ocids in _batches(pending(conn, publisher_ids, full)):
        with conn.transaction():
            _compile_batch(conn, publisher_id, ocids, summary)
            conn.execute(query("compile", "dequeue"), {"publisher_id": publisher_id, "ocids": ocids, "before": started})
        if on_batch:
            on_batch(len(ocids))
    _store_warnings(conn, summary)
    return summary


def _store_warnings(conn: psycopg.Connection, summary: CompileSummary) -> None:
    """Merge warnings as one note per publisher, kind and path, with a count (not one row per occurrence)."""
    notes = [
        Note(
            stage="compile",
            level="warning",
            code="merge_warning",
            message=f"ocdsmerge warned {count} times: {key}",
            data={"warning": key},
            publisher_id=publisher_id,
            count=count,
        )
        for (publisher_id, key), count in sorted(summary.warnings.items())
    ]
    with conn.transaction():
        add_notes(conn, notes)


def _batches(keys: list[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    for publisher_id, ocid in keys:
        grouped[publisher_id].append(ocid)
    for publisher_id, ocids in grouped.items():
        for start in range(0, len(ocids), BATCH_SIZE):
            yield publisher_id, ocids[start : start + BATCH_SIZE]


def _compile_batch(conn: psycopg.Connection, publisher_id: int, ocids: list[str], summary: CompileSummary) -> None:
    params = {"publisher_id": publisher_id, "ocids": ocids}
    releases: dict[str, list[ReleaseInput]] = defaultdict(list)
    versions: dict[str, str] = {}
    for row in conn.execute(query("compile", "select_releases"), params):
        versions[row["ocid"]] = max(versions.get(row["ocid"], ""), row["ocds_version"])
        releases[row["ocid"]].append(
            ReleaseInput(
                row["data_id"],
                row["release_id"],
                row["date_text"],
                row["date"],
                row["id"],
                orjson.loads(row["body"]),
            )
        )
    records: dict[str, list[RecordInput]] = defaultdict(list)
    for row in conn.execute(query("compile", "select_records"), params):
        records[row["ocid"]].append(RecordInput(row["data_id"], row["id"], orjson.loads(row["body"])))
        versions.setdefault(row["ocid"], row["ocds_version"])
    existing = {
        row["ocid"]: bytes(row["input_hash"]) for row in conn.execute(query("compile", "select_hashes"), params)
    }
    results = {}
    notes = []
    for ocid in ocids:
        summary.ocids += 1
        result = compile_ocid(merger(RULES), RULES, ocid, releases.get(ocid, []), records.get(ocid, []))
        if existing.get(ocid) == result.input_hash:
            summary.unchanged += 1
            continue
        notes.extend(
            Note("compile", p.level, p.code, p.message, p.data, publisher_id=publisher_id, ocid=ocid)
            for p in result.problems
        )
        summary.warnings.update({(publisher_id, key): n for key, n in result.warnings.items()})
        if result.body is None:
            summary.failed += 1
        else:
            results[ocid] = result
    _write(conn, publisher_id, results, versions, summary)
    add_notes(conn, notes)


def _write(
    conn: psycopg.Connection,
    publisher_id: int,
    results: dict[str, Compiled],
    versions: dict[str, str],
    summary: CompileSummary,
) -> None:
    texts: dict[bytes, str] = {}
    hashes = {}
    for ocid, result in results.items():
        digest, text, _ = bodies.canonical(result.body)
        texts[digest] = text
        hashes[ocid] = digest
    with conn.cursor() as cursor:
        ids = bodies.store(cursor, "data", texts)
        rows = [
            _row(publisher_id, ocid, result, ids[hashes[ocid]], versions.get(ocid, "1.1"))
            for ocid, result in results.items()
        ]
        cursor.executemany(query("compile", "upsert_compiled_release"), rows)
    summary.written += len(rows)
    summary.methods.update(result.method for result in results.values() if result.method)


def _row(publisher_id: int, ocid: str, result: Compiled, data_id: int, version: str) -> dict[str, Any]:
    return {
        "publisher_id": publisher_id,
        "ocid": ocid,
        "data_id": data_id,
        "method": result.method,
        "release_count": result.release_count,
        "first_date": result.first_date,
        "last_date": result.last_date,
        "ocds_version": version,
        "rules": RULES,
        "warnings": orjson.dumps(result.warnings).decode(),
        "input_hash": result.input_hash,
    }
