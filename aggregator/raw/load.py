"""Loading files into the raw layer: every file a ``crawl_file``, every problem a note, bodies stored once.

A file is stored in one transaction, with its notes and the mark on its row that it is loaded (``loaded_at``): its
rows are there exactly when its row says so. If storing fails, nothing of that file is kept, the file's row says why,
and everything stored before stays as it was. Whatever reading or storing one file raises (but a lost connection) is
a note on that file (``file_not_loaded``), and the files after it are loaded. A file whose row says it is loaded is
not stored again (a loader that died after storing it, a crawl that resumes: :mod:`aggregator.raw.loaders`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from aggregator.db import RUN_AGAIN, query
from aggregator.errors import AtlasError
from aggregator.notes import Note, add_notes
from aggregator.raw import gcpause
from aggregator.raw.convert import convert, spreadsheet_format
from aggregator.raw.crashpoints import crash_point
from aggregator.raw.files import StoredBefore, content_key, file_digest, register_file, stored_before
from aggregator.raw.read import Item, Problem, Source, iter_sources, read_source
from aggregator.raw.rows import HELD_BYTES, CompileHeld, FileContext, FileOutcome, Held, LoadOptions, store_items

__all__ = ["FileOutcome", "LoadOptions", "load_file", "store_file"]

BATCH_SIZE = 1000
#: At most this many examples are kept in an aggregated note.
EXAMPLES = 10
#: A file's transaction that meets a deadlock (two loaders, each waiting for a body the other is storing) is run again,
#: up to this many times in all.
ATTEMPTS = 3


def load_file(
    conn: psycopg.Connection,
    *,
    publisher_id: int,
    crawl_id: int,
    path: Path,
    url: str | None = None,
    http_status: int | None = None,
    options: LoadOptions | None = None,
    compile_held: CompileHeld | None = None,
) -> FileOutcome:
    """Register and store one file's releases and records, read as ``options`` say (see :func:`store_file` for
    ``compile_held``).

    ``conn`` must be in autocommit mode: the file is registered, then stored in a transaction of its own.
    """
    file_id = register_file(conn, crawl_id, path, url, http_status)
    return store_file(conn, publisher_id, crawl_id, file_id, path, options or LoadOptions(), compile_held)


def store_file(
    conn: psycopg.Connection,
    publisher_id: int,
    crawl_id: int,
    file_id: int,
    path: Path,
    options: LoadOptions,
    compile_held: CompileHeld | None = None,
) -> FileOutcome:
    """Store the content of a registered file (see :func:`load_file`) with its notes, in one transaction; unless its
    row says it is loaded already (then return what it holds), or the publisher already has its content: a file with
    the same content, stored whole and read the same way (see :mod:`aggregator.raw.files`).

    With ``compile_held``, the transaction also compiles the OCIDs it queued whose inputs are all bodies it holds
    (see :class:`aggregator.raw.rows.Held`): they need not be read back by compile."""
    for _ in range(ATTEMPTS):
        context = FileContext(publisher_id, crawl_id, file_id, options, FileOutcome(file_id), options.limit)
        if compile_held is not None:
            context.held = Held(compile_held)
        try:
            with gcpause.paused(), conn.transaction():
                _store_whole(conn, context, path)
            crash_point("load.file")
            return context.outcome
        except RUN_AGAIN as error:  # the transaction was rolled back whole: run it again
            failure = file_not_loaded(error)
        except psycopg.DataError as error:
            failure = Problem("error", "file_not_stored", f"PostgreSQL refused the file: {error}", {})
            break
        except Exception as error:  # whatever one file meets (a bug, a hostile shape), the load goes on
            if conn.broken:
                raise
            failure = file_not_loaded(error)
            break
    context = FileContext(publisher_id, crawl_id, file_id, options, FileOutcome(file_id), problems=[failure])
    with conn.transaction():
        if _claim(conn, context) is not None:
            _finish_file(conn, context)
    crash_point("load.file")
    return context.outcome


def _claim(conn: psycopg.Connection, context: FileContext) -> dict[str, Any] | None:
    """Lock the file's row until the transaction ends (one loader at a time stores a file) and return it; None when
    it says the file is loaded already (its counts are then the outcome's)."""
    row = conn.execute(query("raw/load", "claim_file"), {"id": context.crawl_file_id}).fetchone()
    if row is None:  # removed with its publisher (sql/queries/operate/removal.sql: delete_crawls)
        raise AtlasError(f"file {context.crawl_file_id} is gone: its publisher was removed while it was being loaded")
    if row["loaded_at"] is not None:
        context.outcome.releases, context.outcome.records = row["releases"] or 0, row["records"] or 0
        return None
    return row


def _store_whole(conn: psycopg.Connection, context: FileContext, path: Path) -> None:
    row = _claim(conn, context)
    if row is None:
        return
    sha256 = row["sha256"]
    if sha256 is None and path.is_file():  # registered without it (a crawl's file, see register_files)
        size, sha256 = file_digest(path)
        conn.execute(
            query("raw/load", "set_file_digest"), {"id": context.crawl_file_id, "size": size, "sha256": sha256}
        )
    key = content_key(context.publisher_id, sha256, context.options.reading())
    if key is not None:  # two crawls or loads storing the same content: one at a time
        conn.execute(query("raw/load", "lock_content"), {"key": int.from_bytes(key[:8], "big", signed=True)})
    before = stored_before(conn, context.crawl_file_id, key)
    if before is not None:
        _already_stored(conn, context, before, key)
    else:
        _store_file(conn, context, path, context.options.encoding)
        conn.execute(query("raw/load", "set_content_key"), {"id": context.crawl_file_id, "key": key})
    _finish_file(conn, context)


def _already_stored(conn: psycopg.Connection, context: FileContext, before: StoredBefore, key: bytes | None) -> None:
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


def _store_file(conn: psycopg.Connection, context: FileContext, path: Path, encoding: str | None) -> None:
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
            store_items(conn, context, _member(entry), batch)
            if context.held is not None and context.held.size >= HELD_BYTES:
                context.outcome.compiled += context.held.flush(conn, context.publisher_id)
    if context.held is not None:
        context.outcome.compiled += context.held.flush(conn, context.publisher_id)


def _converted(path: Path, data_format: str, encoding: str | None, context: FileContext) -> Iterator[Source | Problem]:
    """A spreadsheet as one source: the release package that flattentool makes of it."""
    package, problems = convert(
        path, data_format, context.options.declared_version, encoding, context.options.member_pattern
    )
    yield from problems
    if package is not None:
        yield Source(str(path), lambda: package)


def _batches(source: Source, encoding: str | None, context: FileContext) -> Iterator[list[Item]]:
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


def _finish_file(conn: psycopg.Connection, context: FileContext) -> None:
    """The file's notes, and its row's counts and mark that it is loaded (in the caller's transaction)."""
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
