"""What spiders yield: files they stored, requests that failed, and notes. Pipelines store them."""

from __future__ import annotations

from dataclasses import dataclass, field

from aggregator.raw.shapes import Problem


@dataclass(frozen=True)
class StoredFile:
    """A response body in the files store, waiting to be loaded."""

    path: str
    url: str
    http_status: int
    #: The key of the request it answers (see :mod:`crawler.frontier`).
    request_key: str | None = None
    #: The body, when it is not written yet: whoever takes the item writes it at ``path`` before anything else (the
    #: store pipeline, in its thread, so that Scrapy's reactor does not wait for the disk).
    body: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class FailedRequest:
    """A request that failed after its retries: kept as a file row with its error, and a note."""

    url: str
    http_status: int | None
    error: str
    #: The note's code: ``request_failed``, or ``response_too_large`` for a response cut at DOWNLOAD_MAXSIZE.
    code: str = "request_failed"
    #: The key of the request (see :mod:`crawler.frontier`).
    request_key: str | None = None


#: A problem met while crawling (a next link that cannot be read, say), stored as a note of the crawl.
CrawlNote = Problem
