"""The one interface through which a crawler (``crawler/``, or any other) hands what it fetched to the aggregator.

An :class:`Intake` is one crawl: opened with the publisher's declaration, fed stored files, failures and problems,
closed with the crawler's stats and close reason.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aggregator import db
from aggregator.compile import compile_ocids
from aggregator.crawls import PublisherInfo, close_crawl, open_crawl, upsert_publisher
from aggregator.load import FileOutcome, load_file, register_file
from aggregator.migrate import migrate
from aggregator.notes import Note, add_notes
from aggregator.shapes import Problem

#: Close reasons of a crawl that ended as it should.
SUCCESSFUL = ("finished", "sample")


class Intake:
    def __init__(self, publisher: PublisherInfo, arguments: dict[str, Any], files_path: str | None) -> None:
        self.publisher = publisher
        self.conn = db.connect(autocommit=True)
        migrate(self.conn)
        self.publisher_id = upsert_publisher(self.conn, publisher)
        self.crawl_id = open_crawl(self.conn, self.publisher_id, "crawl", arguments, files_path)

    def load(
        self,
        path: Path,
        url: str,
        http_status: int,
        encoding: str | None = None,
        limit: int | None = None,
        root_path: str | None = None,
    ) -> FileOutcome:
        """Store a fetched file's releases and records (at most ``limit``; OCDS at ``root_path``)."""
        return load_file(
            self.conn,
            publisher_id=self.publisher_id,
            crawl_id=self.crawl_id,
            path=path,
            url=url,
            http_status=http_status,
            encoding=encoding,
            declared_version=self.publisher.ocds_version,
            limit=limit,
            root_path=root_path,
        )

    def failed(self, url: str, http_status: int | None, error: str) -> None:
        """A request that failed after its retries: a file row with the error, and an error note."""
        file_id = register_file(self.conn, self.crawl_id, None, url, http_status, error)
        problem = Problem("error", "request_failed", f"{url} failed: {error}", {"url": url, "http_status": http_status})
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
        """Close the crawl; then compile what it touched, unless ``OCDS_ATLAS_COMPILE_AFTER_CRAWL=0`` (as
        ``ocds-atlas crawl`` sets, to compile with a progress bar and several workers itself)."""
        close_crawl(self.conn, self.crawl_id, "finished" if reason in SUCCESSFUL else "failed", reason, stats)
        if os.environ.get("OCDS_ATLAS_COMPILE_AFTER_CRAWL", "1") != "0":
            compile_ocids(self.conn, [self.publisher_id])
        self.conn.close()
