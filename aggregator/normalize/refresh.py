"""Normalizing through the database: the compiled releases compiled since they were last normalized (or all, with
``full``) are read in batches, built into rows by :mod:`process`, and written where their output changed.

A batch is one transaction: its processes, their awards, contracts, parties and identifiers, the organization keys
and shared process keys its rows touched, and its processes' shares of the run's notes. At the end of the run (or
of the next one, when a run died) the organizations are refreshed, the processes published through several routes
(one global OCID, several publishers) are compared, each route that disagrees getting a note in place of the one it
had, and the shares are folded into notes: one per publisher and code with a count and the values met. A ``full``
run counts every process, rewritten or not, and its notes replace those that summed up the publishers before.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
import psycopg

from aggregator import settings
from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.normalize.orgs import load_scheme_map
from aggregator.normalize.procedures import load_mapping
from aggregator.normalize.process import Compiled, Context, Normalized, build
from aggregator.normalize.rates import load_rates
from aggregator.normalize.register import Register, build_register, load_register, read_csv
from aggregator.normalize.write import Batch, write_batch
from aggregator.notes import Note, NotePart, add_notes, replace_parts, take_parts
from aggregator.raw.crashpoints import crash_point
from aggregator.standard import release_schema

BATCH_SIZE = 200
#: Below this many compiled releases, starting worker processes costs more than it saves.
PARALLEL_MIN_RELEASES = 2000
#: What routes to one process are compared on.
COMPARED = ("buyer_org_key", "procedure_type", "amount", "currency", "tender_status", "award_count", "contract_count")
MAX_VALUES = 20


@dataclass
class NormalizeSummary:
    compiled_releases: int = 0
    written: int = 0
    unchanged: int = 0
    #: (publisher id, code) -> level, message, count, values met, example OCIDs (what the run says it wrote; the
    #: notes are folded from what the batches stored, see :func:`finish_run`)
    problems: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    run_problems: list[Note] = field(default_factory=list)

    def note(self, publisher_id: int, ocid: str, result: Normalized) -> None:
        for problem in result.problems:
            entry = self.problems.setdefault(
                (publisher_id, problem.code),
                {"level": problem.level, "message": problem.message, "count": 0, "values": Counter(), "ocids": []},
            )
            entry["count"] += 1
            if problem.value is not None:
                entry["values"][problem.value] += 1
            if len(entry["ocids"]) < 5 and ocid not in entry["ocids"]:
                entry["ocids"].append(ocid)


def currency_codes() -> frozenset[str]:
    """ISO 4217 codes, as the OCDS currency codelist (in the 1.1 release schema) has them."""
    schema = release_schema("1__1__5")
    return frozenset(schema["definitions"]["Value"]["properties"]["currency"]["enum"])


def make_context(summary: NormalizeSummary, today: date | None = None) -> Context:
    return Context(
        register=register_or_none(summary),
        schemes=load_scheme_map(),
        procedures=load_mapping(),
        currencies=currency_codes(),
        rates=load_rates(settings.rates_dir()),
        today=today or date.today(),
    )


def register_or_none(summary: NormalizeSummary) -> Register:
    """The org-id register; if it cannot be had, only the extra schemes, with a note (identifiers then mostly give
    way to name keys until the register is available and ``normalize --full`` runs)."""
    try:
        return load_register(settings.orgid_url())
    except AtlasError as error:
        summary.run_problems.append(Note("normalize", "error", "register_unavailable", str(error)))
        return build_register([], read_csv("extra_schemes.csv"))


def pending(conn: psycopg.Connection, publisher_ids: list[int] | None, full: bool) -> list[int]:
    """The compiled releases to normalize: those marked since they were last normalized (every one, with ``full``)."""
    name = "select_all" if full else "select_pending"
    rows = conn.execute(query("normalize/normalize", name), {"publisher_ids": publisher_ids})
    return [row["id"] for row in rows]


#: Runs a normalize's batches in other processes: (conn, batches, today, workers, on_batch, full) -> summary.
ParallelNormalize = Callable[
    [psycopg.Connection, list[list[int]], date, int, Callable[[int], None] | None, bool], "NormalizeSummary"
]


def normalize(
    conn: psycopg.Connection,
    publisher_ids: list[int] | None = None,
    full: bool = False,
    on_batch: Callable[[int], None] | None = None,
    ctx: Context | None = None,
    *,
    workers: int = 1,
    parallel: ParallelNormalize | None = None,
    pending_ids: list[int] | None = None,
) -> NormalizeSummary:
    """Normalize what was compiled since it was last normalized (or everything, with ``full``); with ``workers`` > 1
    (and no ``ctx`` given), the batches go to ``parallel``, the caller's runner (the task queue's worker processes:
    :func:`aggregator.operate.stage_jobs.normalize_in_workers`); without one they run here. ``pending_ids``: what
    :func:`pending` gave the caller for the same arguments, when it asked already."""
    summary = NormalizeSummary()
    ids = pending(conn, publisher_ids, full) if pending_ids is None else pending_ids
    batches = [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]

    def done(releases: int) -> None:
        crash_point("normalize.batch_done")
        if on_batch:
            on_batch(releases)

    parallel_ok = parallel is not None and workers > 1 and ctx is None
    if parallel_ok and len(batches) > 1 and len(ids) >= PARALLEL_MIN_RELEASES:
        summary = parallel(conn, batches, date.today(), workers, done, full)
    elif batches:
        ctx = ctx or make_context(summary)
        for batch in batches:
            normalize_batch(conn, batch, ctx, summary, full)
            done(len(batch))
    crash_point("normalize.finish")
    # Even with nothing to do: a run that died before its end left organizations, routes and notes to finish.
    finish_run(conn, summary.run_problems, full, publisher_ids)
    return summary


def finish_run(
    conn: psycopg.Connection,
    run_problems: list[Note],
    full: bool = False,
    publisher_ids: list[int] | None = None,
) -> None:
    """What a run does once its batches are done, here or in workers (and what runs that died left undone): the
    organizations they touched, then the routes that publish one process, and the run's notes (see
    :func:`aggregator.notes.take_parts` for ``full`` and ``publisher_ids``)."""
    with conn.transaction():
        refresh_organizations(conn)
        conn.execute(query("normalize/normalize", "drop_gone_marks"))
    crash_point("normalize.organizations")
    with conn.transaction():
        compare_routes(conn)
        take_parts(conn, "normalize", full, publisher_ids)
        add_notes(conn, run_problems + folded_notes(conn))


def refresh_organizations(conn: psycopg.Connection) -> None:
    """Once per run, the organizations whose parties the run's batches changed (each batch marks its keys, side by
    side in workers, without a lock): one aggregate over their parties, however many batches touched them."""
    conn.execute(query("normalize/normalize", "take_organizations"))
    conn.execute(query("normalize/normalize", "refresh_organizations"))
    conn.execute(query("normalize/normalize", "delete_orphan_organizations"))


def normalize_batch(
    conn: psycopg.Connection, ids: list[int], ctx: Context, summary: NormalizeSummary, full: bool = False
) -> None:
    """Normalize a batch of compiled releases in one transaction, with its shares of the run's notes: write the
    processes whose output changed (:mod:`write`: by COPY and a few set-based statements) and mark the others done;
    with ``full``, the processes left as they were count in the notes too."""
    with conn.transaction():
        batch = Batch()
        counted: list[tuple[dict[str, Any], Normalized]] = []
        read = []
        for row in conn.execute(query("normalize/normalize", "select_compiled"), {"ids": ids}).fetchall():
            read.append((row["id"], row["compiled_at"]))
            summary.compiled_releases += 1
            result = build(_compiled(row), ctx)
            if row["output_hash"] is not None and bytes(row["output_hash"]) == result.output_hash:
                summary.unchanged += 1
                if row["source_compiled_at"] != row["compiled_at"]:
                    batch.touched.append((row["process_id"], row["compiled_at"]))
                if full:
                    counted.append((row, result))
                continue
            counted.append((row, result))
            summary.note(row["publisher_id"], row["ocid"], result)
            process = {**result.process, "source_compiled_at": row["compiled_at"], "output_hash": result.output_hash}
            children = {
                "awards": result.awards,
                "contracts": result.contracts,
                "parties": result.parties,
                "identifiers": result.identifiers,
            }
            batch.add(row["id"], process, children)
        write_batch(conn, batch)
        conn.execute(
            query("normalize/normalize", "take_normalized"),
            {"ids": [r[0] for r in read], "compiled_at": [r[1] for r in read]},
        )
        summary.written += len(batch.processes)
        _mark_counted(conn, counted, full)
        crash_point("normalize.batch")


def _mark_counted(conn: psycopg.Connection, counted: list[tuple[dict[str, Any], Normalized]], full: bool) -> None:
    """The shares of the run's notes of the processes counted, and their process keys that other routes may share
    (compared when the run ends)."""
    parts = [
        NotePart(row["publisher_id"], row["ocid"], problem.code, problem.level, problem.message, problem.value)
        for row, result in counted
        for problem in result.problems
    ]
    replace_parts(conn, "normalize", [(row["publisher_id"], row["ocid"]) for row, _ in counted], parts, full)
    keys = sorted({r.process["process_key"] for _, r in counted if r.process["ocid_scope"] == "global"})
    if keys:
        conn.execute(query("normalize/normalize", "mark_process_keys"), {"keys": keys})


def _compiled(row: dict[str, Any]) -> Compiled:
    return Compiled(
        compiled_release_id=row["id"],
        publisher_id=row["publisher_id"],
        publisher=row["publisher"],
        country=row["country"],
        ocid=row["ocid"],
        body=orjson.loads(row["body"]),
        declared_prefixes=tuple(row["ocid_prefixes"] or ()),
    )


def compare_routes(conn: psycopg.Connection) -> None:
    """For the shared process keys the batches marked: pick the row that stands for each shared process, and note
    the routes whose contents disagree (in place of the notes the key had)."""
    keys = [row["process_key"] for row in conn.execute(query("normalize/normalize", "take_process_keys"))]
    if not keys:
        return
    conn.execute(query("normalize/normalize", "update_primary"), {"keys": keys})
    conn.execute(query("normalize/normalize", "delete_route_notes"), {"keys": keys})
    routes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query("normalize/normalize", "select_shared_processes"), {"keys": keys}):
        routes[row["process_key"]].append(row)
    notes = []
    for key, rows in routes.items():
        differing = {
            column: {row["publisher"]: _plain(row[column]) for row in rows}
            for column in COMPARED
            if len({_plain(row[column]) for row in rows}) > 1
        }
        if differing:
            message = f"{len(rows)} publishers publish {key} and disagree on {', '.join(sorted(differing))}"
            data = {"process_key": key, "publishers": [row["publisher"] for row in rows], "fields": differing}
            for publisher_id in sorted({row["publisher_id"] for row in rows}):
                note = Note("normalize", "warning", "ocid_routes_disagree", message, data, publisher_id, ocid=key)
                notes.append(note)
    add_notes(conn, notes)


def _plain(value: Any) -> Any:
    return str(value) if value is not None and not isinstance(value, str | int) else value


def folded_notes(conn: psycopg.Connection) -> list[Note]:
    """The shares taken (:func:`aggregator.notes.take_parts`) as one note per publisher and code: how many times,
    the values met (the ``MAX_VALUES`` most frequent), and the first OCIDs."""
    values: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    params = {"max_values": MAX_VALUES}
    for row in conn.execute(query("normalize/normalize", "select_folded_values"), params):
        values[row["publisher_id"], row["code"]][row["value"]] = row["count"]
    notes = []
    for row in conn.execute(query("normalize/normalize", "select_folded_problems")):
        key = (row["publisher_id"], row["code"])
        data = {"values": values[key], "distinct_values": row["distinct_values"], "ocids": row["ocids"]}
        message = f"{row['message']} ({row['count']} times)"
        notes.append(Note("normalize", row["level"], row["code"], message, data, key[0], count=row["count"]))
    return notes
