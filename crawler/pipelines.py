"""The pipeline that hands what spiders stored to the aggregator, through ``aggregator.crawls`` and
``aggregator.load`` only."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import psycopg
from scrapy import Spider, signals
from scrapy.crawler import Crawler

from aggregator import db
from aggregator.crawls import close_crawl, open_crawl, upsert_publisher
from aggregator.load import load_file, register_file
from aggregator.migrate import migrate
from aggregator.notes import Note, add_notes
from crawler.items import CrawlNote, FailedRequest, StoredFile
from crawler.spiders.base import PublisherSpider


class StorePipeline:
    """Opens the crawl row when the spider opens, loads stored files in batches of ``OCDS_ATLAS_FILES_BATCH``,
    stores failed requests and notes, and closes the crawl row with Scrapy's stats and close reason."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("OCDS_ATLAS_FILES_BATCH", 10)
        self.pending: list[StoredFile] = []
        self.loaded = 0
        self.conn: psycopg.Connection | None = None
        self.publisher_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        assert isinstance(spider, PublisherSpider)
        self.conn = db.connect(autocommit=True)
        migrate(self.conn)
        self.publisher_id = upsert_publisher(self.conn, spider.publisher_info())
        spider.crawl_id = open_crawl(
            self.conn, self.publisher_id, "crawl", spider.arguments, str(spider.files.directory)
        )

    def process_item(self, item: Any, spider: Spider) -> Any:
        assert isinstance(spider, PublisherSpider)
        if isinstance(item, StoredFile):
            self.pending.append(item)
            # A sample is counted as files are loaded, so load each file at once while sampling.
            if len(self.pending) >= (1 if spider.sample else self.batch_size):
                self.flush(spider)
        elif isinstance(item, FailedRequest):
            self._store_failure(spider, item)
        elif isinstance(item, CrawlNote):
            self._store_notes(spider, [item])
        return item

    def flush(self, spider: PublisherSpider) -> None:
        assert self.conn is not None and self.publisher_id is not None and spider.crawl_id is not None
        for item in self.pending:
            limit = spider.sample - self.loaded if spider.sample else None
            if limit is not None and limit <= 0:
                break
            outcome = load_file(
                self.conn,
                publisher_id=self.publisher_id,
                crawl_id=spider.crawl_id,
                path=Path(item.path),
                url=item.url,
                http_status=item.http_status,
                encoding=getattr(spider, "encoding", None),
                declared_version=spider.ocds_version,
                limit=limit,
            )
            self.loaded += outcome.releases + outcome.records
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
        assert isinstance(spider, PublisherSpider)
        if self.conn is None or spider.crawl_id is None:
            return
        stats = self.crawler.stats.get_stats()
        status = "finished" if reason in ("finished", "sample") else "failed"
        close_crawl(self.conn, spider.crawl_id, status, reason, stats)
        self.conn.close()

    def _store_failure(self, spider: PublisherSpider, item: FailedRequest) -> None:
        assert self.conn is not None and spider.crawl_id is not None
        file_id = register_file(self.conn, spider.crawl_id, None, item.url, item.http_status, item.error)
        note = CrawlNote(
            "error",
            "request_failed",
            f"{item.url} failed: {item.error}",
            {"url": item.url, "http_status": item.http_status},
        )
        self._store_notes(spider, [note], file_id)

    def _store_notes(self, spider: PublisherSpider, notes: list[CrawlNote], file_id: int | None = None) -> None:
        assert self.conn is not None
        rows = [
            Note(
                "crawl",
                n.level,
                n.code,
                n.message,
                n.data,
                publisher_id=self.publisher_id,
                crawl_id=spider.crawl_id,
                crawl_file_id=file_id,
            )
            for n in notes
        ]
        add_notes(self.conn, rows)
