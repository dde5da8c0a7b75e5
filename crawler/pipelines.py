"""The pipeline that hands what spiders stored to the aggregator, through :class:`aggregator.intake.Intake` only."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from aggregator.intake import Intake
from crawler.items import CrawlNote, FailedRequest, StoredFile
from crawler.spiders.base import PublisherSpider


class StorePipeline:
    """Opens the crawl when the spider opens, loads stored files in batches of ``OCDS_ATLAS_FILES_BATCH``, stores
    failed requests and notes, and closes the crawl with Scrapy's stats and close reason."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("OCDS_ATLAS_FILES_BATCH", 10)
        self.pending: list[StoredFile] = []
        self.loaded = 0
        self.intake: Intake | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        assert isinstance(spider, PublisherSpider)
        self.intake = Intake(spider.publisher_info(), spider.arguments, str(spider.files.directory))
        spider.crawl_id = self.intake.crawl_id

    def process_item(self, item: Any, spider: Spider) -> Any:
        assert isinstance(spider, PublisherSpider) and self.intake is not None
        if isinstance(item, StoredFile):
            self.pending.append(item)
            # A sample is counted as files are loaded, so load each file at once while sampling.
            if len(self.pending) >= (1 if spider.sample else self.batch_size):
                self.flush(spider)
        elif isinstance(item, FailedRequest):
            self.intake.failed(item.url, item.http_status, item.error)
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
                Path(item.path), item.url, item.http_status, spider.encoding, limit, spider.root_path
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

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.intake is not None:
            self.intake.close(reason, self.crawler.stats.get_stats())
