"""The pipeline that hands what spiders stored to the aggregator, through
:class:`aggregator.operate.intake.Intake` only."""

from __future__ import annotations

import logging
import pickle
import resource
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.job import job_dir
from twisted.internet.defer import Deferred, succeed
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from aggregator.operate.intake import Intake
from aggregator.raw.acceptance import MISSING_STAT
from aggregator.raw.load import FileOutcome, LoadOptions
from aggregator.settings import cores
from crawler.files import write_at
from crawler.frontier import CRAWL_ID, frontier_of
from crawler.items import CrawlNote, FailedRequest, StoredFile
from crawler.spiders.base import PublisherSpider

#: At most this many characters of a callback's error go into its note.
ERROR_CHARACTERS = 500
#: The seconds the crawl waited, once it had fetched everything, for its loaders to store what they had not yet.
LOADING_WAIT_STAT = "ocds_atlas/loading_wait_seconds"
#: The CPU seconds of the crawl process (not of its loaders) when it had fetched everything.
FETCH_CPU_STAT = "ocds_atlas/fetch_cpu_seconds"
#: Bytes of bodies that the pipeline may hold unwritten; beyond, each new file waits until the pipeline's thread has
#: written enough of them to be back within it (Scrapy's scraper waits for the items of its responses, and then
#: fetches no more meanwhile).
UNWRITTEN_BYTES = 32 << 20
logger = logging.getLogger(__name__)


def default_loaders() -> int:
    """Loader processes of a crawl: one on two cores or fewer (the crawl has the other), else two."""
    return 1 if cores() <= 2 else 2


class StorePipeline:
    """Opens the crawl when the spider opens, hands stored files over to the aggregator's loader processes
    (``OCDS_ATLAS_LOADERS`` of them), stores failed requests and notes (and a note for each callback that raised),
    and closes the crawl with Scrapy's stats and close reason, once every file is loaded.

    Everything that touches the crawl's connection or the files store runs in one worker thread, in the order items
    arrive: fetched files are written to the files store there (the spider leaves that to the pipeline:
    ``FilesStore.later``), then registered there in batches (as many as arrived meanwhile) and loaded in other
    processes, so that Scrapy's reactor never waits for the disk or PostgreSQL; at most :data:`UNWRITTEN_BYTES` of
    bodies wait to be written. A sample, which stops at a number of releases loaded, writes and loads its files in
    that thread instead, each at once (as does ``OCDS_ATLAS_LOADERS = 0``).

    With a job directory (Scrapy's ``JOBDIR``), the crawl's id is kept in the spider's state, so that a crawl that
    resumes continues the same crawl row."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("OCDS_ATLAS_FILES_BATCH", 10)
        self.loaders = crawler.settings.getint("OCDS_ATLAS_LOADERS", default_loaders())
        self.pending: list[StoredFile] = []
        #: The registration under way in the worker thread (files handed over to the loaders).
        self.handing: Deferred | None = None
        #: Bytes of the bodies pending or being handed over, not yet written.
        self.unwritten = 0
        #: Items that wait until the unwritten bytes are within UNWRITTEN_BYTES again (they were over when they came).
        self.waiting: list[Deferred] = []
        self.loaded = 0
        self.intake: Intake | None = None
        self.options = LoadOptions()
        self.thread = ThreadPool(1, 1, name="ocds-atlas-store")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def in_thread(self, function: Callable[..., Any], *args: Any) -> Deferred:
        # Imported here: importing the reactor at module level would install Twisted's default one.
        from twisted.internet import reactor

        return deferToThreadPool(reactor, self.thread, function, *args)

    def open_spider(self, spider: Spider) -> None:
        assert isinstance(spider, PublisherSpider)
        self.thread.start()
        resumed = self._resumed_crawl_id()
        self.intake = Intake(spider.publisher_info(), spider.arguments, str(spider.files.directory), resumed)
        spider.crawl_id = self.intake.crawl_id
        directory = job_dir(self.crawler.settings)
        if directory:  # at once, not only when it closes: a crawl killed with SIGKILL can be resumed too
            Path(directory, CRAWL_ID).write_text(str(self.intake.crawl_id), encoding="utf-8")
        self.options = LoadOptions(
            encoding=spider.encoding,
            root_path=spider.root_path,
            member_pattern=getattr(spider, "member_pattern", None),  # only ArchiveSpider declares it
            data_format=spider.data_format,
            date_range=spider.date_range(),
            compiled=spider.data_type == "compiled_release",
            ocid_from_id=spider.ocid_from_id,
        )
        self._record_politeness()
        spider.files.later = True
        if self._handing_over(spider):
            self.intake.start_loaders(self.loaders, self.options, self._loaded_elsewhere)

    def _handing_over(self, spider: PublisherSpider) -> bool:
        return self.loaders > 0 and not spider.sample

    def _resumed_crawl_id(self) -> int | None:
        """The crawl that the job directory's state names. Pipelines open before Scrapy's SpiderState extension
        loads ``spider.state``, so the state file is read here."""
        directory = job_dir(self.crawler.settings)
        state = Path(directory, "spider.state") if directory else None
        if state is None or not state.is_file():
            written = Path(directory, CRAWL_ID) if directory else None
            return int(written.read_text(encoding="utf-8")) if written and written.is_file() else None
        with state.open("rb") as f:
            return pickle.load(f).get("crawl_id")  # our own job directory's file

    def _record_politeness(self) -> None:
        """The politeness the crawl ran with, in its stats (and so on its row)."""
        settings = self.crawler.settings
        politeness = {
            "concurrency": settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            "download_delay": settings.getfloat("DOWNLOAD_DELAY"),
            "autothrottle": settings.getbool("AUTOTHROTTLE_ENABLED"),
        }
        self.crawler.stats.set_value("ocds_atlas/politeness", politeness)

    def process_item(self, item: Any, spider: Spider) -> Any:
        assert isinstance(spider, PublisherSpider) and self.intake is not None
        if isinstance(item, StoredFile) and self._handing_over(spider):
            self.pending.append(item)
            self.unwritten += len(item.body or b"")
            self._hand_over()
            if self.unwritten > UNWRITTEN_BYTES:
                waiter: Deferred = Deferred()
                self.waiting.append(waiter)
                return waiter.addCallback(lambda _: item)
        elif isinstance(item, StoredFile):
            self.pending.append(item)
            # A sample is counted as files are loaded, so load each file at once while sampling.
            if len(self.pending) >= (1 if spider.sample else self.batch_size):
                return self.flush(spider).addCallback(lambda _: item)
        elif isinstance(item, FailedRequest):
            stored = self.in_thread(self.intake.failed, item.url, item.http_status, item.error, item.code)
            return stored.addCallback(lambda _: self._frontier_failure(item))
        elif isinstance(item, CrawlNote):
            return self.in_thread(self.intake.note, item).addCallback(lambda _: item)
        return item

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A callback raised: Scrapy logs it (and Sentry reports it); the crawl keeps an error note of it too, because
        whatever the callback would have yielded afterwards is lost."""
        if self.intake is None:
            return
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:ERROR_CHARACTERS]
        message = f"the spider failed on this response ({error}): what it would have yielded afterwards is lost"
        self.in_thread(self.intake.note, CrawlNote("error", "callback_failed", message, {"url": response.url}))

    def _frontier_failure(self, item: FailedRequest) -> FailedRequest:
        frontier = frontier_of(self.crawler)
        if frontier is not None:
            frontier.failure(item.request_key)
        return item

    def _hand_over(self) -> Deferred:
        """Register the pending files in the worker thread, unless a registration is under way (then they go with the
        next one, as soon as it ends); a file is done in the frontier once registered. Fires when nothing is pending."""
        if self.handing is not None or not self.pending:
            return self.handing or succeed(None)
        batch, self.pending = self.pending, []
        assert self.intake is not None
        self.handing = self.in_thread(self._write_and_hand_over, batch)
        return self.handing.addCallbacks(self._handed_over, self._not_handed_over, [batch], {}, [batch])

    def _write_and_hand_over(self, batch: list[StoredFile]) -> list[int]:
        """In the worker thread: write the batch's bodies, then register the files and give them to the loaders."""
        assert self.intake is not None
        files = [(write(item), item.url, item.http_status) for item in batch]
        return self.intake.hand_over(files)

    def _handed_over(self, file_ids: list[int], batch: list[StoredFile]) -> Deferred:
        self._done_with(batch)
        frontier = frontier_of(self.crawler)
        for item in batch if frontier is not None else ():
            frontier.done(item.request_key)  # type: ignore[union-attr]
        return self._hand_over()

    def _not_handed_over(self, failure: Failure, batch: list[StoredFile]) -> Deferred:
        """The files stay pending in the frontier (missing, if the crawl ends so)."""
        message = "%s fetched files could not be written or registered: %s"
        logger.error(message, len(batch), failure.getErrorMessage())
        self._done_with(batch)
        return self._hand_over()

    def _done_with(self, batch: list[StoredFile]) -> None:
        self.handing = None
        self.unwritten -= sum(len(item.body or b"") for item in batch)
        if self.unwritten <= UNWRITTEN_BYTES:
            waiting, self.waiting = self.waiting, []
            for waiter in waiting:
                waiter.callback(None)

    def _loaded_elsewhere(self, outcome: FileOutcome) -> None:
        """A loader stored a file (told in another thread)."""
        from twisted.internet import reactor

        reactor.callFromThread(self._count, outcome)

    def _count(self, outcome: FileOutcome) -> None:
        self.crawler.stats.inc_value("ocds_atlas/releases", outcome.releases)
        self.crawler.stats.inc_value("ocds_atlas/records", outcome.records)

    def flush(self, spider: PublisherSpider) -> Deferred:
        """Load the pending files in the worker thread; then count them and stop a sample that is complete."""
        batch, self.pending = self.pending, []
        return self.in_thread(self._load, spider, batch).addCallback(self._loaded, spider, batch)

    def _loaded(self, outcomes: list[FileOutcome], spider: PublisherSpider, batch: list[StoredFile]) -> None:
        frontier = frontier_of(self.crawler)
        for item in batch[: len(outcomes)] if frontier is not None else ():
            frontier.done(item.request_key)  # type: ignore[union-attr]
        for outcome in outcomes:
            self._count(outcome)
        if spider.sample and self.loaded >= spider.sample and self.crawler.engine:
            self.crawler.engine.close_spider(spider, "sample")

    def _load(self, spider: PublisherSpider, batch: list[StoredFile]) -> list[FileOutcome]:
        """In the worker thread: only it changes ``self.loaded``, so a sample's limit is exact."""
        assert self.intake is not None
        outcomes = []
        for item in batch:
            limit = spider.sample - self.loaded if spider.sample else None
            if limit is not None and limit <= 0:
                break
            options = replace(self.options, limit=limit)
            outcome = self.intake.load(write(item), item.url, item.http_status, options)
            self.loaded += outcome.items
            outcomes.append(outcome)
        return outcomes

    def close_spider(self, spider: Spider) -> Deferred | None:
        assert isinstance(spider, PublisherSpider)
        if hasattr(spider, "state") and self.intake is not None:  # set by SpiderState when there is a JOBDIR
            spider.state["crawl_id"] = self.intake.crawl_id
        if self.intake is None or not self._handing_over(spider):
            return self.flush(spider) if self.pending else None
        # Fetching has ended: the crawl's own time is up to here; what follows is the loaders catching up.
        started = time.monotonic()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.crawler.stats.set_value(FETCH_CPU_STAT, round(usage.ru_utime + usage.ru_stime, 3))
        done = self._hand_over().addCallback(lambda _: self.in_thread(self.intake.finish_loading))
        return done.addCallback(self._waited, started)

    def _waited(self, result: Any, started: float) -> Any:
        self.crawler.stats.set_value(LOADING_WAIT_STAT, round(time.monotonic() - started, 3))
        return result

    def spider_closed(self, spider: Spider, reason: str) -> Deferred | None:
        if self.intake is None:
            self.thread.stop()
            return None
        frontier = frontier_of(self.crawler)
        if frontier is not None:
            self.crawler.stats.set_value(MISSING_STAT, frontier.report(reason))
        done = self.in_thread(self.intake.close, reason, self.crawler.stats.get_stats())
        return done.addBoth(self._stop_thread)

    def _stop_thread(self, result: Any) -> Any:
        self.thread.stop()
        return result


def write(item: StoredFile) -> Path:
    """The item's file, written first when the spider left that to the pipeline."""
    path = Path(item.path)
    return path if item.body is None else write_at(path, item.body)
