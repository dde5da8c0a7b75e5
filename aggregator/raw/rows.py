"""The rows of a file's releases and records, batch by batch: bodies stored once (by hash), ``record`` rows, ``release``
rows copied in, and the OCIDs that gained a body queued for compile. What a file gives is counted in its
:class:`FileOutcome`; what is wrong with it goes into its context's problems, which become notes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from psycopg.rows import tuple_row

from aggregator.dates import DateRange, parse_date
from aggregator.db import query
from aggregator.raw import bodies
from aggregator.raw.crashpoints import crash_point
from aggregator.raw.items import embedded_releases, is_compiled, ocds_version
from aggregator.raw.read import Item, Problem


@dataclass
class FileOutcome:
    crawl_file_id: int
    #: Releases and records as the file gave them (a record's embedded releases count in ``releases`` only).
    items: int = 0
    releases: int = 0
    records: int = 0
    notes: Counter[str] = field(default_factory=Counter)
    #: OCIDs compiled (or found compiled from the same inputs) by the file's transaction, from the bodies it held.
    compiled: int = 0


@dataclass(frozen=True)
class LoadOptions:
    """How to read a file: its ``encoding`` (else UTF-8 or detected); the publisher's ``declared_version`` for
    packages that do not say; at most ``limit`` releases or records (samples); the OCDS at ``root_path`` (see
    :func:`aggregator.raw.read.at_root_path`); only the archive members matching the glob ``member_pattern``;
    ``data_format`` ``csv`` or ``xlsx`` for a spreadsheet whose name does not say so; releases outside
    ``date_range`` skipped with an info note; ``compiled``: the releases are compiled releases (see
    :func:`is_compiled`); ``ocid_from_id``: a release without an ``ocid`` gets the one its ``id`` carries (see
    :func:`aggregator.raw.shapes.ocid_from_id`), with an info note."""

    encoding: str | None = None
    declared_version: str | None = None
    limit: int | None = None
    root_path: str | None = None
    member_pattern: str | None = None
    data_format: str | None = None
    date_range: DateRange | None = None
    compiled: bool = False
    ocid_from_id: bool = False

    def reading(self) -> dict[str, Any] | None:
        """What decides the rows a file gives (see :func:`aggregator.raw.files.content_key`); None for a reading cut
        at a sample's limit, which stores part of the file."""
        if self.limit is not None:
            return None
        reading: dict[str, Any] = {k: v for k, v in self.__dict__.items() if k not in ("limit", "date_range")}
        if self.date_range is not None:
            reading["date_range"] = [self.date_range.lower, self.date_range.upper]
        return reading


#: Compiles, in a load's transaction, the OCIDs it queued whose bodies it holds: (conn, publisher id, OCIDs, parsed
#: bodies by ``raw_data`` id) -> how many it took off the queue. Given from above
#: (:func:`aggregator.compile.held.compile_held`): the raw layer does not import compile.
CompileHeld = Callable[[psycopg.Connection, int, Iterable[str], Mapping[int, Any]], int]
#: A file's transaction holds parsed bodies for :data:`CompileHeld` until their canonical texts reach this many bytes
#: (parsed, Python's objects take several times that), then compiles what it holds and holds anew.
HELD_BYTES = 8_000_000


@dataclass
class Held:
    """The parsed bodies of the releases a file's transaction stored, by ``raw_data`` id, and the OCIDs it queued:
    what :data:`CompileHeld` compiles without reading the bodies back."""

    compile: CompileHeld
    bodies: dict[int, Any] = field(default_factory=dict)
    ocids: set[str] = field(default_factory=set)
    #: The bytes of the held bodies' canonical texts.
    size: int = 0

    def flush(self, conn: psycopg.Connection, publisher_id: int) -> int:
        """Compile what is held (in the caller's transaction), hold nothing, and return how many OCIDs were taken off
        the queue."""
        done = self.compile(conn, publisher_id, self.ocids, self.bodies) if self.ocids else 0
        self.bodies, self.ocids, self.size = {}, set(), 0
        return done


@dataclass
class FileContext:
    publisher_id: int
    crawl_id: int
    crawl_file_id: int
    options: LoadOptions
    outcome: FileOutcome
    remaining: int | None = None
    problems: list[Problem] = field(default_factory=list)
    #: The publisher had the file's content already: its row points there (see :func:`_already_stored`).
    duplicate: bool = False
    #: What the file's transaction holds for a compile (None: the OCIDs it queued are left to compile).
    held: Held | None = None
    #: The hashes of bodies stored otherwise than their values (U+0000 removed).
    altered: set[bytes] = field(default_factory=set)


def store_items(conn: psycopg.Connection, context: FileContext, member: str | None, items: list[Item]) -> None:
    data: dict[bytes, bytes] = {}
    packages: dict[bytes, bytes] = {}
    seen: dict[int, bytes] = {}
    planned = []
    for item in items:
        embedded = embedded_releases(item.data) if item.kind == "record" else []
        hashes = [_body(release, data, context) for release in embedded]
        planned.append(
            (item, _body(item.data, data, context), _package(item.package, packages, seen), embedded, hashes)
        )
    with conn.cursor() as cursor:
        data_ids, new = bodies.store_new(cursor, "raw_data", data)
        package_ids = bodies.store(cursor, "package_data", packages)
    records = [plan for plan in planned if plan[0].kind == "record"]
    record_ids = _insert_records(conn, context, member, [p[:3] for p in records], data_ids, package_ids)
    rows = []
    for (item, _, package_hash, embedded, hashes), record_id in zip(records, record_ids, strict=True):
        package_id = package_ids.get(package_hash) if package_hash else None
        for release, digest in zip(embedded, hashes, strict=True):
            rows.append(_release_row(context, member, item, release, data_ids[digest], package_id, record_id))
    for item, digest, package_hash, _, _ in planned:
        if item.kind == "release":
            package_id = package_ids.get(package_hash) if package_hash else None
            rows.append(_release_row(context, member, item, item.data, data_ids[digest], package_id, None))
    _copy_releases(conn, rows)
    new_ids = {data_ids[digest] for digest in new}
    releases = [(row[5], row[11]) for row in rows]
    queued = _queue(conn, context, releases, [(p[0].data["ocid"], data_ids[p[1]]) for p in records], new_ids)
    if context.held is not None:
        _hold(context.held, planned, data, data_ids, queued, context.altered)
    context.outcome.items += len(items)
    context.outcome.records += len(records)
    context.outcome.releases += len(rows)
    crash_point("load.batch")


def _queue(
    conn: psycopg.Connection,
    context: FileContext,
    releases: list[tuple[str, int]],
    records: list[tuple[str, int]],
    new_ids: set[int],
) -> list[str]:
    """Queue for compile the OCIDs that gained a body (see the ``queue_ocids`` query), and return those queued. A
    body this transaction inserted (its id in ``new_ids``) is one that no other file has: its OCID gained it, and
    the query need not look (looking was a tenth of a first load's server time)."""
    gained = sorted({ocid for ocid, data_id in releases + records if data_id in new_ids})
    pairs = sorted(
        {("release", *pair) for pair in releases if pair[1] not in new_ids}
        | {("record", *pair) for pair in records if pair[1] not in new_ids}
    )
    params = {"publisher_id": context.publisher_id, "crawl_file_id": context.crawl_file_id, "gained": gained}
    params |= {"kinds": [p[0] for p in pairs], "ocids": [p[1] for p in pairs], "data_ids": [p[2] for p in pairs]}
    return [row[0] for row in conn.cursor(row_factory=tuple_row).execute(query("raw/load", "queue_ocids"), params)]


def _hold(
    held: Held,
    planned: list[tuple[Item, bytes, bytes | None, list[Any], list[bytes]]],
    texts: dict[bytes, bytes],
    data_ids: dict[bytes, int],
    queued: list[str],
    altered: set[bytes],
) -> None:
    """Hold the batch's release bodies as parsed, and the OCIDs it queued. A body is held as the value stored only
    when its canonical text is that value's: with a U+0000 removed, or a ``null`` that may stand for a NaN or an
    infinity (which a lenient parser gave and JSON has not), the stored text is parsed again instead."""
    for item, digest, _, _, _ in planned:
        if item.kind != "release":
            continue  # a record's OCID is left to compile
        text = texts[digest]
        exact = digest not in altered and b"null" not in text
        held.bodies[data_ids[digest]] = item.data if exact else orjson.loads(text)
        held.size += len(text)
    held.ocids.update(queued)


def _body(value: dict[str, Any], store: dict[bytes, bytes], context: FileContext) -> bytes:
    digest, text, nul_removed = bodies.canonical(value)
    if nul_removed:
        context.altered.add(digest)
        context.problems.append(
            Problem(
                "warning",
                "nul_character_removed",
                "U+0000 characters were removed",
                {"ocid": value.get("ocid")},
            )
        )
    store[digest] = text
    return digest


def _package(package: dict[str, Any] | None, store: dict[bytes, bytes], seen: dict[int, bytes]) -> bytes | None:
    """The hash of an item's package metadata: hashed once per package (its items share one dict, alive while the
    batch is)."""
    if package is None:
        return None
    digest = seen.get(id(package))
    if digest is None:
        digest, text, _ = bodies.canonical(package)
        store[digest] = text
        seen[id(package)] = digest
    return digest


def _release_row(
    context: FileContext,
    member: str | None,
    item: Item,
    release: dict[str, Any],
    data_id: int,
    package_data_id: int | None,
    record_id: int | None,
) -> tuple[Any, ...]:
    """A row of ``release`` in the order of the ``copy_releases`` query."""
    ocid = release.get("ocid") if isinstance(release.get("ocid"), str) else item.data["ocid"]
    date_value = release.get("date")
    date = parse_date(date_value)
    compiled = record_id is None and is_compiled(release, context.options.compiled)
    if compiled and not context.options.compiled:
        message = "a release tagged compiled was stored as its OCID's compiled release (as `load --compiled` does)"
        context.problems.append(Problem("info", "compiled_release_detected", message, {"ocid": ocid}))
    if date_value is None and not compiled:
        data = {"ocid": ocid, "id": release.get("id")}
        context.problems.append(Problem("warning", "release_without_date", "a release has no date", data))
    elif date is None:
        context.problems.append(
            Problem(
                "warning",
                "unparseable_date",
                "a release date is not an ISO 8601 date-time",
                {"ocid": ocid, "id": release.get("id"), "date": date_value},
            )
        )
    release_id = release.get("id")
    return (
        context.publisher_id,
        context.crawl_id,
        context.crawl_file_id,
        member,
        item.ordinal,
        ocid,
        None if release_id is None else str(release_id),
        date,
        date_value if isinstance(date_value, str) else None,
        # Compiled releases, as Cardinal and the Data Registry take them, are 1.1 unless something says otherwise.
        ocds_version(item.package, item.data, context.options.declared_version or ("1.1" if compiled else None)),
        record_id,
        data_id,
        package_data_id,
        compiled,
    )


def _insert_records(
    conn: psycopg.Connection,
    context: FileContext,
    member: str | None,
    records: list[tuple[Item, bytes, bytes | None]],
    data_ids: dict[bytes, int],
    package_ids: dict[bytes, int],
) -> list[int]:
    if not records:
        return []
    params = [
        {
            "publisher_id": context.publisher_id,
            "crawl_id": context.crawl_id,
            "crawl_file_id": context.crawl_file_id,
            "member": member,
            "ordinal": item.ordinal,
            "ocid": item.data["ocid"],
            "ocds_version": ocds_version(item.package, item.data, context.options.declared_version),
            "data_id": data_ids[data_hash],
            "package_data_id": package_ids.get(package_hash) if package_hash else None,
        }
        for item, data_hash, package_hash in records
    ]
    ids = []
    with conn.cursor() as cursor:
        cursor.executemany(query("raw/load", "insert_record"), params, returning=True)
        while True:
            ids.append(cursor.fetchone()["id"])
            if not cursor.nextset():
                break
    return ids


#: The PostgreSQL types of a ``release`` row (:func:`_release_row`), for COPY's binary format: the client builds no
#: text (its part of the rows' COPY took a third of the time; the server's part was unchanged).
RELEASE_TYPES = [
    "int4", "int8", "int8", "text", "int4", "text", "text",  # publisher_id, crawl_id, crawl_file_id ... release_id
    "timestamptz", "text", "text", "int8", "int8", "int8", "bool",  # date, date_text ... compiled
]  # fmt: skip


def _copy_releases(conn: psycopg.Connection, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with conn.cursor() as cursor, cursor.copy(query("raw/load", "copy_releases")) as copy:
        copy.set_types(RELEASE_TYPES)
        for row in rows:
            copy.write_row(row)
