"""``SimpleSpider``: a fixed list of URLs."""

from __future__ import annotations

from typing import ClassVar

from crawler.spiders.base import PublisherSpider


class SimpleSpider(PublisherSpider):
    """
    start_urls
      The URLs to fetch, each stored as a file (``{sandbox}`` is replaced by the sandbox's address).
    """

    abstract = True
    start_urls: ClassVar[tuple[str, ...]] = ()

    def start_requests_urls(self) -> list[str]:
        return list(self.start_urls)
