"""One at a time: PostgreSQL advisory locks, held by a session, seen by every machine that shares the database.

- ``load``, per publisher: two loads of one publisher take turns (the second then finds the files stored);
- ``compile``, ``normalize``, ``indicators``, per stage: two runs of a stage take turns, as one run would.

A command that finds the lock taken says so once (``on_wait``), then waits for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import psycopg

from aggregator.db import query

#: The advisory lock's first key, per kind of work (the second is the publisher's id, or 0 for a whole stage).
KINDS = {"load": 1868784740, "compile": 1868784741, "normalize": 1868784742, "indicators": 1868784743}


@contextlib.contextmanager
def one_at_a_time(
    conn: psycopg.Connection, kind: str, what: str, key: int = 0, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the lock of ``kind`` (and ``key``) for the block; ``what`` names the work in the line said while
    waiting for another session that holds it."""
    params = {"kind": KINDS[kind], "key": key}
    if not conn.execute(query("raw/locks", "try_lock"), params).fetchone()["locked"]:
        if on_wait is not None:
            on_wait(f"another {what} is running: waiting for it to end")
        conn.execute(query("raw/locks", "lock"), params)
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            conn.execute(query("raw/locks", "unlock"), params)
