"""Downloader middlewares: retries that back off and honour ``Retry-After`` (or a spider's ``rate_limit`` after a
429 without it), and the domains a spider may reach."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from crawler.items import CrawlNote

logger = logging.getLogger(__name__)


class RequestRefused(IgnoreRequest):
    """A request that a middleware refused to send; the spider's errback stores ``note``."""

    def __init__(self, note: CrawlNote) -> None:
        super().__init__(note.message)
        self.note = note


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``), each after a wait: the
    response's ``Retry-After`` (seconds or an HTTP date, at most ``OCDS_ATLAS_RETRY_AFTER_MAX``), else
    ``OCDS_ATLAS_RETRY_BASE_DELAY`` doubled at each attempt, at most ``OCDS_ATLAS_RETRY_MAX_DELAY``.

    The wait is a timer on the event loop: other requests, to this publisher too, go on meanwhile. After the last
    retry the response or exception goes on to the spider's errback (a failed request, stored with a note)."""

    base_delay: float
    max_delay: float
    retry_after_max: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        settings = crawler.settings
        middleware.base_delay = settings.getfloat("OCDS_ATLAS_RETRY_BASE_DELAY", 1.0)
        middleware.max_delay = settings.getfloat("OCDS_ATLAS_RETRY_MAX_DELAY", 60.0)
        middleware.retry_after_max = settings.getfloat("OCDS_ATLAS_RETRY_AFTER_MAX", 300.0)
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry_request(request, response_status_message(response.status))
        if retry is None:
            return response
        requested = retry_after(response.headers.get(b"Retry-After"), datetime.now(UTC))
        if requested is None and response.status == 429:
            requested = rate_limit_window(self.crawler.spider)
        await self._wait(retry, self._backoff(retry) if requested is None else min(requested, self.retry_after_max))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry_request(request, exception)
        if retry is not None:
            await self._wait(retry, self._backoff(retry))
        return retry

    def _retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        assert self.crawler.spider is not None
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level),
        )

    def _backoff(self, retry: Request) -> float:
        return backoff_delay(retry.meta["retry_times"], self.base_delay, self.max_delay)

    async def _wait(self, retry: Request, delay: float) -> None:
        """Wait before ``retry`` goes back to the scheduler, without blocking the event loop."""
        if delay <= 0:
            return
        logger.debug("Waiting %.2f s before %s", delay, retry)
        self.crawler.stats.inc_value("ocds_atlas/retry_wait_seconds", round(delay, 3))
        await sleep(delay)


def rate_limit_window(spider: Spider | None) -> float | None:
    """The seconds of the limit a spider declares (``PublisherSpider.rate_limit``), which a publisher that answers
    429 without ``Retry-After`` asks to wait; None when it declares none."""
    limit = getattr(spider, "rate_limit", None)
    return float(limit[1]) if limit else None


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """The wait before retry number ``attempt`` (1 for the first): ``base`` doubled at each attempt, at most
    ``cap``."""
    return min(cap, base * 2 ** max(attempt - 1, 0))


def retry_after(value: bytes | None, now: datetime) -> float | None:
    """The seconds a ``Retry-After`` header asks to wait (a number of seconds or an HTTP date), or None when there
    is none or it cannot be read."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class AllowedDomainsMiddleware:
    """Refuses, with a note, every request (a next link, a redirect's target, a retry) to a host outside the
    spider's allowed domains (``PublisherSpider.allowed_hosts``: its ``allowed_domains``, else the hosts of its
    start URLs). Replaces Scrapy's OffsiteMiddleware, which drops requests silently and lets ``dont_filter``
    requests through."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.hosts: tuple[str, ...] = ()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        allowed = spider.allowed_hosts() if hasattr(spider, "allowed_hosts") else getattr(spider, "allowed_domains", ())
        self.hosts = tuple(host.lower().strip(".") for host in allowed or () if host)

    def process_request(self, request: Request) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        if not self.hosts or allowed(host, self.hosts):
            return
        self.crawler.stats.inc_value("ocds_atlas/offsite_refused")
        raise RequestRefused(offsite_note(request, host, self.hosts))


def allowed(host: str, domains: tuple[str, ...]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one (as Scrapy's ``allowed_domains``)."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def offsite_note(request: Request, host: str, domains: tuple[str, ...]) -> CrawlNote:
    redirected_from: list[Any] = request.meta.get("redirect_urls") or []
    data = {"url": request.url, "host": host, "allowed_domains": list(domains)}
    if redirected_from:
        data["redirected_from"] = redirected_from[-1]
        message = f"a redirect from {redirected_from[-1]} to {host}, outside the allowed domains, was refused"
        return CrawlNote("error", "offsite_redirect_refused", message, data)
    message = f"a request to {host}, outside the allowed domains, was refused"
    return CrawlNote("error", "offsite_request_refused", message, data)
