"""Normalizing through the database: the compiled releases compiled since they were last normalized (or all, with
``full``) are read in batches, built into rows by :mod:`process`, and written where their output changed.

A batch is one transaction: its processes, their awards, contracts, parties and identifiers, and the organizations
its parties resolve to. Processes published through several routes (one global OCID, several publishers) are
compared at the end of the run, and the routes that disagree get a note. Problems are stored as notes, one per
publisher and code with a count and the values met.
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
from aggregator.notes import Note, add_notes
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
    #: (publisher id, code) -> level, message, count, values met, example OCIDs
    problems: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    global_keys: set[str] = field(default_factory=set)
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
    rows = conn.execute(query("normalize/normalize", "select_pending"), {"publisher_ids": publisher_ids, "full": full})
    return [row["id"] for row in rows]


#: Runs a normalize's batches in other processes: (conn, batches, today, workers, on_batch) -> summary.
ParallelNormalize = Callable[
    [psycopg.Connection, list[list[int]], date, int, Callable[[int], None] | None], "NormalizeSummary"
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
) -> NormalizeSummary:
    """Normalize what was compiled since it was last normalized (or everything, with ``full``); with ``workers`` > 1
    (and no ``ctx`` given), the batches go to ``parallel``, the caller's runner (the task queue's worker processes:
    :func:`aggregator.operate.workers.normalize_in_workers`); without one they run here."""
    summary = NormalizeSummary()
    ids = pending(conn, publisher_ids, full)
    if not ids:
        return summary  # a run that stopped before its end left keys marked: the next one with work refreshes them
    batches = [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]
    parallel_ok = parallel is not None and workers > 1 and ctx is None
    if parallel_ok and len(batches) > 1 and len(ids) >= PARALLEL_MIN_RELEASES:
        summary = parallel(conn, batches, date.today(), workers, on_batch)
    else:
        ctx = ctx or make_context(summary)
        for batch in batches:
            normalize_batch(conn, batch, ctx, summary)
            if on_batch:
                on_batch(len(batch))
    finish_run(conn, summary)
    return summary


def finish_run(conn: psycopg.Connection, summary: NormalizeSummary) -> None:
    """What a run does once its batches are done, here or in workers: the organizations they touched, then the
    routes that publish one process, and the run's notes."""
    with conn.transaction():
        refresh_organizations(conn)
    with conn.transaction():
        compare_routes(conn, sorted(summary.global_keys), summary)
        add_notes(conn, summary.run_problems + run_notes(summary))


def refresh_organizations(conn: psycopg.Connection) -> None:
    """Once per run, the organizations whose parties the run's batches changed (each batch marks its keys, side by
    side in workers, without a lock): one aggregate over their parties, however many batches touched them."""
    conn.execute(query("normalize/normalize", "take_organizations"))
    conn.execute(query("normalize/normalize", "refresh_organizations"))
    conn.execute(query("normalize/normalize", "delete_orphan_organizations"))


def normalize_batch(conn: psycopg.Connection, ids: list[int], ctx: Context, summary: NormalizeSummary) -> None:
    """Normalize these compiled releases in one transaction; write the processes whose output changed
    (:mod:`write`: by COPY and a few set-based statements), and mark the others done."""
    with conn.transaction():
        batch = Batch()
        for row in conn.execute(query("normalize/normalize", "select_compiled"), {"ids": ids}).fetchall():
            summary.compiled_releases += 1
            result = build(_compiled(row), ctx)
            if row["output_hash"] is not None and bytes(row["output_hash"]) == result.output_hash:
                summary.unchanged += 1
                if row["source_compiled_at"] != row["compiled_at"]:
                    batch.touched.append((row["process_id"], row["compiled_at"]))
                continue
            summary.note(row["publisher_id"], row["ocid"], result)
            process = {**result.process, "source_compiled_at": row["compiled_at"], "output_hash": result.output_hash}
            if process["ocid_scope"] == "global":
                summary.global_keys.add(process["process_key"])
            children = {
                "awards": result.awards,
                "contracts": result.contracts,
                "parties": result.parties,
                "identifiers": result.identifiers,
            }
            batch.add(row["id"], process, children)
        write_batch(conn, batch)
        summary.written += len(batch.processes)


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


def compare_routes(conn: psycopg.Connection, keys: list[str], summary: NormalizeSummary) -> None:
    """Pick the row that stands for each shared process, and note the routes whose contents disagree."""
    if not keys:
        return
    conn.execute(query("normalize/normalize", "update_primary"), {"keys": keys})
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


def run_notes(summary: NormalizeSummary) -> list[Note]:
    notes = []
    for (publisher_id, code), entry in sorted(summary.problems.items()):
        values = dict(entry["values"].most_common(MAX_VALUES))
        data = {"values": values, "distinct_values": len(entry["values"]), "ocids": entry["ocids"]}
        message = f"{entry['message']} ({entry['count']} times)"
        notes.append(Note("normalize", entry["level"], code, message, data, publisher_id, count=entry["count"]))
    return notes
