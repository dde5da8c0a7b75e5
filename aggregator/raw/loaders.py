"""Loader processes: they store a crawl's files while the crawl goes on fetching.

A crawl writes each response to the files store and registers it (its ``crawl_file`` row, committed); from then on
the file is the crawl's, and it is loaded even if a process dies: a :class:`Loaders` pool stores it in one of its
processes (forked from a fork server that imported this module once, each with its own connection), and
:func:`unloaded_files` finds what is left when a loader dies or the crawl is killed (the crawl loads that when it
closes, or when it resumes). A file is stored whole with the mark on its row that it is loaded, and a file marked so
is not stored again (:func:`aggregator.raw.load.store_file`), so a file handed to a second loader, or loaded again
when a crawl resumes, is stored exactly once.

The loaders' transactions do not wait for the disk (``synchronous_commit`` off): the files store holds the bytes,
and a commit lost to a crash of the server leaves the file's row unmarked, so the file is loaded again. The loaders
run at a lower priority than the crawl (``nice``), so that fetching is never slowed by loading; what they have not
stored when fetching ends, they store then.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg

from aggregator import db
from aggregator.db import query
from aggregator.raw.crashpoints import crash_point
from aggregator.raw.load import FileOutcome, LoadOptions, store_file
from aggregator.raw.processes import die_with_parents, fork_server, without_main_module

logger = logging.getLogger("ocds_atlas.load")

#: How much lower the loaders' priority is than the crawl's (see ``nice(2)``).
NICENESS = 19


@dataclass(frozen=True)
class FileJob:
    """A registered file to store."""

    publisher_id: int
    crawl_id: int
    file_id: int
    path: str
    options: LoadOptions

    def store(self, conn: psycopg.Connection) -> FileOutcome:
        return store_file(conn, self.publisher_id, self.crawl_id, self.file_id, Path(self.path), self.options)


def unloaded_files(conn: psycopg.Connection, crawl_id: int) -> list[tuple[int, str]]:
    """The crawl's registered files that are not loaded (id and path, in the crawl's order)."""
    rows = conn.execute(query("raw/load", "select_unloaded_files"), {"crawl_id": crawl_id}).fetchall()
    return [(row["id"], row["path"]) for row in rows]


class Loaders:
    """``processes`` loader processes, fed jobs in the order they are submitted; ``on_loaded`` is told each file's
    outcome (in a thread of this process). Start it from the thread that outlives it (the main thread): a loader
    dies with the thread that started it, as it dies with this process (the parent-death signal)."""

    def __init__(self, processes: int, on_loaded: Callable[[FileOutcome], None], url: str | None = None) -> None:
        self.on_loaded = on_loaded
        self.jobs: deque[FileJob] = deque()
        self.unfinished = 0
        self.alive = 0
        self.closed = False
        self.changed = threading.Condition()
        url = url or db.resolve_url()
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.server = contextlib.ExitStack()  # the fork server, stopped by close() once the loaders have ended
        context = self.server.enter_context(fork_server([__name__]))
        with without_main_module():
            for number in range(processes):
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=serve, args=(url, theirs, os.getpid()), name=f"ocds-atlas-loader-{number}", daemon=True
                )
                process.start()
                theirs.close()
                self.processes.append(process)
                self.alive += 1
                threading.Thread(target=self._feed, args=(process, ours), name=process.name, daemon=True).start()

    def submit(self, jobs: list[FileJob]) -> None:
        with self.changed:
            self.jobs.extend(jobs)
            self.unfinished += len(jobs)
            self.changed.notify_all()

    def wait(self) -> list[FileJob]:
        """Wait until every job submitted is done; return those left when every loader died (not done)."""
        with self.changed:
            self.changed.wait_for(lambda: not self.unfinished or not self.alive)
            left = list(self.jobs)
            self.jobs.clear()
            self.unfinished -= len(left)
            return left

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        with self.server:
            for process in self.processes:
                process.join(10)
                if process.is_alive():
                    process.kill()
                    process.join()

    def _next(self) -> FileJob | None:
        with self.changed:
            self.changed.wait_for(lambda: self.jobs or self.closed)
            return self.jobs.popleft() if self.jobs else None

    def _feed(self, process: multiprocessing.process.BaseProcess, channel: Connection) -> None:
        """One loader, from this process: give it a job, then the next once it has said how the last went."""
        job = None
        try:
            while (job := self._next()) is not None:
                channel.send(job)
                outcome = channel.recv()
                job = None
                with self.changed:
                    self.unfinished -= 1
                    self.changed.notify_all()
                try:
                    self.on_loaded(outcome)
                except Exception:  # the file is stored whatever the caller does with the news
                    logger.exception("could not report file %s as loaded", outcome.crawl_file_id)
        except (EOFError, OSError):  # the loader died: another one stores its job
            process.join(1)
            logger.warning("loader %s died (exit code %s)", process.name, process.exitcode)
        finally:
            channel.close()
            with self.changed:
                if job is not None:
                    self.jobs.appendleft(job)
                self.alive -= 1
                self.changed.notify_all()


def serve(url: str, channel: Connection, crawl: int) -> None:
    """A loader process: store each job it is given, and say how it went, until its crawl (``crawl``, the process
    that started the fork server it came from) closes the channel. Ctrl-C, which a terminal sends to the whole
    process group, is the crawl's to handle: a loader caught by it in a file's transaction would roll the file back
    and die, leaving it to the crawl; it stores its files until the crawl, stopping, closes the channel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parents(crawl)
    os.nice(NICENESS)
    conn: psycopg.Connection[Any] = db.connect(url, autocommit=True)
    conn.execute("SET synchronous_commit = off")
    with conn:
        while True:
            try:
                job = channel.recv()
            except EOFError:
                return
            outcome = job.store(conn)
            crash_point("loader.reply")
            channel.send(outcome)
