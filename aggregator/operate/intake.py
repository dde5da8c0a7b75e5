"""The one interface through which a crawler (``crawler/``, or any other) hands what it fetched to the aggregator.

An :class:`Intake` is one crawl: opened with the publisher's declaration (or reopened, when a crawl resumes), fed
stored files, failures and problems, closed with the crawler's stats and close reason, and then accepted or not.

Stored files are either loaded at once (:meth:`Intake.load`: a sample, which counts what it loads) or handed over
(:meth:`Intake.hand_over`): registered, then stored by loader processes while the crawl goes on fetching
(:mod:`aggregator.raw.loaders`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aggregator import db
from aggregator.compile.run import compile_ocids
from aggregator.migrate import migrate
from aggregator.normalize.refresh import normalize
from aggregator.notes import Note, add_notes
from aggregator.operate import observability
from aggregator.operate.health import record_health
from aggregator.raw.acceptance import MISSING_STAT, SUCCESSFUL, Acceptance, assess, high_water_mark
from aggregator.raw.crawls import (
    LEARNT_STAT,
    PublisherInfo,
    accept_crawl,
    close_crawl,
    crawl_counts,
    learn_publisher,
    open_crawl,
    reopen_crawl,
    upsert_publisher,
)
from aggregator.raw.files import register_file, register_files
from aggregator.raw.liveness import Heartbeat, close_interrupted
from aggregator.raw.load import FileOutcome, LoadOptions, load_file
from aggregator.raw.loaders import FileJob, Loaders, unloaded_files
from aggregator.raw.locks import one_at_a_time
from aggregator.raw.shapes import Problem

__all__ = ["SUCCESSFUL", "Intake"]

#: One line when a crawl starts and one when it closes, with its stats (JSON with OCDS_ATLAS_LOG_FORMAT=json).
logger = logging.getLogger("ocds_atlas.crawl")


class Intake:
    def __init__(
        self,
        publisher: PublisherInfo,
        arguments: dict[str, Any],
        files_path: str | None,
        resume_crawl_id: int | None = None,
    ) -> None:
        """Open a crawl, or continue crawl ``resume_crawl_id`` (of this publisher) when an interrupted crawl
        resumes."""
        self.publisher = publisher
        self.arguments = arguments
        self.conn = db.connect(autocommit=True)
        migrate(self.conn)
        close_interrupted(self.conn)
        self.publisher_id = upsert_publisher(self.conn, publisher)
        self.previous_stats: dict[str, Any] = {}
        if resume_crawl_id is None:
            self.crawl_id = open_crawl(self.conn, self.publisher_id, "crawl", arguments, files_path)
        else:
            self.previous_stats = reopen_crawl(self.conn, resume_crawl_id, self.publisher_id)
            self.crawl_id = resume_crawl_id
        self.loaders: Loaders | None = None
        self.load_options = LoadOptions()
        self.on_loaded: Callable[[FileOutcome], None] = lambda outcome: None
        # While it runs, the crawl says so; killed, it goes silent and is closed as interrupted (liveness).
        self.heartbeat = Heartbeat(self.crawl_id).start()
        self.started = time.monotonic()
        fields = {"event": "crawl_started", **self._identity(), "arguments": arguments}
        fields["resumed"] = resume_crawl_id is not None
        logger.info("crawl %s of %s started", self.crawl_id, publisher.name, extra={"fields": fields})

    def _identity(self) -> dict[str, Any]:
        return {"crawl_id": self.crawl_id, "spider": self.publisher.spider, "publisher": self.publisher.name}

    def load(self, path: Path, url: str, http_status: int, options: LoadOptions) -> FileOutcome:
        """Store a fetched file's releases and records, read as ``options`` say (the publisher's declared OCDS
        version for packages that do not say)."""
        options = replace(options, declared_version=self.publisher.ocds_version)
        return load_file(
            self.conn,
            publisher_id=self.publisher_id,
            crawl_id=self.crawl_id,
            path=path,
            url=url,
            http_status=http_status,
            options=options,
        )

    def start_loaders(self, processes: int, options: LoadOptions, on_loaded: Callable[[FileOutcome], None]) -> None:
        """Store the files handed over (:meth:`hand_over`) in ``processes`` loader processes, read as ``options`` say;
        ``on_loaded`` is told each file's outcome, in another thread. The files that an earlier run of this crawl
        registered and did not load (it was killed) go first. Call it from the thread that outlives the crawl."""
        self.load_options = replace(options, declared_version=self.publisher.ocds_version)
        self.on_loaded = on_loaded
        self.loaders = Loaders(processes, on_loaded)
        self.loaders.submit([self._job(file_id, path) for file_id, path in unloaded_files(self.conn, self.crawl_id)])

    def hand_over(self, files: list[tuple[Path, str, int]]) -> list[int]:
        """Register stored files (path, URL, HTTP status), in this order, and give them to the loaders; return their
        ids. Once this returns, the files are the crawl's: whatever dies, they are loaded (:meth:`finish_loading`,
        or when the crawl resumes)."""
        assert self.loaders is not None, "start_loaders first"
        file_ids = register_files(self.conn, self.crawl_id, files)
        self.loaders.submit(
            [self._job(file_id, str(path)) for file_id, (path, _, _) in zip(file_ids, files, strict=True)]
        )
        return file_ids

    def finish_loading(self) -> None:
        """Wait until the loaders have stored every file handed over; then store here what the loaders left when
        they died: the jobs never told done (one may be stored already, if its loader died before saying so: storing
        it again stores nothing and says what it holds, so that the crawl counts it), then any file not loaded."""
        if self.loaders is None:
            return
        left = self.loaders.wait()
        self.loaders.close()
        self.loaders = None
        for job in left:
            self.on_loaded(job.store(self.conn))
        for file_id, path in unloaded_files(self.conn, self.crawl_id):
            self.on_loaded(self._job(file_id, path).store(self.conn))

    def _job(self, file_id: int, path: str) -> FileJob:
        # Not compiled as loaded, unlike `ocds-atlas load`: the loaders run beside the crawl at a low priority, and
        # compiling would add the server's work while it fetches (see the README's crawl bench); the crawl compiles
        # what it loaded when it closes.
        return FileJob(self.publisher_id, self.crawl_id, file_id, path, self.load_options)

    def failed(self, url: str, http_status: int | None, error: str, code: str = "request_failed") -> None:
        """A request that failed after its retries (or a response cut at its maximum size): a file row with the
        error, and an error note with ``code``."""
        file_id = register_file(self.conn, self.crawl_id, None, url, http_status, error)
        problem = Problem("error", code, f"{url} failed: {error}", {"url": url, "http_status": http_status})
        self.note(problem, file_id)

    def note(self, problem: Problem, crawl_file_id: int | None = None) -> None:
        note = Note(
            "crawl",
            problem.level,
            problem.code,
            problem.message,
            problem.data,
            publisher_id=self.publisher_id,
            crawl_id=self.crawl_id,
            crawl_file_id=crawl_file_id,
        )
        add_notes(self.conn, [note])

    def close(self, reason: str, stats: dict[str, Any]) -> None:
        """Close the crawl: accepted (status ``finished``), ``incomplete`` (it did not finish, or lacks an essential
        request: ``stats[MISSING_STAT]``), or ``failed``, with the reasons (see
        :func:`aggregator.raw.acceptance.assess`); then compile what it touched, unless
        ``OCDS_ATLAS_COMPILE_AFTER_CRAWL=0`` (as ``ocds-atlas crawl`` sets, to compile with a progress bar and
        several workers itself), and normalize what compiling changed."""
        if self.loaders is not None:  # the crawl did not wait for them (it failed): what they left is loaded on resume
            self.loaders.close()
        incremental = bool(self.arguments.get("incremental"))
        missing = stats.get(MISSING_STAT) if isinstance(stats.get(MISSING_STAT), dict) else None
        counts = crawl_counts(self.conn, self.crawl_id)
        acceptance = assess(reason, counts, incremental=incremental, missing=missing)
        self.heartbeat.stop()
        close_crawl(self.conn, self.crawl_id, acceptance.status, reason, merge_stats(self.previous_stats, stats))
        mark = high_water_mark(acceptance, reason, self.arguments)
        accept_crawl(self.conn, self.crawl_id, acceptance, mark, missing)
        if isinstance(stats.get(LEARNT_STAT), dict):
            learn_publisher(self.conn, self.publisher_id, stats[LEARNT_STAT])
        record_health(self.conn, self.publisher_id, acceptance.counts.last_release_date)
        self._log_closed(reason, stats, acceptance)
        if not acceptance.accepted:
            observability.report_crawl_failure(
                self.crawl_id, self.publisher.name, self.publisher.spider, acceptance.reasons, reason
            )
        if os.environ.get("OCDS_ATLAS_COMPILE_AFTER_CRAWL", "1") != "0":
            with one_at_a_time(self.conn, "compile", "compile", on_wait=self._waiting):
                compile_ocids(self.conn, [self.publisher_id])
            with one_at_a_time(self.conn, "normalize", "normalize", on_wait=self._waiting):
                normalize(self.conn, [self.publisher_id], False)
        self.conn.close()

    def _waiting(self, line: str) -> None:
        logger.info("crawl %s: %s", self.crawl_id, line, extra={"fields": {"event": "waiting", **self._identity()}})

    def _log_closed(self, reason: str, stats: dict[str, Any], acceptance: Acceptance) -> None:
        counts = acceptance.counts
        fields = {
            "event": "crawl_closed",
            **self._identity(),
            "close_reason": reason,
            "accepted": acceptance.accepted,
            "reasons": acceptance.reasons,
            "files": counts.requests,
            "failed_requests": counts.failed,
            "releases": counts.releases,
            "records": counts.records,
            "errors": stats.get("log_count/ERROR", 0),
            "duration_seconds": round(time.monotonic() - self.started, 3),
        }
        logger.info(
            "crawl %s of %s closed (%s): %s; %s files, %s releases, %s records, %s errors, %.1f s",
            self.crawl_id,
            self.publisher.name,
            reason,
            "accepted" if acceptance.accepted else "not accepted: " + "; ".join(acceptance.reasons),
            counts.requests,
            counts.releases,
            counts.records,
            fields["errors"],
            fields["duration_seconds"],
            extra={"fields": fields},
        )


def merge_stats(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The stats of a crawl that resumed: numbers added up over its runs (maxima kept: ``…/max``); anything else
    from the latest run."""
    merged = {**previous, **current}
    for key, value in previous.items():
        if _number(value) and _number(current.get(key)):
            merged[key] = max(value, current[key]) if key.endswith("/max") else value + current[key]
    if previous:
        merged["ocds_atlas/runs"] = previous.get("ocds_atlas/runs", 1) + 1
    return merged


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
