"""A crawl's progress while it runs in its child process, read from the database: in a terminal a status line
with its counts; elsewhere (cron, a pipe) a log line every N seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from rich.console import Console
from rich.status import Status
from rich.text import Text

from aggregator.db import query


@dataclass
class Counts:
    pages: int = 0
    files: int = 0
    releases: int = 0
    records: int = 0

    def describe(self) -> str:
        return (
            f"{self.pages:,} pages, {self.files:,} files loaded, {self.releases:,} releases, {self.records:,} records"
        )


def elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def read_counts(conn: psycopg.Connection, spider: str, running: bool = True) -> Counts | None:
    """The counts of the spider's running crawl (or, with ``running`` false, of its newest), or None before its
    child process has opened it."""
    name = "select_running_crawl" if running else "select_latest_crawl"
    row = conn.execute(query("cli/progress", name), {"spider": spider}).fetchone()
    if row is None:
        return None
    return Counts(**conn.execute(query("cli/progress", "select_crawl_progress"), {"crawl_id": row["id"]}).fetchone())


@dataclass
class CrawlProgress:
    """Called every second or so while the crawl runs (``run_spider``'s ``waiting``)."""

    spider: str
    read: Callable[[], Counts | None]
    console: Console
    every: float
    status: Status | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    logged: float = field(default=0.0)
    #: The latest counts read (kept once the crawl has closed and is no longer running).
    last: Counts = field(default_factory=Counts)

    def __post_init__(self) -> None:
        self.started = self.logged = self.clock()

    def __call__(self) -> None:
        now = self.clock()
        if self.status is None and now - self.logged < self.every:
            return
        self.last = self.read() or self.last
        line = f"crawling {self.spider}: {self.last.describe()} ({elapsed(now - self.started)})"
        if self.status is not None:
            self.status.update(Text(line))  # a status's text is markup, unless Text
        else:
            self.console.print(line, highlight=False, soft_wrap=True)
            self.logged = now

    def finish(self, counts: Counts | None) -> None:
        """Outside a terminal, one last line with the counts the crawl closed with (a crawl that loads its files at
        the end, or ends between two lines, would otherwise leave its last line at nothing)."""
        if self.status is None and counts is not None:
            self.last = counts
            line = f"crawled {self.spider}: {counts.describe()} ({elapsed(self.clock() - self.started)})"
            self.console.print(line, highlight=False, soft_wrap=True)
