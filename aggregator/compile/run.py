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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import orjson
import psycopg
from psycopg.rows import tuple_row

from aggregator.compile.fastmerge import Unsupported
from aggregator.compile.merge import Compiled, RecordInput, ReleaseInput, compile_ocid, inputs_digest
from aggregator.compile.rules import Rules, clean_extensions, rules_for
from aggregator.db import query
from aggregator.notes import Note, NotePart, add_notes, replace_parts, take_parts
from aggregator.raw import bodies, gcpause
from aggregator.raw.bodies import load_many as load_bodies
from aggregator.raw.crashpoints import crash_point
from aggregator.raw.shapes import Problem

BATCH_SIZE = 500
#: Below this many OCIDs, starting worker processes costs more than it saves.
PARALLEL_MIN_OCIDS = 2000
#: A batch whose snapshot met another transaction's write of one of its OCIDs (see :func:`compile_batch`), or a
#: deadlock, is run again, up to this many times in all.
ATTEMPTS = 5
RUN_AGAIN = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)


@dataclass
class CompileSummary:
    ocids: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    #: Compiled releases deleted: their OCID has no release or record left but those of loads and crawls that died.
    removed: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    #: Merge warnings, counted per (publisher id, warning and path).
    warnings: Counter[tuple[int, str]] = field(default_factory=Counter)
    #: Problems with the rules (an extension that could not be had), per publisher, with the OCIDs they touched.
    rule_problems: dict[tuple[int, str], tuple[Problem, int]] = field(default_factory=dict)

    def add(self, other: CompileSummary) -> None:
        self.ocids += other.ocids
        self.written += other.written
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.removed += other.removed
        self.methods.update(other.methods)
        self.warnings.update(other.warnings)
        for key, (problem, count) in other.rule_problems.items():
            self.note_rule_problem(key[0], problem, count)

    def note_rule_problem(self, publisher_id: int, problem: Problem, count: int = 1) -> None:
        key = (publisher_id, problem.message)
        self.rule_problems[key] = (problem, self.rule_problems.get(key, (problem, 0))[1] + count)


def pending_batches(
    conn: psycopg.Connection, publisher_ids: list[int] | None, full: bool
) -> Iterator[tuple[int, list[str]]]:
    """The queued OCIDs (or all, with ``full``), in batches of one publisher, read from a server-side cursor: a
    backlog of millions of OCIDs is never held here whole."""
    name = "select_all_ocids" if full else "select_queued_ocids"
    # WITH HOLD, so that the batches can be compiled (and committed) on this connection while it is read.
    with conn.cursor("pending_ocids", row_factory=tuple_row, withhold=True) as cursor:
        cursor.itersize = 10_000
        cursor.execute(query("compile/compile", name), {"publisher_ids": publisher_ids})
        yield from batched(cursor)


def count_pending(conn: psycopg.Connection, publisher_ids: list[int] | None, full: bool) -> int:
    """How many OCIDs ``pending`` would give, counted by the server."""
    name = "count_all_ocids" if full else "count_queued_ocids"
    return conn.execute(query("compile/compile", name), {"publisher_ids": publisher_ids}).fetchone()["ocids"]


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
    batches = pending_batches(conn, publisher_ids, full)
    if workers > 1 and pending is None:
        pending = count_pending(conn, publisher_ids, full)

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
    mark on the queue, and a load that compiled one of its OCIDs meanwhile (:func:`compile_held`) is not written
    over; the batch is then run again, up to ``ATTEMPTS`` times in all.
    """
    fresh = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with gcpause.paused(), conn.transaction():
                if fresh:  # not inside a caller's transaction, whose isolation is the caller's
                    conn.execute(query("compile/compile", "repeatable_read"))
                conn.execute(query("compile/compile", "commit_without_waiting"))
                # In a function of its own, so that the batch's parsed releases are freed before the collector
                # resumes: its first run would otherwise walk them all (measured: 14.7 -> 13.3 s compiling 204 MB in
                # one process).
                summary = _compile_batch(conn, publisher_id, ocids, versioned, full)
                conn.execute(
                    query("compile/compile", "dequeue"),
                    {"publisher_id": publisher_id, "ocids": ocids, "before": started},
                )
                crash_point("compile.batch")
            return summary
        except RUN_AGAIN:
            if attempt == ATTEMPTS or not fresh:
                raise
    raise AssertionError("unreachable")


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
    releases, records, versions, extensions = _inputs(conn, publisher_id, todo)
    gone = [ocid for ocid in todo if ocid not in releases and ocid not in records]
    if gone:  # nothing left to compile from: only rows of loads and crawls that died
        removed = conn.execute(
            query("compile/compile", "delete_without_inputs"), {"publisher_id": publisher_id, "ocids": gone}
        ).fetchall()
        summary.removed += len(removed)
        left = set(gone)
        todo = [ocid for ocid in todo if ocid not in left]
    batch = _merge(publisher_id, todo, releases, records, versions, extensions, versioned, summary)
    counted = list(todo)
    if full and rules_of_kept is not None:  # a full run counts the OCIDs left as they were too
        redone = set(todo)
        kept = [ocid for ocid in ocids if ocid not in redone]
        for ocid in kept:
            batch.parts.extend(_parts(publisher_id, ocid, rules_of_kept(ocid).problems, existing[ocid][1] or {}))
        counted += kept
    _store(conn, publisher_id, batch, todo, counted, versions, extensions, summary, full)
    return summary


@dataclass
class _Batch:
    """What merging a batch gave: the compiled releases, the OCIDs' own notes and their shares of the run's notes."""

    results: dict[str, Compiled] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    parts: list[NotePart] = field(default_factory=list)
    #: With ``fast_only``, the OCIDs left to a compile from the stored bodies (see :func:`compile_held`).
    left: list[str] = field(default_factory=list)


def _merge(
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
) -> _Batch:
    batch = _Batch()
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
        batch.notes.extend(_notes(publisher_id, ocid, result.problems))
        batch.parts.extend(_parts(publisher_id, ocid, rules.problems, result.warnings))
        summary.warnings.update({(publisher_id, key): n for key, n in result.warnings.items()})
        if result.body is None:
            summary.failed += 1
        else:
            batch.results[ocid] = result
    return batch


def _store(
    conn: psycopg.Connection,
    publisher_id: int,
    batch: _Batch,
    compiled: list[str],
    counted: list[str],
    versions: dict[str, str],
    extensions: dict[str, tuple[str, ...]],
    summary: CompileSummary,
    full: bool = False,
) -> None:
    """Write the batch's compiled releases and the notes of the OCIDs ``compiled`` (in place of their notes before),
    and the shares of the run's notes of the OCIDs ``counted``."""
    _write(conn, publisher_id, batch.results, versions, rules_label(versions, extensions), summary)
    conn.execute(query("compile/compile", "delete_ocid_notes"), {"publisher_id": publisher_id, "ocids": compiled})
    add_notes(conn, batch.notes)
    replace_parts(conn, "compile", [(publisher_id, ocid) for ocid in counted], batch.parts, full)


def compile_held(conn: psycopg.Connection, publisher_id: int, ocids: Iterable[str], held: Mapping[int, Any]) -> int:
    """Compile now, in the caller's transaction (a load's, which queued ``ocids``), those of the OCIDs whose every
    input is a release whose body ``held`` has (the parsed body, by its ``raw_data`` id), and take them off the
    queue: their bodies are not read back. The others stay queued, for compile: an OCID with a record, a compiled
    release, a body not held (another file's), an OCDS version other than 1.1 (1.0's upgrade follows the order of
    the keys), or a shape that only ocdsmerge merges (whose result may follow the order of the keys too: held bodies
    have theirs as published, stored ones sorted).

    Safe beside other loads and compiles: the caller's transaction queued each OCID, so it holds the OCID's queue row
    until it commits, and a load that adds a body to the OCID queues it again once this one has committed (the
    ``queue_ocids`` query waits for the row); a compile that read the OCID before this commits does not write over
    it (see :func:`compile_batch`). Returns how many OCIDs were taken off the queue: compiled, or found compiled from
    the same inputs already.

    The merge warnings and rule problems of the OCIDs compiled wait, as shares of a compile run's notes, for the next
    :func:`finish_run` to fold them."""
    summary = CompileSummary()
    taken = 0
    ocids = sorted(set(ocids))
    for start in range(0, len(ocids), BATCH_SIZE):
        part = ocids[start : start + BATCH_SIZE]
        keys, records, versions, extensions = _inputs(conn, publisher_id, part, bodies=False, held=held)
        ready: dict[str, list[ReleaseInput]] = {}
        for ocid in part:
            inputs = keys.get(ocid)
            if not inputs or ocid in records or versions.get(ocid) != "1.1":
                continue
            if all(r.data_id in held and not r.compiled and r.ocds_version == "1.1" for r in inputs):
                ready[ocid] = inputs
        if not ready:
            continue
        rules = rules_of(versions, extensions)
        existing = {
            row["ocid"]: bytes(row["input_hash"])
            for row in conn.execute(
                query("compile/compile", "select_hashes"), {"publisher_id": publisher_id, "ocids": list(ready)}
            )
        }
        todo = [
            ocid
            for ocid in ready
            if ocid not in existing or existing[ocid] != inputs_digest(rules(ocid).label, ready[ocid], [])
        ]
        batch = _merge(publisher_id, todo, ready, {}, versions, extensions, False, summary, fast_only=True)
        left = set(batch.left)
        compiled = [ocid for ocid in todo if ocid not in left]
        _store(conn, publisher_id, batch, compiled, compiled, versions, extensions, summary)
        done = [ocid for ocid in ready if ocid not in left]
        conn.execute(query("compile/compile", "dequeue_held"), {"publisher_id": publisher_id, "ocids": done})
        taken += len(done)
    return taken


def _changed(
    conn: psycopg.Connection, publisher_id: int, ocids: list[str], existing: dict[str, bytes], versioned: bool
) -> tuple[list[str], Callable[[str], Rules]]:
    """The OCIDs whose inputs differ from those their compiled release was made from, found from the inputs' keys;
    and the rules of each OCID."""
    releases, records, versions, extensions = _inputs(conn, publisher_id, ocids, bodies=False)
    rules = rules_of(versions, extensions)
    todo = [
        ocid
        for ocid in ocids
        if existing.get(ocid)
        != inputs_digest(rules(ocid).label, releases.get(ocid, []), records.get(ocid, []), versioned=versioned)
    ]
    return todo, rules


def rules_of(versions: dict[str, str], extensions: dict[str, tuple[str, ...]]) -> Callable[[str], Rules]:
    return lambda ocid: rules_for(versions.get(ocid, "1.1"), extensions.get(ocid, ()))


def rules_label(versions: dict[str, str], extensions: dict[str, tuple[str, ...]]) -> Callable[[str], str]:
    return lambda ocid: rules_of(versions, extensions)(ocid).label


def _inputs(
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


def _notes(publisher_id: int, ocid: str, problems: list[Problem]) -> list[Note]:
    return [Note("compile", p.level, p.code, p.message, p.data, publisher_id=publisher_id, ocid=ocid) for p in problems]


def _write(
    conn: psycopg.Connection,
    publisher_id: int,
    results: dict[str, Compiled],
    versions: dict[str, str],
    label: Callable[[str], str],
    summary: CompileSummary,
) -> None:
    texts: dict[bytes, bytes] = {}
    hashes: dict[str, tuple[bytes, bytes | None]] = {}
    for ocid, result in results.items():
        digest, text, _ = bodies.canonical(result.body)
        texts[digest] = text
        versioned_digest = None
        if result.versioned is not None:
            versioned_digest, versioned_text, _ = bodies.canonical(result.versioned)
            texts[versioned_digest] = versioned_text
        hashes[ocid] = (digest, versioned_digest)
    with conn.cursor() as cursor:
        ids = bodies.store(cursor, "data", texts)
        rows = []
        for ocid, result in results.items():
            digest, versioned_digest = hashes[ocid]
            rows.append(
                (
                    publisher_id,
                    ocid,
                    ids[digest],
                    ids[versioned_digest] if versioned_digest else None,
                    result.method,
                    result.release_count,
                    result.first_date,
                    result.last_date,
                    # The version of the inputs; the body is 1.1 either way (1.0 is upgraded after merging).
                    versions.get(ocid, "1.1"),
                    label(ocid),
                    orjson.dumps(result.warnings).decode(),
                    result.input_hash,
                )
            )
        if rows:
            # Through a staging table: one COPY and one statement, where an INSERT per row took 7% of compiling.
            cursor.execute(query("compile/compile", "create_compiled_staging"))
            with cursor.copy(query("compile/compile", "copy_compiled_staging")) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(query("compile/compile", "upsert_compiled_releases"))
    summary.written += len(rows)
    summary.methods.update(result.method for result in results.values() if result.method)


def _parts(publisher_id: int, ocid: str, rule_problems: Iterable[Problem], warnings: dict[str, int]) -> list[NotePart]:
    """An OCID's shares of the notes that sum the run up: its merge warnings, and the rules it could not have."""
    parts = [
        NotePart(publisher_id, ocid, "merge_warning", "warning", "ocdsmerge warned", key, count)
        for key, count in sorted(warnings.items())
    ]
    parts += [NotePart(publisher_id, ocid, p.code, p.level, p.message, data=p.data) for p in rule_problems]
    return parts


def finish_run(conn: psycopg.Connection, full: bool = False, publisher_ids: list[int] | None = None) -> None:
    """Fold the shares of the run's notes (and those left by runs that died) into notes, in one transaction: merge
    warnings and rule problems as one note per publisher and kind, with a count (not one per occurrence)."""
    with conn.transaction():
        take_parts(conn, "compile", full, publisher_ids)
        notes = [
            Note(
                "compile",
                "warning",
                "merge_warning",
                f"ocdsmerge warned {row['count']} times: {row['warning']}",
                {"warning": row["warning"]},
                publisher_id=row["publisher_id"],
                count=row["count"],
            )
            for row in conn.execute(query("compile/compile", "select_folded_warnings"))
        ]
        notes += [
            Note(
                "compile",
                row["level"],
                row["code"],
                row["message"],
                {**row["data"], "ocids": row["ocids"]},
                publisher_id=row["publisher_id"],
            )
            for row in conn.execute(query("compile/compile", "select_folded_rule_problems"))
        ]
        add_notes(conn, notes)
