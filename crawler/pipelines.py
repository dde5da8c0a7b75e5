"""The pipeline that hands what spiders stored to the aggregator, through :class:`aggregator.intake.Intake` only."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

from aggregator.dates import DateRange
from aggregator.intake import Intake
from crawler.items import CrawlNote, FailedRequest, StoredFile
from crawler.spiders.base import PublisherSpider


class StorePipeline:
    """Opens the crawl when the spider opens, loads stored files in batches of ``OCDS_ATLAS_FILES_BATCH``, stores
    failed requests and notes, and closes the crawl with Scrapy's stats and close reason.

    With a job directory (Scrapy's ``JOBDIR``), the crawl's id is kept in the spider's state, so that a crawl that
    resumes continues the same crawl row."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("OCDS_ATLAS_FILES_BATCH", 10)
        self.pending: list[StoredFile] = []
        self.loaded = 0
        self.intake: Intake | None = None
        self.date_range: DateRange | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        assert isinstance(spider, PublisherSpider)
        resumed = self._resumed_crawl_id()
        self.intake = Intake(spider.publisher_info(), spider.arguments, str(spider.files.directory), resumed)
        spider.crawl_id = self.intake.crawl_id
        self.date_range = spider.date_range()
        self._record_politeness()

    def _resumed_crawl_id(self) -> int | None:
        """The crawl that the job directory's state names. Pipelines open before Scrapy's SpiderState extension
        loads ``spider.state``, so the state file is read here."""
        directory = job_dir(self.crawler.settings)
        state = Path(directory, "spider.state") if directory else None
        if state is None or not state.is_file():
            return None
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
        if isinstance(item, StoredFile):
            self.pending.append(item)
            # A sample is counted as files are loaded, so load each file at once while sampling.
            if len(self.pending) >= (1 if spider.sample else self.batch_size):
                self.flush(spider)
        elif isinstance(item, FailedRequest):
            self.intake.failed(item.url, item.http_status, item.error, item.code)
        elif isinstance(item, CrawlNote):
            self.intake.note(item)
        return item

    def flush(self, spider: PublisherSpider) -> None:
        assert self.intake is not None
        for item in self.pending:
            limit = spider.sample - self.loaded if spider.sample else None
            if limit is not None and limit <= 0:
                break
            outcome = self.intake.load(
                Path(item.path),
                item.url,
                item.http_status,
                spider.encoding,
                limit,
                spider.root_path,
                # Only ArchiveSpider declares member_pattern.
                member_pattern=getattr(spider, "member_pattern", None),
                data_format=spider.data_format,
                date_range=self.date_range,
            )
            self.loaded += outcome.items
            self.crawler.stats.inc_value("ocds_atlas/releases", outcome.releases)
            self.crawler.stats.inc_value("ocds_atlas/records", outcome.records)
        self.pending = []
        if spider.sample and self.loaded >= spider.sample and self.crawler.engine:
            self.crawler.engine.close_spider(spider, "sample")

    def close_spider(self, spider: Spider) -> None:
        assert isinstance(spider, PublisherSpider)
        if self.pending:
            self.flush(spider)
        if hasattr(spider, "state") and self.intake is not None:  # set by SpiderState when there is a JOBDIR
            spider.state["crawl_id"] = self.intake.crawl_id

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.intake is not None:
            self.intake.close(reason, self.crawler.stats.get_stats())
