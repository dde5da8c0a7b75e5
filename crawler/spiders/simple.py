"""``SimpleSpider``: a fixed list of URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import quote

import orjson
import scrapy
from scrapy.http import Response

from crawler.spiders.base import PublisherSpider

#: The request meta key of a download token's request (see ``SimpleSpider.token_request``).
TOKEN_STEP = "token_step"


class SimpleSpider(PublisherSpider):
    """
    start_urls
      The URLs to fetch, each stored as a file (``{sandbox}`` is replaced by the sandbox's address).
    start_body
      For a publisher whose first request is a POST (a search of its catalogue): the JSON body each start URL is
      POSTed with. None (default): each start URL is a GET.
    token_pointer, token_url
      A download token step: a listing names a URL (:meth:`token_request`) whose JSON answer holds, at
      ``token_pointer``, a token valid for one download; the OCDS is then at ``token_url`` with ``{token}`` filled
      (URL-quoted). A token answer that is not JSON, or lacks the token, is an error note.
    """

    abstract = True
    start_urls: ClassVar[tuple[str, ...]] = ()
    start_body: ClassVar[Any] = None
    token_pointer: ClassVar[str | None] = None
    token_url: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False) and bool(cls.token_pointer) != bool(cls.token_url):
            raise TypeError(f"{cls.__module__}.{cls.__qualname__} must declare both token_pointer and token_url")

    def start_requests_urls(self) -> list[str]:
        return list(self.start_urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.start_body is None:
            async for request in super().start():
                yield request
            return
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        for url in self.start_requests_urls():
            yield self.request(url, method="POST", body=orjson.dumps(self.start_body), headers=headers)

    def token_request(self, url: str, **kwargs: Any) -> scrapy.Request:
        """A request for a download token (see ``token_url``): its answer is kept, not loaded."""
        kwargs["meta"] = {**kwargs.get("meta", {}), TOKEN_STEP: True}
        return self.request(url, **kwargs)

    def parse(self, response: Response) -> Iterator[Any]:
        if not response.meta.get(TOKEN_STEP):
            yield from super().parse(response)
            return
        self.keep_unloaded(response)
        tokens = [int(t) if t.isdigit() else t for t in (self.token_pointer or "").lstrip("/").split("/") if t]
        code, what = "download_token_unreadable", "the download token"
        token = yield from self.listing_json(response, *tokens, code=code, what=what, kind=(str, int))
        if token is None:
            return
        if token == "":
            yield self.unreadable_listing(response, code, what, "it is empty")
            return
        yield self.ocds_request((self.token_url or "").format(token=quote(str(token), safe="")))
