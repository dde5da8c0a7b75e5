"""Scrapy extensions of every ocds-atlas crawl."""

from __future__ import annotations

from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.python.failure import Failure

from aggregator.operate import observability


class SentryExtension:
    """Reports to Sentry when ``SENTRY_DSN`` is set: errors in spider callbacks and item pipelines, which Scrapy
    catches and only logs, are events with their traceback; so is a crash of the crawl process (the SDK's
    excepthook). Every event of the crawl is tagged with its spider, publisher and crawl id. A crawl that is not
    accepted is reported where acceptance is decided (:class:`aggregator.operate.intake.Intake`)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not observability.init_sentry("crawl", command="crawl"):
            raise NotConfigured  # without a message: Scrapy would log it as a warning in every crawl
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        # The pipeline opens (and sets the crawl id) before spider_opened is sent.
        observability.set_tags(spider=spider.name, publisher=_publisher(spider), crawl_id=_crawl_id(spider))

    def spider_error(self, failure: Failure, response: Any, spider: Spider) -> None:
        self._report(failure, spider)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        self._report(failure, spider)

    def _report(self, failure: Failure, spider: Spider) -> None:
        observability.report_crawl_error(failure.value, _crawl_id(spider), _publisher(spider), spider.name)


def _publisher(spider: Spider) -> str | None:
    info = getattr(spider, "publisher_info", None)
    return info().name if info else None


def _crawl_id(spider: Spider) -> int | None:
    return getattr(spider, "crawl_id", None)
