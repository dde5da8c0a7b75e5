"""Compiling: the OCIDs queued by loads (or all, with ``full``) are merged into compiled releases.

Work is split by OCID into batches (one publisher each), each batch in one transaction; with ``workers`` > 1 the
caller's runner takes the batches (the task queue's worker processes, :mod:`aggregator.operate.workers`, here and
on any machine serving the queue). A compiled release whose inputs did not change (same rules, same release bodies
in the same order) is not rewritten.

An OCID's own notes are written, in place of those it had, with its compiled release; its shares of the notes that
sum the run up per publisher (merge warnings, rules that could not be had) commit with them too, and are folded into
notes when the run ends (:mod:`aggregator.notes`). A ``full`` run counts every OCID, rewritten or not, and its notes
replace those that summed up the publishers before.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from aggregator.compile.fastmerge import Unsupported
from aggregator.compile.merge import RecordInput, ReleaseInput, compile_ocid, inputs_digest
from aggregator.compile.rules import Rules, clean_extensions, rules_for
from aggregator.compile.store import Batch, CompileSummary, finish_run, notes_of, parts_of, rules_of, store_batch
from aggregator.db import in_snapshot, query
from aggregator.raw import gcpause
from aggregator.raw.bodies import load_many as load_bodies
from aggregator.raw.crashpoints import crash_point

BATCH_SIZE = 500
#: Below this many OCIDs, starting worker processes costs more than it saves.
PARALLEL_MIN_OCIDS = 2000


def pending_batches(
    conn: psycopg.Connection, publisher_ids: list[int] | None, full: bool, versioned: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """The queued OCIDs (or all, with ``full``; with ``versioned``, those whose compiled release has no versioned
    release yet too), in batches of one publisher, read from a server-side cursor: a backlog of millions of OCIDs is
    never held here whole."""
    # WITH HOLD, so that the batches can be compiled (and committed) on this connection while it is read.
    with conn.cursor("pending_ocids", row_factory=tuple_row, withhold=True) as cursor:
        cursor.itersize = 10_000
        cursor.execute(_pending_query("select_pending_ocids", full, versioned), {"publisher_ids": publisher_ids})
        yield from batched(cursor)


def count_pending(
    conn: psycopg.Connection, publisher_ids: list[int] | None, full: bool, versioned: bool = False
) -> int:
    """How many OCIDs :func:`pending_batches` would give, counted by the server."""
    statement = _pending_query("count_pending_ocids", full, versioned)
    return conn.execute(statement, {"publisher_ids": publisher_ids}).fetchone()["ocids"]


def _pending_query(name: str, full: bool, versioned: bool) -> str:
    ocids = "all_ocids" if full else "unversioned_ocids" if versioned else "queued_ocids"
    return query("compile/compile", name).replace("{ocids}", query("compile/compile", ocids))


#: Runs a compile's batches in other processes: (conn, batches, versioned, started, workers, on_batch, full) ->
#: summary.
ParallelCompile = Callable[
    [psycopg.Connection, Iterable[tuple[int, list[str]]], bool, datetime, int, Callable[[int], None] | None, bool],
    "CompileSummary",
]


def compile_ocids(
    conn: psycopg.Connection,
    publisher_ids: list[int] | None = None,
    full: bool = False,
    on_batch: Callable[[int], None] | None = None,
    *,
    versioned: bool = False,
    workers: int = 1,
    pending: int | None = None,
    parallel: ParallelCompile | None = None,
) -> CompileSummary:
    """Compile what is queued (or everything, with ``full``) for the given publishers (or all). ``pending`` is how
    many OCIDs that is, when the caller has counted them already (:func:`count_pending`). With ``workers`` > 1 and
    enough OCIDs, the batches go to ``parallel`` (the caller's runner: the task queue's workers, see
    :func:`aggregator.operate.stage_jobs.compile_in_workers`); without one they are compiled here, one by one."""
    summary = CompileSummary()
    started = datetime.now(UTC)
    batches = pending_batches(conn, publisher_ids, full, versioned)
    if workers > 1 and pending is None:
        pending = count_pending(conn, publisher_ids, full, versioned)

    def done(ocids: int) -> None:
        crash_point("compile.batch_done")
        if on_batch:
            on_batch(ocids)

    if parallel is None or workers <= 1 or (pending or 0) < PARALLEL_MIN_OCIDS:
        for publisher_id, ocids in batches:
            summary.add(compile_batch(conn, publisher_id, ocids, versioned, started, full))
            done(len(ocids))
    else:
        summary.add(parallel(conn, batches, versioned, started, workers, done, full))
    crash_point("compile.finish")
    finish_run(conn, full, publisher_ids)
    return summary


def batched(keys: Iterable[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """Batches of at most ``BATCH_SIZE`` OCIDs of one publisher, from keys ordered by publisher."""
    for publisher_id, group in itertools.groupby(keys, key=itemgetter(0)):
        ocids: list[str] = []
        for _, ocid in group:
            ocids.append(ocid)
            if len(ocids) == BATCH_SIZE:
                yield publisher_id, ocids
                ocids = []
        if ocids:
            yield publisher_id, ocids


def compile_batch(
    conn: psycopg.Connection,
    publisher_id: int,
    ocids: list[str],
    versioned: bool,
    started: datetime,
    full: bool = False,
) -> CompileSummary:
    """Compile one batch in one transaction, with its notes, and take it off the queue (unless it was queued again
    meanwhile).

    An OCID whose compiled release was made from the same inputs (the same bodies in the same order, with the same
    rules) is left as it is, and the bodies of its releases are not even read; with ``full``, its shares of the
    run's notes are counted all the same.

    The transaction sees one snapshot (repeatable read), so that what it reads, writes and takes off the queue agree:
    a load that committed bodies of one of its OCIDs after the batch read them (and queued the OCID again) keeps its
    mark on the queue, and a load that compiled one of its OCIDs meanwhile
    (:func:`aggregator.compile.held.compile_held`) is not written over; the batch is then run again
    (:func:`aggregator.db.in_snapshot`).

    The batch first locks its publisher, to share it until it commits: a removal of the publisher waits for it, and a
    batch of a publisher removed meanwhile (run again, once the removal has committed) writes nothing.
    """

    def batch() -> CompileSummary:
        conn.execute(query("compile/compile", "commit_without_waiting"))
        if conn.execute(query("compile/compile", "lock_publisher"), {"publisher_id": publisher_id}).fetchone() is None:
            return CompileSummary()  # removed meanwhile, with its queue
        # In a function of its own, so that the batch's parsed releases are freed before the collector resumes: its
        # first run would otherwise walk them all (measured: 14.7 -> 13.3 s compiling 204 MB in one process).
        summary = _compile_batch(conn, publisher_id, ocids, versioned, full)
        conn.execute(
            query("compile/compile", "dequeue"), {"publisher_id": publisher_id, "ocids": ocids, "before": started}
        )
        crash_point("compile.batch")
        return summary

    with gcpause.paused():
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return in_snapshot(conn, batch)
        with conn.transaction():  # a caller's (a task queue job's, in a snapshot of its own: operate/tasks.py)
            return batch()


def _compile_batch(
    conn: psycopg.Connection, publisher_id: int, ocids: list[str], versioned: bool, full: bool
) -> CompileSummary:
    summary = CompileSummary()
    existing = {
        row["ocid"]: (bytes(row["input_hash"]), row["warnings"])
        for row in conn.execute(
            query("compile/compile", "select_hashes"), {"publisher_id": publisher_id, "ocids": ocids}
        )
    }
    hashes = {ocid: value[0] for ocid, value in existing.items()}
    todo, rules_of_kept = _changed(conn, publisher_id, ocids, hashes, versioned) if existing else (ocids, None)
    summary.ocids += len(ocids)
    summary.unchanged += len(ocids) - len(todo)
    releases, records, versions, extensions = read_inputs(conn, publisher_id, todo)
    gone = [ocid for ocid in todo if ocid not in releases and ocid not in records]
    if gone:  # nothing left to compile from: only rows of loads and crawls that died
        removed = conn.execute(
            query("compile/compile", "delete_without_inputs"), {"publisher_id": publisher_id, "ocids": gone}
        ).fetchall()
        summary.removed += len(removed)
        left = set(gone)
        todo = [ocid for ocid in todo if ocid not in left]
    batch = merge_batch(publisher_id, todo, releases, records, versions, extensions, versioned, summary)
    counted = list(todo)
    if full and rules_of_kept is not None:  # a full run counts the OCIDs left as they were too
        redone = set(todo)
        kept = [ocid for ocid in ocids if ocid not in redone]
        for ocid in kept:
            batch.parts.extend(parts_of(publisher_id, ocid, rules_of_kept(ocid).problems, existing[ocid][1] or {}))
        counted += kept
    store_batch(conn, publisher_id, batch, todo, counted, versions, extensions, summary, full)
    return summary


def merge_batch(
    publisher_id: int,
    ocids: list[str],
    releases: dict[str, list[ReleaseInput]],
    records: dict[str, list[RecordInput]],
    versions: dict[str, str],
    extensions: dict[str, tuple[str, ...]],
    versioned: bool,
    summary: CompileSummary,
    *,
    fast_only: bool = False,
) -> Batch:
    batch = Batch()
    for ocid in ocids:
        rules = rules_for(versions.get(ocid, "1.1"), extensions.get(ocid, ()))
        try:
            result = compile_ocid(
                rules, ocid, releases.get(ocid, []), records.get(ocid, []), versioned=versioned, fast_only=fast_only
            )
        except Unsupported:
            batch.left.append(ocid)
            continue
        for problem in rules.problems:
            summary.note_rule_problem(publisher_id, problem)
        if result.problems:
            batch.notes.extend(notes_of(publisher_id, ocid, result.problems))
        if rules.problems or result.warnings:
            batch.parts.extend(parts_of(publisher_id, ocid, rules.problems, result.warnings))
            summary.warnings.update({(publisher_id, key): n for key, n in result.warnings.items()})
        if result.body is None:
            summary.failed += 1
        else:
            batch.results[ocid] = result
    return batch


def _changed(
    conn: psycopg.Connection, publisher_id: int, ocids: list[str], existing: dict[str, bytes], versioned: bool
) -> tuple[list[str], Callable[[str], Rules]]:
    """The OCIDs whose inputs differ from those their compiled release was made from, found from the inputs' keys;
    and the rules of each OCID."""
    releases, records, versions, extensions = read_inputs(conn, publisher_id, ocids, bodies=False)
    rules = rules_of(versions, extensions)
    todo = [
        ocid
        for ocid in ocids
        if existing.get(ocid)
        != inputs_digest(rules(ocid).label, releases.get(ocid, []), records.get(ocid, []), versioned=versioned)
    ]
    return todo, rules


def read_inputs(
    conn: psycopg.Connection,
    publisher_id: int,
    ocids: list[str],
    *,
    bodies: bool = True,
    held: Mapping[int, Any] | None = None,
) -> tuple[dict[str, list[ReleaseInput]], dict[str, list[RecordInput]], dict[str, str], dict[str, tuple[str, ...]]]:
    """The releases and records of the OCIDs, with their bodies (or, without ``bodies``, with empty ones: enough to
    know the merge order and the rules; with ``held`` too, the releases whose bodies it holds have those)."""
    params = {"publisher_id": publisher_id, "ocids": ocids}
    releases: dict[str, list[ReleaseInput]] = defaultdict(list)
    records: dict[str, list[RecordInput]] = defaultdict(list)
    versions: dict[str, str] = {}
    declared: dict[str, list[Any]] = defaultdict(list)
    if not ocids:
        return releases, records, versions, {}
    # Tuples in the query's column order, not dicts: this query gives every release of the batch, and making a dict
    # of each row was a noticeable share of compiling's CPU time.
    name = "select_releases" if bodies else "select_release_keys"
    rows = conn.cursor(row_factory=tuple_row).execute(query("compile/compile", name), params).fetchall()
    # Unpacked all at once: one call to zstd for the batch (see bodies.load_many).
    values = load_bodies([row[9] for row in rows])
    for value, (
        row_id,
        file_id,
        ordinal,
        ocid,
        release_id,
        date,
        date_text,
        version,
        data_id,
        _body,
        compiled,
        extensions,
    ) in zip(values, rows, strict=True):
        order = (file_id, ordinal, row_id)
        if value is None:
            value = held.get(data_id, {}) if held is not None else {}
        releases[ocid].append(ReleaseInput(data_id, release_id, date_text, date, order, value, version, compiled))
        if version > versions.get(ocid, ""):
            versions[ocid] = version
        declared[ocid].append(extensions)
    name = "select_records" if bodies else "select_record_keys"
    rows = conn.execute(query("compile/compile", name), params).fetchall()
    for value, row in zip(load_bodies([row["body"] for row in rows]), rows, strict=True):
        ocid = row["ocid"]
        records[ocid].append(
            RecordInput(
                row["data_id"],
                (row["crawl_file_id"], row["ordinal"], row["id"]),
                {} if value is None else value,
                row["ocds_version"],
            )
        )
        versions[ocid] = max(versions.get(ocid, ""), row["ocds_version"])
        declared[ocid].append(row["extensions"])
    return releases, records, versions, {ocid: clean_extensions(values) for ocid, values in declared.items()}
