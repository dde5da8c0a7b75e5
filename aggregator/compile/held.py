"""Compiling in a load's transaction, from the bodies it has just parsed (:func:`compile_held`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import psycopg

from aggregator.compile import run
from aggregator.compile.merge import ReleaseInput
from aggregator.compile.store import CompileSummary, store_batch
from aggregator.db import query


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
    it (see :func:`aggregator.compile.run.compile_batch`). Returns how many OCIDs it compiled and took off the queue.

    Each OCID given gained a body in the caller's transaction (that is what queued it), so its inputs are not those
    of any compiled release it has: it is compiled without looking that release's input hash up (an index look-up
    per OCID, a sixteenth of a first load's server time). The one exception does no harm: a body that only a crawl
    which died since gave it counts as gained, and a compiled release made from it before compile ran again is then
    written again, the same.

    The merge warnings and rule problems of the OCIDs compiled wait, as shares of a compile run's notes, for the next
    :func:`aggregator.compile.store.finish_run` to fold them."""
    summary = CompileSummary()
    taken = 0
    ocids = sorted(set(ocids))
    for start in range(0, len(ocids), run.BATCH_SIZE):
        part = ocids[start : start + run.BATCH_SIZE]
        keys, records, versions, extensions = run.read_inputs(conn, publisher_id, part, bodies=False, held=held)
        ready: dict[str, list[ReleaseInput]] = {}
        for ocid in part:
            inputs = keys.get(ocid)
            if not inputs or ocid in records or versions.get(ocid) != "1.1":
                continue
            if all(r.data_id in held and not r.compiled and r.ocds_version == "1.1" for r in inputs):
                ready[ocid] = inputs
        if not ready:
            continue
        batch = run.merge_batch(
            publisher_id, list(ready), ready, {}, versions, extensions, False, summary, fast_only=True
        )
        left = set(batch.left)
        compiled = [ocid for ocid in ready if ocid not in left]
        store_batch(conn, publisher_id, batch, compiled, compiled, versions, extensions, summary)
        conn.execute(query("compile/compile", "dequeue_held"), {"publisher_id": publisher_id, "ocids": compiled})
        taken += len(compiled)
    return taken
