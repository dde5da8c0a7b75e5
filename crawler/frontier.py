"""What a crawl has asked for and not got: the requests it scheduled that are not handled yet, and those that failed.

:class:`Frontier` (an extension) gives every request a key when it is scheduled (its fingerprint; retries and
redirects keep their first request's key), and learns the outcome of each:

- a response stored as a file is *done* once the pipeline has registered it (from then on it is loaded whatever dies:
  :mod:`aggregator.raw.loaders`), or loaded it (a sample); a response that stores nothing (a listing) once its
  callback has yielded everything (:class:`FrontierMiddleware`, a spider middleware);
- a request that failed after its retries is *failed* once the pipeline has stored it.

When the crawl closes, what is missing goes into its stats (``ocds_atlas/missing``) and so onto its row: every
failed request, and, when the crawl did not finish, every request scheduled and not handled. A request marked
``ESSENTIAL`` (a next page, whose failure breaks the chain of pages after it; a date window) makes the crawl
``incomplete`` when it is missing (see :func:`aggregator.raw.acceptance.assess`).

With a job directory (``JOBDIR``: ``ocds-atlas crawl`` always gives one), each step is appended to
``frontier.jsonl`` there as it happens, so that even a crawl killed with SIGKILL leaves a true account; Scrapy's own
queue is written only when it closes. A crawl that resumes reads it, drops Scrapy's queue and schedules again every
request that is missing (``dont_filter``: Scrapy has seen them), so ``ocds-atlas crawl NAME --resume`` fetches what
a broken chain, a lost window or a killed crawl left out, and nothing twice.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import shutil
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.job import job_dir
from scrapy.utils.request import request_from_dict

from crawler.items import FailedRequest, StoredFile

#: The request's key in the frontier (in its meta, so that retries and redirects keep it).
KEY = "ocds_atlas_request_key"
#: Meta flag of a request whose loss hides an unknown part of the publication (a next page, a date window).
ESSENTIAL = "ocds_atlas_essential"
#: At most this many missing requests are listed in the stats (all are counted; the job directory keeps all).
LISTED = 200
LOG = "frontier.jsonl"
CRAWL_ID = "crawl_id"


class Frontier:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: dict[str, dict[str, Any]] = {}
        self.failed: dict[str, dict[str, Any]] = {}
        self.directory = Path(job_dir(crawler.settings)) if job_dir(crawler.settings) else None
        self.log: IO[str] | None = None
        self.resumed: list[dict[str, Any]] = []
        #: The request object each pending key was first scheduled with (a duplicate the scheduler drops is not it).
        self.objects: dict[str, int] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        self.recover()  # before the scheduler opens: it must not load the queue that the log replaces

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        frontier = cls(crawler)
        crawler.frontier = frontier  # type: ignore[attr-defined]  # how the pipeline and the spider reach it
        return frontier

    # The log in the job directory

    def recover(self) -> None:
        """Before the crawl starts: read what an earlier run of this job left missing, and drop Scrapy's queue (the
        log has every request in it that was not handled; Scrapy's is lost when its process is killed)."""
        if self.directory is None:
            return
        path = self.directory / LOG
        if path.is_file():
            pending, failed = replay(path.read_text(encoding="utf-8").splitlines())
            self.resumed = [*pending.values(), *failed.values()]
            shutil.rmtree(self.directory / "requests.queue", ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = path.open("a", encoding="utf-8")

    def _write(self, entry: dict[str, Any]) -> None:
        if self.log is not None:
            self.log.write(json.dumps(entry, default=str) + "\n")
            self.log.flush()  # to the kernel at once: it survives the process being killed

    # Signals and outcomes

    def spider_opened(self, spider: Spider) -> None:
        for entry in self.resumed:
            stored = pickle.loads(base64.b64decode(entry["request"]))  # our own job directory's file
            request = request_from_dict(stored, spider=spider).replace(dont_filter=True)
            self.crawler.engine.crawl(request)  # type: ignore[union-attr]
        if self.resumed:
            self.crawler.stats.set_value("ocds_atlas/resumed_requests", len(self.resumed))
            self.resumed = []

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        key = request.meta.get(KEY)
        if key is None:
            key = request.meta[KEY] = self.crawler.request_fingerprinter.fingerprint(request).hex()
        if key in self.pending:
            return  # a retry, or a redirect: the same request, still pending
        self.failed.pop(key, None)  # asked again (a resumed crawl): pending until it is handled
        entry = {
            "key": key,
            "url": request.url,
            "method": request.method,
            "essential": bool(request.meta.get(ESSENTIAL)),
        }
        self.pending[key] = entry
        self.objects[key] = id(request)
        if self.log is not None:  # the request itself only in the log (a crawl may queue 100,000 of them)
            # A callback that is not the spider's method cannot be asked for again: such a request is only counted.
            with contextlib.suppress(ValueError):  # pickled as Scrapy's disk queues pickle it: headers are bytes
                pickled = pickle.dumps(request.to_dict(spider=spider), protocol=4)
                entry = {**entry, "request": base64.b64encode(pickled).decode()}
            self._write({"scheduled": entry})

    def request_dropped(self, request: Request, spider: Spider) -> None:
        """The scheduler refused a request it had seen: if it was the one pending under its key, nothing is asked."""
        key = request.meta.get(KEY)
        if key is not None and self.objects.get(key) == id(request):
            self.done(key)

    def done(self, key: str | None) -> None:
        if key is not None and self.pending.pop(key, None) is not None:
            self.objects.pop(key, None)
            self._write({"done": key})

    def failure(self, key: str | None) -> None:
        if key is not None and (entry := self.pending.pop(key, None)) is not None:
            self.objects.pop(key, None)
            self.failed[key] = entry
            self._write({"failed": key})

    def missing(self, reason: str) -> list[dict[str, Any]]:
        """What the crawl lacks when it closes for ``reason``: what failed; and, unless it finished (Scrapy then
        handled every request) or stopped at its sample, what was scheduled and not handled."""
        lacking = list(self.failed.values())
        if reason not in ("finished", "sample"):
            lacking += [dict(entry, essential=True) for entry in self.pending.values()]
        return lacking

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.log is not None:
            self.log.close()

    def report(self, reason: str) -> dict[str, Any]:
        """The summary that goes on the crawl's row (see :data:`aggregator.raw.acceptance.MISSING_STAT`)."""
        return summary(self.missing(reason))


def summary(lacking: list[dict[str, Any]]) -> dict[str, Any]:
    listed = [{k: entry[k] for k in ("url", "method", "essential")} for entry in lacking[:LISTED]]
    return {"requests": len(lacking), "essential": sum(e["essential"] for e in lacking), "listed": listed}


def replay(lines: Iterable[str]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The requests still pending, and those failed, from a frontier log (a last line cut short is skipped)."""
    pending: dict[str, dict[str, Any]] = {}
    failed: dict[str, dict[str, Any]] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "scheduled" in entry:
            scheduled = entry["scheduled"]
            failed.pop(scheduled["key"], None)
            pending[scheduled["key"]] = scheduled
        elif "done" in entry:
            pending.pop(entry["done"], None)
        elif "failed" in entry and entry["failed"] in pending:
            failed[entry["failed"]] = pending.pop(entry["failed"])
    keep = lambda entries: {k: v for k, v in entries.items() if "request" in v}  # noqa: E731
    return keep(pending), keep(failed)


def frontier_of(crawler: Crawler | None) -> Frontier | None:
    return getattr(crawler, "frontier", None)


class FrontierMiddleware:
    """Gives the stored files and failed requests that a callback yields its response's key (the pipeline marks them
    done or failed once stored), and marks done a response whose callback yielded neither (a listing)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        key = response.meta.get(KEY)
        carried = False
        async for item in result:
            if key is not None and isinstance(item, StoredFile | FailedRequest):
                if item.request_key is None:
                    item = replace(item, request_key=key)
                carried = carried or item.request_key == key
            yield item
        frontier = frontier_of(self.crawler)
        if frontier is not None and not carried:
            frontier.done(key)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        key = response.meta.get(KEY)
        carried = False
        for item in result:
            if key is not None and isinstance(item, StoredFile | FailedRequest):
                if item.request_key is None:
                    item = replace(item, request_key=key)
                carried = carried or item.request_key == key
            yield item
        frontier = frontier_of(self.crawler)
        if frontier is not None and not carried:
            frontier.done(key)
