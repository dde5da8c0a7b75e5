"""``PagedSpider``: follows a next link found in each page."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import ijson
import orjson
from scrapy.http import Response

from aggregator.raw import gcpause
from aggregator.raw.read import Problem, iter_sources
from aggregator.raw.sources import READ_ERRORS
from aggregator.raw.utf8 import open_utf8
from crawler.frontier import ESSENTIAL
from crawler.handlers import STREAMED_PATH
from crawler.spiders.base import PublisherSpider
from crawler.spiders.declarations import OCDS_DATA


class PagedSpider(PublisherSpider):
    """
    start_url
      The first page.
    next_pointer
      The JSON pointer of the next page's URL in each page (default ``/links/next``, the pagination extension's).
      A page without it is the last page. The next page is of its page's kind: OCDS named by a listing (see
      ``listings``) is followed as OCDS, a listing as a listing.
    from_date_param, until_date_param
      The query parameters of the publisher's own date filter, if it has one; the spider arguments ``from_date``
      and ``until_date`` are passed through them.
    """

    abstract = True
    start_url: ClassVar[str]
    next_pointer: ClassVar[str] = "/links/next"
    from_date_param: ClassVar[str | None] = None
    until_date_param: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()

    def start_requests_urls(self) -> list[str]:
        filters = {}
        if self.from_date and self.from_date_param:
            filters[self.from_date_param] = self.from_date.isoformat()
        if self.until_date and self.until_date_param:
            filters[self.until_date_param] = self.until_date.isoformat()
        return [add_query(self.start_url, filters)]

    def follow(self, response: Response) -> Iterator[Any]:
        self._seen.add(response.url)
        streamed = response.meta.get(STREAMED_PATH)
        try:
            if streamed:  # too large to parse whole: read incrementally from the files store, up to the link
                link = pointer_in_file(Path(streamed), self.next_pointer, self.encoding)
            else:
                # A page is parsed whole for one link, and freed before the collector runs again: parsed JSON is a
                # tree, and collecting while tens of thousands of its objects are alive took half the parse's time.
                with gcpause.paused():
                    link = resolve_pointer(orjson.loads(response.body), self.next_pointer)
        except (orjson.JSONDecodeError, ijson.JSONError, *READ_ERRORS) as error:
            yield self.note(
                "error",
                "next_link_unreadable",
                f"page is not JSON, so its next link is unknown: {error}",
                url=response.url,
            )
            return
        if link is None:
            return
        if not isinstance(link, str) or not link:
            yield self.note("warning", "invalid_next_link", "the next link is not a URL", url=response.url, link=link)
            return
        # Against the page's URL: a text response's own urljoin decodes the whole body to look for an HTML <base>.
        url = urljoin(response.url, link)
        if url in self._seen:
            yield self.note(
                "warning",
                "looping_next_link",
                "the next link points to a page already fetched",
                url=response.url,
                link=link,
            )
        else:
            # A next page is essential: if it fails, the pages after it are unknown (crawler.frontier).
            meta = {ESSENTIAL: True, **({OCDS_DATA: True} if response.meta.get(OCDS_DATA) else {})}
            yield self.request(url, meta=meta)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer, or None if any step is missing."""
    value = document
    for token in pointer.lstrip("/").split("/") if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def pointer_in_file(path: Path, pointer: str, encoding: str | None = None) -> Any:
    """The value at a JSON pointer in a stored file (decompressed and decoded as the aggregator would), parsed
    incrementally and only up to that value."""
    for source in iter_sources(path):
        if isinstance(source, Problem):
            raise OSError(source.message)
        with open_utf8(source, encoding) as stream:
            return pointer_in_stream(stream, pointer)
    return None


def pointer_in_stream(stream: IO[bytes], pointer: str) -> Any:
    """The value at a JSON pointer, read with ijson; an array index selects among the array's elements."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")] if pointer else []
    keys = list(itertools.takewhile(lambda token: not token.isdigit(), tokens))
    prefix = ".".join(keys)
    if len(keys) == len(tokens):
        return next(ijson.items(stream, prefix, use_float=True), None)
    rest = tokens[len(keys) + 1 :]
    elements = ijson.items(stream, f"{prefix}.item" if prefix else "item", use_float=True)
    element = next(itertools.islice(elements, int(tokens[len(keys)]), None), None)
    escaped = [t.replace("~", "~0").replace("/", "~1") for t in rest]
    return resolve_pointer(element, "/" + "/".join(escaped)) if rest else element


def add_query(url: str, parameters: dict[str, str]) -> str:
    if not parameters:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(parameters)) if q)
    return urlunsplit(parts._replace(query=query))
