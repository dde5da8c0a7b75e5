"""The one interface through which a crawler (``crawler/``, or any other) hands what it fetched to the aggregator.

An :class:`Intake` is one crawl: opened with the publisher's declaration (or reopened, when a crawl resumes), fed
stored files, failures and problems, closed with the crawler's stats and close reason, and then accepted or not.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from aggregator import db
from aggregator.acceptance import SUCCESSFUL, assess, high_water_mark
from aggregator.compile import compile_ocids
from aggregator.crawls import (
    PublisherInfo,
    accept_crawl,
    close_crawl,
    crawl_counts,
    open_crawl,
    reopen_crawl,
    upsert_publisher,
)
from aggregator.load import FileOutcome, LoadOptions, load_file, register_file
from aggregator.migrate import migrate
from aggregator.normalize.refresh import normalize
from aggregator.notes import Note, add_notes
from aggregator.shapes import Problem

__all__ = ["SUCCESSFUL", "Intake"]


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
        self.publisher_id = upsert_publisher(self.conn, publisher)
        self.previous_stats: dict[str, Any] = {}
        if resume_crawl_id is None:
            self.crawl_id = open_crawl(self.conn, self.publisher_id, "crawl", arguments, files_path)
        else:
            self.previous_stats = reopen_crawl(self.conn, resume_crawl_id, self.publisher_id)
            self.crawl_id = resume_crawl_id

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
        """Close the crawl, accepted (status ``finished``) or not (``failed``, with the reasons: see
        :func:`aggregator.acceptance.assess`); then compile what it touched, unless
        ``OCDS_ATLAS_COMPILE_AFTER_CRAWL=0`` (as ``ocds-atlas crawl`` sets, to compile with a progress bar and
        several workers itself), and normalize what compiling changed."""
        incremental = bool(self.arguments.get("incremental"))
        acceptance = assess(reason, crawl_counts(self.conn, self.crawl_id), incremental=incremental)
        status = "finished" if acceptance.accepted else "failed"
        close_crawl(self.conn, self.crawl_id, status, reason, merge_stats(self.previous_stats, stats))
        accept_crawl(self.conn, self.crawl_id, acceptance, high_water_mark(acceptance, reason, self.arguments))
        if os.environ.get("OCDS_ATLAS_COMPILE_AFTER_CRAWL", "1") != "0":
            compile_ocids(self.conn, [self.publisher_id])
            normalize(self.conn, [self.publisher_id], False)
        self.conn.close()


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
