"""Loading files into the raw layer: every file a ``crawl_file``, every problem a note, bodies stored once.

A file is stored in one transaction, with its notes: if storing fails, nothing of that file is kept, the file's row
and a note say why, and everything stored before stays as it was. Whatever reading or storing one file raises (but
a lost connection) is a note on that file (``file_not_loaded``), and the files after it are loaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from aggregator.dates import DateRange, parse_date
from aggregator.db import query
from aggregator.notes import Note, add_notes
from aggregator.raw import bodies, gcpause
from aggregator.raw.convert import convert, spreadsheet_format
from aggregator.raw.crashpoints import crash_point
from aggregator.raw.files import StoredBefore, content_key, file_sha256, register_file, stored_before
from aggregator.raw.items import embedded_releases, is_compiled, ocds_version
from aggregator.raw.read import Item, Problem, Source, iter_sources, read_source

BATCH_SIZE = 1000
#: At most this many examples are kept in an aggregated note.
EXAMPLES = 10


@dataclass
class FileOutcome:
    crawl_file_id: int
    #: Releases and records as the file gave them (a record's embedded releases count in ``releases`` only).
    items: int = 0
    releases: int = 0
    records: int = 0
    notes: Counter[str] = field(default_factory=Counter)


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


@dataclass
class _Context:
    publisher_id: int
    crawl_id: int
    crawl_file_id: int
    options: LoadOptions
    outcome: FileOutcome
    remaining: int | None = None
    problems: list[Problem] = field(default_factory=list)
    #: The publisher had the file's content already: its row points there (see :func:`_already_stored`).
    duplicate: bool = False


def load_file(
    conn: psycopg.Connection,
    *,
    publisher_id: int,
    crawl_id: int,
    path: Path,
    url: str | None = None,
    http_status: int | None = None,
    options: LoadOptions = LoadOptions(),
) -> FileOutcome:
    """Register and store one file's releases and records, read as ``options`` say.

    ``conn`` must be in autocommit mode: the file's content and notes are stored in one transaction.
    """
    file_id = register_file(conn, crawl_id, path, url, http_status)
    return store_file(conn, publisher_id, crawl_id, file_id, path, options)


def store_file(
    conn: psycopg.Connection, publisher_id: int, crawl_id: int, file_id: int, path: Path, options: LoadOptions
) -> FileOutcome:
    """Store the content of a registered file (see :func:`load_file`), unless the publisher already has it: a file
    with the same content, stored whole and read the same way (see :mod:`aggregator.raw.files`)."""
    context = _Context(publisher_id, crawl_id, file_id, options, FileOutcome(file_id), options.limit)
    key = content_key(publisher_id, file_sha256(conn, file_id), options.reading())
    try:
        with gcpause.paused(), conn.transaction():
            if key is not None:  # two crawls or loads storing the same content: one at a time
                conn.execute(query("raw/load", "lock_content"), {"key": int.from_bytes(key[:8], "big", signed=True)})
            before = stored_before(conn, file_id, key)
            if before is not None:
                _already_stored(conn, context, before, key)
            else:
                _store_file(conn, context, path, options.encoding)
                conn.execute(query("raw/load", "set_content_key"), {"id": file_id, "key": key})
            _finish_file(conn, context)
    except psycopg.DataError as error:
        context.outcome = FileOutcome(file_id)
        context.problems = [Problem("error", "file_not_stored", f"PostgreSQL refused the file: {error}", {})]
        _finish_file(conn, context)
    except Exception as error:  # whatever one file meets (a bug, a hostile shape), the load goes on
        if conn.broken:
            raise
        context.outcome = FileOutcome(file_id)
        context.problems = [file_not_loaded(error)]
        _finish_file(conn, context)
    crash_point("load.file")
    return context.outcome


def _already_stored(conn: psycopg.Connection, context: _Context, before: StoredBefore, key: bytes | None) -> None:
    params = {"id": context.crawl_file_id, "stored_as": before.crawl_file_id, "key": key}
    conn.execute(query("raw/load", "finish_duplicate_file"), {**params, **before.__dict__})
    context.outcome.releases, context.outcome.records = before.releases, before.records
    context.duplicate = True
    data = {"crawl_file_id": before.crawl_file_id, "crawl_id": before.crawl_id}
    message = "The publisher already has this file's content (the same SHA-256, read the same way): not stored again."
    context.problems.append(Problem("info", "file_already_stored", message, data))


def file_not_loaded(error: BaseException) -> Problem:
    """The note on a file whose reading or storing raised: nothing of it is kept."""
    detail = f"{type(error).__name__}: {error}"[:500]
    message = f"The file could not be loaded ({detail}); nothing of it was stored, and the other files were loaded."
    return Problem("error", "file_not_loaded", message, {"error": detail})


def _store_file(conn: psycopg.Connection, context: _Context, path: Path, encoding: str | None) -> None:
    data_format = spreadsheet_format(path.name, context.options.data_format)
    if data_format:
        entries = _converted(path, data_format, encoding, context)
        encoding = None  # the conversion's JSON is UTF-8
    else:
        entries = iter_sources(path, member_pattern=context.options.member_pattern)
    for entry in entries:
        if isinstance(entry, Problem):
            context.problems.append(entry)
            continue
        for batch in _batches(entry, encoding, context):
            _store_batch(conn, context, _member(entry), batch)


def _converted(path: Path, data_format: str, encoding: str | None, context: _Context) -> Iterator[Source | Problem]:
    """A spreadsheet as one source: the release package that flattentool makes of it."""
    package, problems = convert(
        path, data_format, context.options.declared_version, encoding, context.options.member_pattern
    )
    yield from problems
    if package is not None:
        yield Source(str(path), lambda: package)


def _batches(source: Source, encoding: str | None, context: _Context) -> Iterator[list[Item]]:
    batch: list[Item] = []
    options = context.options
    for entry in read_source(source, encoding, options.root_path, ocid_from_id=options.ocid_from_id):
        if isinstance(entry, Problem):
            context.problems.append(entry)
            continue
        if context.options.date_range and entry.kind == "release" and not context.options.date_range.admits(entry.data):
            context.problems.append(_outside_date_range(entry))
            continue
        if context.remaining is not None:
            if context.remaining <= 0:
                break
            context.remaining -= 1
        batch.append(entry)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _outside_date_range(item: Item) -> Problem:
    data = {"ocid": item.data.get("ocid"), "id": item.data.get("id"), "date": item.data.get("date")}
    return Problem("info", "release_outside_date_range", "a release dated outside the date range was skipped", data)


def _member(source: Source) -> str | None:
    return source.name.split("!", 1)[1] if "!" in source.name else None


def _finish_file(conn: psycopg.Connection, context: _Context) -> None:
    notes = aggregate_problems(context.problems, stage="load")
    notes = [
        Note(
            **{
                **n.__dict__,
                "publisher_id": context.publisher_id,
                "crawl_id": context.crawl_id,
                "crawl_file_id": context.crawl_file_id,
            }
        )
        for n in notes
    ]
    with conn.transaction():
        add_notes(conn, notes)
        outcome = context.outcome
        if not context.duplicate:
            conn.execute(
                query("raw/load", "finish_crawl_file"),
                {"id": outcome.crawl_file_id, "releases": outcome.releases, "records": outcome.records},
            )
    for note in notes:
        context.outcome.notes[note.level] += note.count


def aggregate_problems(problems: list[Problem], stage: str) -> list[Note]:
    """One note per level and code, with the number of occurrences and the first few examples."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault((problem.level, problem.code), []).append(problem)
    notes = []
    for (level, code), group in groups.items():
        data: dict[str, Any] = dict(group[0].data)
        if len(group) > 1:
            data = {"examples": [p.data for p in group[:EXAMPLES]]}
        notes.append(Note(stage=stage, level=level, code=code, message=group[0].message, data=data, count=len(group)))
    return notes


def _store_batch(conn: psycopg.Connection, context: _Context, member: str | None, items: list[Item]) -> None:
    data: dict[bytes, bytes] = {}
    packages: dict[bytes, bytes] = {}
    planned = []
    for item in items:
        embedded = embedded_releases(item.data) if item.kind == "record" else []
        hashes = [_body(release, data, context) for release in embedded]
        planned.append((item, _body(item.data, data, context), _package(item.package, packages), embedded, hashes))
    with conn.cursor() as cursor:
        data_ids = bodies.store(cursor, "raw_data", data)
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
    _queue(conn, context, [(row[5], row[11]) for row in rows], [(p[0].data["ocid"], data_ids[p[1]]) for p in records])
    context.outcome.items += len(items)
    context.outcome.records += len(records)
    context.outcome.releases += len(rows)
    crash_point("load.batch")


def _queue(
    conn: psycopg.Connection, context: _Context, releases: list[tuple[str, int]], records: list[tuple[str, int]]
) -> None:
    """Queue for compile the OCIDs that gained a body (see the ``queue_ocids`` query)."""
    pairs = sorted({("release", *pair) for pair in releases} | {("record", *pair) for pair in records})
    params = {"publisher_id": context.publisher_id, "crawl_file_id": context.crawl_file_id}
    params |= {"kinds": [p[0] for p in pairs], "ocids": [p[1] for p in pairs], "data_ids": [p[2] for p in pairs]}
    conn.execute(query("raw/load", "queue_ocids"), params)


def _body(value: dict[str, Any], store: dict[bytes, bytes], context: _Context) -> bytes:
    digest, text, nul_removed = bodies.canonical(value)
    if nul_removed:
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


def _package(package: dict[str, Any] | None, store: dict[bytes, bytes]) -> bytes | None:
    if package is None:
        return None
    digest, text, _ = bodies.canonical(package)
    store[digest] = text
    return digest


def _release_row(
    context: _Context,
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
    context: _Context,
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


def _copy_releases(conn: psycopg.Connection, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with conn.cursor() as cursor, cursor.copy(query("raw/load", "copy_releases")) as copy:
        for row in rows:
            copy.write_row(row)
