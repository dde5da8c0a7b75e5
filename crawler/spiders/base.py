"""``PublisherSpider``: what every spider inherits."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import orjson
import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.misc import is_generator_with_return_value
from twisted.python.failure import Failure

from aggregator import settings as atlas_settings
from aggregator.dates import DateRange
from aggregator.raw.crawls import PublisherInfo
from crawler.files import FilesStore
from crawler.frontier import KEY, frontier_of
from crawler.items import CrawlNote, FailedRequest
from crawler.middlewares import RequestRefused
from crawler.spiders.declarations import (
    OCDS_DATA,
    check_credentials,
    check_declarations,
    date_argument,
    datetime_argument,
    politeness_settings,
    positive_int_argument,
)
from crawler.spiders.repairs import repaired_response

#: The statuses with which a publisher refuses a request it understood (see ``refusal_reason``).
REFUSALS = (401, 403, 451)


class PublisherSpider(scrapy.Spider):
    """
    The base of every spider. A spider declares, as class attributes:

    name
      The spider's name, equal to its file's name; also the publisher's key in the database.
    country
      The publisher's country, ISO 3166-1 alpha-2 (``XA`` to ``XZ`` are for the sandbox).
    publisher_name
      The publisher's name, as it calls itself.
    data_type
      What the responses hold: one of ``DATA_TYPES``.
    ocds_version
      ``1.0`` or ``1.1``: the version the publisher uses when its packages do not say.
    level, region, url, licence, update_frequency, ocid_prefixes
      Optional metadata stored in ``publisher``.
    encoding
      The responses' encoding when it is not UTF-8 (else a legacy encoding is detected, with a note).
    root_path
      Where the OCDS is inside another envelope: dot-separated keys, ``item`` for each element of an array
      (e.g. ``data.item``, ``releasePackage``).
    data_format
      ``csv`` or ``xlsx`` when the responses are spreadsheets whose URLs do not end so (converted with flattentool).
    ocid_from_id
      True when the publisher's releases may lack an ``ocid`` that their ``id`` carries (``ocds-hu01ve-7608611-01``):
      such a release gets its first three dash-separated parts as its OCID, with an info note (``ocid_from_id``),
      instead of being skipped.

    concurrency, delay
      Politeness: at most ``concurrency`` requests at once to the publisher (default 2), ``delay`` seconds between
      requests (default 0.5; AutoThrottle waits longer when the publisher slows down). They set Scrapy's
      ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` (``-s`` on the command line still wins).
    rate_limit
      The publisher's own limit, ``(requests, seconds)``: ``(12, 120)`` for "12 requests in 2 minutes". Requests to
      a host are then started at least ``seconds / requests`` apart, without random jitter (and AutoThrottle never
      goes faster), so that no ``requests + 1`` of them start within less than ``seconds``; and a 429 without
      ``Retry-After`` is retried after ``seconds``. It sets ``DOWNLOAD_DELAY`` when longer than ``delay``.
    credentials
      Names of environment variables holding credentials (``("EXAMPLE_API_KEY",)``): the crawl does not start when
      one is missing or empty; ``self.credential(name)`` gives its value, which is never logged or stored.
    allowed_domains
      The domains requests may go to (Scrapy's; subdomains included); by default the hosts of the start URLs.
      Any other request (a next link, a redirect's target) is refused with a note.
    dates_at_load
      Whether ``from_date`` and ``until_date`` are applied to release dates as they are loaded. By default, a
      spider with date parameters (``PagedSpider``, ``IndexSpider``: ``from_date_param``, ``until_date_param``)
      applies at load the bounds it has no parameter for; other spiders build their URLs from the dates
      (``PeriodicSpider``) or set this to True.
    listings
      True when the publisher's OCDS is reached through responses that are not OCDS (an index page, an RSS feed,
      an HTML table, a catalogue's description). Every response is then a listing: kept in the files store (see
      :meth:`keep_unloaded`) but not loaded, and given to the spider's :meth:`parse_listing`, which yields the
      requests it names: ``self.ocds_request(url)`` for OCDS (stored and loaded, then :meth:`follow`),
      ``self.request(url)`` for another listing (a next page).

    available, unavailable_since, unavailable_reason
      Whether the publication still exists. A spider whose publication is gone sets ``available = False`` with
      ``unavailable_since`` (``YYYY-MM-DD`` or ``YYYY-MM``) and ``unavailable_reason`` (one line: what happened and
      where it is said). ``crawlall``, ``update`` and schedules skip it unless it is named; its data stays.
    facts_from
      Where the endpoint, parameters and response shape were taken from: the reference crawler's spider and the
      snapshot date (``kingfisher-collect:NAME@YYYY-MM``) and/or the publisher's documentation URLs.
    repair_raw_newlines
      True when the publisher's JSON holds raw newlines (or other control characters) inside strings, which JSON
      forbids: a body that is not JSON is stored with them escaped (``\\n``) when that makes it JSON, with a note
      (``raw_newlines_repaired``). See :mod:`crawler.spiders.repairs`.
    browser_user_agent
      True when the publisher refuses (or answers differently to) a client that does not look like a browser: the
      crawl sends ``BROWSER_USER_AGENT``.
    refusal_reason
      Why the publisher may refuse a request (401, 403 or 451) that is not malformed, e.g. a geo-restriction: such a
      refusal leaves, besides the failed request, an error note ``publisher_refused`` saying so.

    Spider arguments (``-a name=value``): ``sample`` (stop after this many releases or records),
    ``from_date`` and ``until_date`` (``YYYY-MM-DD``, passed to the publisher's own filter where it has one, else
    applied to release dates as they are loaded; ``from_date`` may be a date-time, as ``ocds-atlas crawl
    --incremental`` passes it: the publisher's filter gets its day, and the rest is applied at load),
    ``incremental`` (``true`` for a crawl that continues from the last one).

    Every response body is written to the files store before anything loads it (see ``FilesStore.keep``).
    """

    #: Base classes set this to True; it exempts them from the declaration checks.
    abstract: ClassVar[bool] = True

    country: ClassVar[str]
    publisher_name: ClassVar[str]
    data_type: ClassVar[str]
    ocds_version: ClassVar[str]
    level: ClassVar[str] = "national"
    region: ClassVar[str | None] = None
    url: ClassVar[str | None] = None
    licence: ClassVar[str | None] = None
    update_frequency: ClassVar[str | None] = None
    ocid_prefixes: ClassVar[tuple[str, ...]] = ()
    #: False when the publisher states no licence (its pages, its data's ``license``, the Data Registry: checked).
    licence_stated: ClassVar[bool] = True
    #: Why the publisher's OCIDs carry no registered prefix, when ``ocid_prefixes`` is empty for that reason.
    no_ocid_prefix: ClassVar[str | None] = None
    #: Declarations ("licence", "ocid_prefixes") not yet checked on the publisher's own pages: shown as not yet
    #: checked, never guessed.
    unchecked: ClassVar[tuple[str, ...]] = ()
    is_sandbox: ClassVar[bool] = False
    encoding: ClassVar[str | None] = None
    root_path: ClassVar[str | None] = None
    data_format: ClassVar[str | None] = None
    ocid_from_id: ClassVar[bool] = False
    concurrency: ClassVar[int] = 2
    delay: ClassVar[float] = 0.5
    rate_limit: ClassVar[tuple[int, float] | None] = None
    credentials: ClassVar[tuple[str, ...]] = ()
    allowed_domains: ClassVar[tuple[str, ...]] = ()
    dates_at_load: ClassVar[bool | None] = None
    listings: ClassVar[bool] = False
    available: ClassVar[bool] = True
    unavailable_since: ClassVar[str | None] = None
    unavailable_reason: ClassVar[str | None] = None
    facts_from: ClassVar[tuple[str, ...]] = ()
    browser_user_agent: ClassVar[bool] = False
    refusal_reason: ClassVar[str | None] = None
    repair_raw_newlines: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_declarations(cls, PublisherSpider)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cache_callback_checks()
        return spider

    def cache_callback_checks(self) -> None:
        """Check each generator method once, as Scrapy checks a callback (WARN_ON_GENERATOR_RETURN_VALUE), and keep
        its bound method: Scrapy's cache of the checks holds an entry while the bound method it was made with lives,
        and each request's callback is a new one, gone with it, so Scrapy read the callback's source again at every
        response (measured on a paged API: a fifth of the crawl's CPU time). Scrapy still warns for each callback
        that returns a value."""
        generators = inspect.getmembers(type(self), inspect.isgeneratorfunction)
        self._checked_callbacks = [getattr(self, name) for name, _ in generators]
        for callback in self._checked_callbacks:
            with contextlib.suppress(OSError, TypeError, SyntaxError):  # Scrapy's own check says why, if it is used
                is_generator_with_return_value(callback)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Apply the spider's politeness; its ``custom_settings`` and the command line come after."""
        settings.setdict(politeness_settings(cls), priority="spider")
        super().update_settings(settings)

    def __init__(
        self,
        *args: Any,
        sample: str | int | None = None,
        from_date: str | None = None,
        until_date: str | None = None,
        incremental: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        check_credentials(self)
        self.sample = positive_int_argument("sample", sample)
        #: The exact lower bound when ``from_date`` is a date-time (an incremental crawl), else None.
        self.from_datetime = datetime_argument("from_date", from_date)
        self.from_date = self.from_datetime.date() if self.from_datetime else date_argument("from_date", from_date)
        self.until_date = date_argument("until_date", until_date)
        if self.from_date and self.until_date and self.from_date > self.until_date:
            raise ValueError(f"from_date {self.from_date} is after until_date {self.until_date}")
        self.incremental = incremental in (True, "true", "1", "yes")
        self.crawl_start = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.files = FilesStore(atlas_settings.files_store(), self.name, self.crawl_start)
        self.crawl_id: int | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        """The crawl's arguments, as stored on its row (credentials are not arguments)."""
        return {
            "sample": self.sample,
            "from_date": self.from_datetime or self.from_date,
            "until_date": self.until_date,
            "incremental": self.incremental,
        }

    def credential(self, name: str) -> str:
        """The value of a declared credential (checked when the spider was made)."""
        if name not in self.credentials:
            raise KeyError(f"{self.name} does not declare the credential {name!r}")
        return os.environ[name]

    def allowed_hosts(self) -> tuple[str, ...]:
        """Where requests may go: ``allowed_domains``, else the hosts of the start URLs."""
        if self.allowed_domains:
            return tuple(self.allowed_domains)
        try:
            urls = self.start_requests_urls()
        except NotImplementedError:
            return ()
        return tuple(sorted({urlsplit(self.resolve(url)).hostname or "" for url in urls} - {""}))

    def date_range(self) -> DateRange | None:
        """The dates outside which releases are skipped as they are loaded: the bounds the publisher does not
        filter by itself, and the exact date-time of an incremental crawl (the publisher's filter takes days)."""
        lower = self.from_datetime
        if lower is None and self.from_date and self._at_load("from_date_param"):
            lower = datetime.combine(self.from_date, time(), UTC)
        upper = None
        if self.until_date and self._at_load("until_date_param"):
            upper = datetime.combine(self.until_date + timedelta(days=1), time(), UTC)
        return DateRange(lower, upper) if lower or upper else None

    def wants_month(self, year: int, month: int) -> bool:
        """Whether a month's file (of a publisher's list of monthly files) may hold what ``from_date`` and
        ``until_date`` ask for."""
        if self.from_date and (year, month) < (self.from_date.year, self.from_date.month):
            return False
        return not (self.until_date and (year, month) > (self.until_date.year, self.until_date.month))

    def _at_load(self, parameter: str) -> bool:
        if self.dates_at_load is not None:
            return self.dates_at_load
        return hasattr(self, parameter) and getattr(self, parameter) is None

    @classmethod
    def publisher_info(cls) -> PublisherInfo:
        return PublisherInfo(
            name=cls.name,
            title=cls.publisher_name,
            country=cls.country,
            spider=cls.name,
            region=cls.region,
            level=cls.level,
            url=cls.url,
            licence=cls.licence,
            ocds_version=cls.ocds_version,
            data_type=cls.data_type,
            update_frequency=cls.update_frequency,
            ocid_prefixes=list(cls.ocid_prefixes),
            is_sandbox=cls.is_sandbox,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_requests_urls():
            yield self.request(url)

    def start_requests_urls(self) -> list[str]:
        raise NotImplementedError

    def request(self, url: str, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(self.resolve(url), callback=self.parse, errback=self.failed, **kwargs)

    def resolve(self, url: str) -> str:
        """Fill ``{sandbox}`` with where the sandbox publishers are served."""
        if "{sandbox}" in url:
            base = self.settings.get("OCDS_ATLAS_SANDBOX_URL")
            if not base:
                raise ValueError("OCDS_ATLAS_SANDBOX_URL is not set: run `ocds-atlas crawl`, which serves the sandbox")
            url = url.replace("{sandbox}", base.rstrip("/"))
        return url

    def ocds_request(self, url: str, **kwargs: Any) -> scrapy.Request:
        """A request for OCDS that a listing names (see ``listings``): its response is stored and loaded."""
        kwargs["meta"] = {**kwargs.get("meta", {}), OCDS_DATA: True}
        return self.request(url, **kwargs)

    def parse(self, response: Response) -> Iterator[Any]:
        if self.listings and not response.meta.get(OCDS_DATA):
            self.keep_unloaded(response)
            yield from self.parse_listing(response)
            return
        if self.repair_raw_newlines:
            response = yield from repaired_response(self, response)
        yield self.files.keep(response)
        yield from self.follow(response)

    def keep_unloaded(self, response: Response) -> str:
        """Write a response to the files store, where every response is kept as crawled, and return its path;
        without the :class:`StoredFile` that :meth:`parse` yields for OCDS, nothing loads it."""
        return self.files.keep(response, later=False).path

    def within_dates(self, first: date, last: date) -> bool:
        """Whether a period (a listed file's month or year, both days included) meets the crawl's ``from_date`` and
        ``until_date``: what a spider reading a listing of dated files uses to choose among them."""
        return (self.from_date is None or last >= self.from_date) and (
            self.until_date is None or first <= self.until_date
        )

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """The requests a listing names, and notes on what it lacks (see ``listings``)."""
        raise NotImplementedError(f"{self.name} declares listings, so it must define parse_listing")

    def follow(self, response: Response) -> Iterator[Any]:
        """Further requests found in a response; the base follows nothing."""
        return iter(())

    def failed(self, failure: Failure) -> Iterator[Any]:
        key = failure.request.meta.get(KEY)
        if isinstance(failure.value, RequestRefused):
            frontier = frontier_of(getattr(self, "crawler", None))
            if frontier is not None:
                frontier.done(key)  # refused on purpose: nothing is missing
            yield failure.value.note
            return
        response = getattr(failure.value, "response", None)
        url = response.url if response is not None else failure.request.url
        status = response.status if response is not None else None
        if isinstance(failure.value, DownloadCancelledError):
            # Scrapy cancels a download that passes DOWNLOAD_MAXSIZE (nothing else cancels ours).
            limit = failure.request.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE"))
            error = f"the response was cut: it is larger than DOWNLOAD_MAXSIZE ({limit} bytes)"
            yield FailedRequest(url, status, error, "response_too_large", key)
            return
        if status in REFUSALS and self.refusal_reason:
            message = f"the publisher refused the request (HTTP {status}): {self.refusal_reason}"
            yield self.note("error", "publisher_refused", message, url=url)
        yield FailedRequest(url, status, f"{failure.type.__name__}: {failure.getErrorMessage()}", request_key=key)

    def note(self, level: str, code: str, message: str, **data: Any) -> CrawlNote:
        return CrawlNote(level, code, message, data)

    def listing_json(
        self,
        response: Response,
        *path: str | int,
        code: str,
        what: str,
        kind: type | tuple[type, ...] = (list, dict),
    ) -> Generator[CrawlNote, None, Any]:
        """The value at ``path`` in a listing's JSON, if it is of ``kind``; else an error note (with ``code``, saying
        that ``what`` is not readable and why) and None. Use it as ``value = yield from self.listing_json(...)``,
        and stop when it gives None: what the listing would have named is unknown, and the note says so.

        A listing answered as an HTML page (a portal in maintenance), cut short, or with another shape than the
        one the spider knows is so noted, rather than failing the callback with a traceback."""
        try:
            value = orjson.loads(response.body)
            for step in path:
                value = value[step]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError) as error:
            problem = f"{error.__class__.__name__}: {error}"
        else:
            if isinstance(value, kind):
                return value
            problem = f"{'/'.join(map(str, path)) or 'the document'} is {_json_type(value)}"
        yield self.unreadable_listing(response, code, what, problem)
        return None

    def unreadable_listing(self, response: Response, code: str, what: str, problem: str) -> CrawlNote:
        """The error note on a listing that cannot be read (see :meth:`listing_json`)."""
        message = f"{what} is not readable ({problem}): what it lists is unknown"
        return self.note("error", code, message, url=response.url)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
