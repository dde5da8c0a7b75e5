"""``SearchSpider``: searches (or lists) that are not OCDS, whose pages name items fetched one by one as OCDS."""

from __future__ import annotations

import string
from collections.abc import Generator, Iterator
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.spiders.base import PublisherSpider
from crawler.spiders.index import pages_announced
from crawler.spiders.paged import add_query


class SearchSpider(PublisherSpider):
    """
    A search's first pages are the requests of the spider's other base class (``PeriodicSpider``'s windows,
    ``SimpleSpider``'s ``start_urls``). Its pages are listings (kept in the files store, not loaded); the OCDS of each
    item they name is stored and loaded.

    search_items
      The keys (and array indexes) of the array of items in a search page; empty when the page is the array. A page
      where it is ``null`` lists nothing (a page past the end).
    item_url
      The URL of an item's OCDS: a template of the item's fields (``{ocid}``, ``{url}``…) and ``{code}``, the item's
      OCID without the prefix from ``ocid_prefixes`` that it starts with. An item that lacks a field is skipped (a
      note). Override :meth:`item_urls` where an item names several URLs.
    total_pointer
      The JSON pointer, in a search's first page, of its number of pages; or of its number of items when
      ``page_size`` is declared. None for searches of one page.
    page_param, first_page
      The query parameter of the page number, added to the first page's URL for the other pages, which are numbered
      on from ``first_page`` (the first page's number, default 1). Override :meth:`page_url` to page otherwise.
    """

    abstract = True
    listings = True
    search_items: ClassVar[tuple[str | int, ...]] = ()
    item_url: ClassVar[str | None] = None
    total_pointer: ClassVar[str | None] = None
    page_size: ClassVar[int | None] = None
    page_param: ClassVar[str | None] = None
    first_page: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_search(cls)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        document = yield from self.listing_json(response, code="search_unreadable", what="the search page")
        if document is None:
            return
        items = yield from self.listed_items(response, document)
        if items is None:
            return
        without_url = 0
        for item in items:
            urls = self.item_urls(item)
            without_url += not urls
            for url in urls:
                yield self.ocds_request(url)
        if without_url:
            message = f"{without_url} listed items name no OCDS URL (they lack a field the URL is made of)"
            yield self.note("warning", "listed_without_url", message, url=response.url)
        if self.total_pointer and not response.meta.get("search_page"):
            yield from self.other_pages(response, document)

    def listed_items(self, response: Response, document: Any) -> Generator[Any, None, list[Any] | None]:
        """The array of items at ``search_items`` (empty where it is null), else what :meth:`unlisted` says."""
        value = document
        for step in self.search_items:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                yield from self.unlisted(response, document)
                return None
        if value is None:
            return []
        if not isinstance(value, list):
            yield from self.unlisted(response, document)
            return None
        return value

    def unlisted(self, response: Response, document: Any) -> Iterator[Any]:
        """A search page without its array of items (an error envelope): an error note. Override it for the
        envelopes a publisher answers instead of an empty search."""
        where = "/".join(map(str, self.search_items)) or "the document"
        yield self.unreadable_listing(response, "search_unreadable", "the search page", f"no array at {where}")

    def item_urls(self, item: Any) -> list[str]:
        """The URLs of an item's OCDS: ``item_url`` filled with its fields, or none if it lacks one."""
        if not isinstance(item, dict) or not self.item_url:
            return []
        fields = {key: str(value) for key, value in item.items() if isinstance(value, str | int)}
        ocid = item.get("ocid")
        if isinstance(ocid, str):
            prefix = next((p for p in self.ocid_prefixes if ocid.startswith(p)), None)
            if prefix:
                fields["code"] = ocid.removeprefix(prefix)
        names = [name for _, name, _, _ in string.Formatter().parse(self.item_url) if name is not None]
        if not all(fields.get(name) for name in names):
            return []
        return [self.item_url.format_map(fields)]

    def other_pages(self, response: Response, document: Any) -> Iterator[Any]:
        assert self.total_pointer
        pages = pages_announced(document, self.total_pointer, self.page_size)
        if pages is None:
            message = f"the first page has no count at {self.total_pointer}, so the other pages are unknown"
            yield self.note("error", "index_count_missing", message, url=response.url)
            return
        for index in range(1, pages):
            yield self.request(self.page_url(response.url, index), meta={"search_page": index})

    def page_url(self, url: str, index: int) -> str:
        """The URL of a search's ``index``-th page (the first is 0, ``url``)."""
        assert self.page_param
        return add_query(url, {self.page_param: str(self.first_page + index)})


def check_search(cls: type[SearchSpider]) -> None:
    """Refuse a search spider whose declarations are missing or contradict each other."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    if isinstance(cls.search_items, str | bytes) or not isinstance(cls.search_items, tuple):
        raise TypeError(f"{where}.search_items must be a tuple of keys")
    if not cls.item_url and cls.item_urls is SearchSpider.item_urls:
        raise TypeError(f"{where} must declare item_url (or define item_urls)")
    if cls.page_size is not None and (not isinstance(cls.page_size, int) or cls.page_size < 1 or not cls.total_pointer):
        raise TypeError(f"{where}.page_size must be a positive number, with total_pointer")
    if cls.total_pointer and not cls.page_param and cls.page_url is SearchSpider.page_url:
        raise TypeError(f"{where} must declare page_param (or define page_url) to request the other pages")
