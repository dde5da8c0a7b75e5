"""``IndexSpider``: the first page says how many there are; the others are requested at once."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import orjson
import scrapy
from scrapy.http import Response

from aggregator.raw import gcpause
from crawler.spiders.base import PublisherSpider
from crawler.spiders.paged import add_query, resolve_pointer

BODY_FORMATS = ("form", "json")


class IndexSpider(PublisherSpider):
    """
    start_url
      The pages' URL, without the paging parameters. Or, combined with ``PeriodicSpider`` (``class
      X(IndexSpider, PeriodicSpider)``, without ``start_url``): each window's URL (``url_template``) is the first
      page of its own index, as where the publisher caps how far one query can be paged.
    total_pointer
      The JSON pointer, in the first page, of the number of pages; or of the number of items when ``page_size``
      is declared.
    page_size
      How many items a page holds.
    param_page
      The page number's parameter; pages are numbered from ``first_page`` (default 1). Or:
    param_offset
      The parameter of the page's first item's offset (from 0); needs ``page_size``.
    param_limit
      The parameter that asks for ``page_size`` items a page, if the publisher has one.
    method
      ``GET`` (default: the parameters go in the query string) or ``POST`` (they go in the body).
    body_format, body
      For ``POST``: ``form`` (default) or ``json``, and the body's other fields (a flat dict of strings, numbers).
    from_date_param, until_date_param
      The parameters of the publisher's own date filter, if it has one, sent with the paging parameters; given the
      spider arguments ``from_date`` and ``until_date`` (a bound without its parameter is applied at load).

    listings, items_pointer, item_url
      For an index that is not OCDS but lists where the OCDS is (declare ``listings = True``): the JSON pointer of
      each page's array of items, and the URL of an item's OCDS, with ``{key}`` filled from each item's fields
      (URL-quoted, ``/`` kept: an OCID holding slashes stays a path). Override :meth:`item_requests` instead of
      declaring ``item_url`` where an item names its OCDS otherwise (a list of files, several date windows).

    The first page is stored and loaded like the others (kept unloaded, with the others, when they are listings).
    """

    abstract = True
    start_url: ClassVar[str]
    total_pointer: ClassVar[str]
    page_size: ClassVar[int | None] = None
    param_page: ClassVar[str | None] = None
    first_page: ClassVar[int] = 1
    param_offset: ClassVar[str | None] = None
    param_limit: ClassVar[str | None] = None
    method: ClassVar[str] = "GET"
    body_format: ClassVar[str] = "form"
    body: ClassVar[dict[str, Any]] = {}
    from_date_param: ClassVar[str | None] = None
    until_date_param: ClassVar[str | None] = None
    items_pointer: ClassVar[str | None] = None
    item_url: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_index(cls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_requests_urls():
            yield self.page_request(0, first=True, url=url)

    def start_requests_urls(self) -> list[str]:
        """The indexes' URLs, without the paging parameters: ``start_url``, else (with ``PeriodicSpider``) the
        windows' URLs. :meth:`start` builds each first page's request itself."""
        if getattr(self, "start_url", None):
            return [self.start_url]
        return super().start_requests_urls()

    def follow(self, response: Response) -> Iterator[Any]:
        if not response.meta.get("index_first"):
            # Another page has nothing to add here; a base mixed in after this one may (a next link).
            yield from super().follow(response)
            return
        yield from self.other_pages(response)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """An index page that lists items (see ``listings``): the other pages, from the first, then each item's
        requests."""
        if response.meta.get("index_first"):
            yield from self.other_pages(response)
        tokens = [int(t) if t.isdigit() else t for t in (self.items_pointer or "").lstrip("/").split("/") if t]
        items = yield from self.listing_json(response, *tokens, code="index_page_unreadable", what="the index page")
        if items is None:
            return
        for item in items if isinstance(items, list) else [items]:
            yield from self.item_requests(item, response)

    def item_requests(self, item: Any, response: Response) -> Iterator[Any]:
        """The requests for an item of an index page: ``item_url`` filled from the item's fields."""
        template = self.item_url or ""
        try:
            url = template.format_map({key: quote(str(value), safe="/") for key, value in item.items()})
        except (AttributeError, KeyError) as error:
            message = f"an item of the index page lacks what item_url needs ({error.__class__.__name__}: {error})"
            yield self.note("warning", "index_item_unreadable", message, url=response.url)
            return
        yield self.ocds_request(url)

    def other_pages(self, response: Response) -> Iterator[Any]:
        """The requests of the pages after the first, which counts them."""
        pages = self.page_count(response)
        if pages is None:
            message = f"the first page has no count at {self.total_pointer}, so the other pages are unknown"
            yield self.note("error", "index_count_missing", message, url=response.url)
            return
        for index in range(1, pages):
            yield self.page_request(index, url=response.meta.get("index_url"))

    def page_count(self, response: Response) -> int | None:
        """The number of pages the first page announces, or None if it announces none."""
        try:
            with gcpause.paused():  # a first page parsed whole for its count (see aggregator.raw.gcpause)
                document = orjson.loads(response.body)
                return pages_announced(document, self.total_pointer, self.page_size)
        except orjson.JSONDecodeError:
            return None

    def page_request(self, index: int, first: bool = False, url: str | None = None) -> scrapy.Request:
        """The request of the ``index``-th page (from 0) of the index at ``url`` (default ``start_url``)."""
        url = url or self.start_url
        parameters = {**self.paging(index), **self.date_filter()}
        meta = {"index_first": first, "index_url": url}
        if self.method == "GET":
            return self.request(add_query(url, parameters), meta=meta)
        fields = {**self.body, **parameters}
        if self.body_format == "json":
            headers = {"Content-Type": "application/json"}
            return self.request(url, method="POST", body=orjson.dumps(fields), headers=headers, meta=meta)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request(url, method="POST", body=urlencode(fields), headers=headers, meta=meta)

    def paging(self, index: int) -> dict[str, Any]:
        parameters: dict[str, Any] = {}
        if self.param_page:
            parameters[self.param_page] = self.first_page + index
        elif self.param_offset and self.page_size:
            parameters[self.param_offset] = index * self.page_size
        if self.param_limit:
            parameters[self.param_limit] = self.page_size
        return parameters

    def date_filter(self) -> dict[str, str]:
        filters = {}
        if self.from_date and self.from_date_param:
            filters[self.from_date_param] = self.from_date.isoformat()
        if self.until_date and self.until_date_param:
            filters[self.until_date_param] = self.until_date.isoformat()
        return filters


def pages_announced(document: Any, total_pointer: str, page_size: int | None = None) -> int | None:
    """The number of pages a first page announces at ``total_pointer`` (a number of items when ``page_size`` is
    given), or None if it announces none."""
    total = resolve_pointer(document, total_pointer)
    if isinstance(total, str) and total.isdigit():
        total = int(total)
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        return None
    return math.ceil(total / page_size) if page_size else total


def check_index(cls: type[IndexSpider]) -> None:
    """Refuse an index spider whose declarations are missing or contradict each other."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    if not isinstance(getattr(cls, "total_pointer", None), str) or not cls.total_pointer:
        raise TypeError(f"{where} must declare total_pointer (a non-empty string)")
    start_url = getattr(cls, "start_url", None)
    if not (isinstance(start_url, str) and start_url) and not getattr(cls, "url_template", None):
        raise TypeError(f"{where} must declare start_url (a non-empty string), or be a PeriodicSpider too")
    if bool(cls.param_page) == bool(cls.param_offset):
        raise TypeError(f"{where} must declare one of param_page and param_offset")
    if cls.page_size is not None and (not isinstance(cls.page_size, int) or cls.page_size < 1):
        raise TypeError(f"{where}.page_size must be a positive number")
    if (cls.param_offset or cls.param_limit) and not cls.page_size:
        raise TypeError(f"{where} must declare page_size to page with param_offset or param_limit")
    if cls.method not in ("GET", "POST"):
        raise TypeError(f"{where}.method must be GET or POST")
    if cls.body_format not in BODY_FORMATS:
        raise TypeError(f"{where}.body_format must be one of {', '.join(BODY_FORMATS)}")
    if cls.listings and not cls.items_pointer and cls.parse_listing is IndexSpider.parse_listing:
        raise TypeError(
            f"{where} declares listings, so it must declare items_pointer (where each page lists items) "
            "or define parse_listing"
        )
    if cls.items_pointer and not cls.item_url and cls.item_requests is IndexSpider.item_requests:
        raise TypeError(f"{where} must declare item_url, or define item_requests, to request each item's OCDS")
