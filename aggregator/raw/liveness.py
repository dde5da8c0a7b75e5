"""Crawls and loads that are alive, and those that died.

While a crawl or load runs, a thread of its process updates its row's ``heartbeat_at`` every ``heartbeat_seconds()``
(``OCDS_ATLAS_HEARTBEAT_SECONDS``, default 10), on a connection of its own. A process that is killed (SIGKILL, a
crash, the machine going down) stops beating; a row silent for ``LEASE_BEATS`` heartbeats is closed as
``interrupted`` by the next command that looks (a load, a crawl, a compile, ``status`` when its role may write;
``status`` run by a read-only role shows it as interrupted and closes nothing): its end is its last heartbeat, a
note says so, and its rows are kept but not compiled (the OCIDs it touched are queued, so that what
was compiled from them is compiled again without them). A crawl resumes its row (``ocds-atlas crawl NAME
--resume``); a load is simply run again, and stores the files whole once more.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from types import TracebackType
from typing import Any

import psycopg

from aggregator import db
from aggregator.db import query
from aggregator.notes import Note, add_notes

#: A crawl or load silent for this many heartbeats is taken for dead.
LEASE_BEATS = 4


def heartbeat_seconds() -> float:
    value = os.environ.get("OCDS_ATLAS_HEARTBEAT_SECONDS", "").strip()
    return float(value) if value else 10.0


def lease() -> timedelta:
    """How long a running crawl or load may be silent before it is closed as interrupted."""
    return timedelta(seconds=LEASE_BEATS * heartbeat_seconds())


class Heartbeat:
    """A thread that says, every ``interval`` seconds, that crawl ``crawl_id`` is alive; a context manager."""

    def __init__(self, crawl_id: int, interval: float | None = None, url: str | None = None) -> None:
        self.crawl_id = crawl_id
        self.interval = heartbeat_seconds() if interval is None else interval
        self.url = url or db.resolve_url()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"ocds-atlas-heartbeat-{crawl_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> Heartbeat:
        return self.__enter__()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()

    def _run(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        while not self.stopped.wait(self.interval):
            try:
                conn = conn if conn is not None and not conn.closed else db.connect(self.url, autocommit=True)
                conn.execute(query("raw/liveness", "beat"), {"id": self.crawl_id})
            except Exception:  # a lost connection: the next beat opens another; silence long enough is death
                conn = None
        if conn is not None:
            conn.close()


def close_interrupted(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Close every running crawl or load whose heartbeat stopped as ``interrupted``, with a note each; queue the
    OCIDs they stored for compile (without their rows). Return the rows closed."""
    with conn.transaction():
        closed = conn.execute(query("raw/liveness", "close_interrupted"), {"lease": lease()}).fetchall()
        if not closed:
            return []
        ids = [row["id"] for row in closed]
        conn.execute(query("raw/liveness", "queue_interrupted_ocids"), {"ids": ids})
        add_notes(conn, [_interrupted_note(row) for row in closed])
    return closed


def presumed_interrupted(conn: psycopg.Connection) -> frozenset[int]:
    """The running crawls and loads that :func:`close_interrupted` would close, closing nothing (for a role that
    may only read)."""
    rows = conn.execute(query("raw/liveness", "select_presumed_interrupted"), {"lease": lease()}).fetchall()
    return frozenset(row["id"] for row in rows)


def _interrupted_note(row: dict[str, Any]) -> Note:
    what = "load" if row["kind"] == "load" else "crawl"
    resume = "run the load again" if what == "load" else "continue it with `ocds-atlas crawl SPIDER --resume`"
    message = (
        f"The {what} stopped sending its heartbeat at {row['ended_at']:%Y-%m-%d %H:%M:%S %Z} (its process died): "
        f"it is closed as interrupted. Its rows are kept but not compiled; {resume}."
    )
    data = {"last_heartbeat": row["ended_at"].isoformat(), "files": row["files"]}
    return Note(
        what, "warning", f"{what}_interrupted", message, data, publisher_id=row["publisher_id"], crawl_id=row["id"]
    )
