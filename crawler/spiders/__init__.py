"""The base spiders. A publisher's spider subclasses one of these and declares class attributes."""

from aggregator.raw.crawls import PublisherInfo
from crawler.spiders.archive import ArchiveSpider
from crawler.spiders.base import PublisherSpider
from crawler.spiders.ckan import CkanSpider
from crawler.spiders.egp import EgpSpider
from crawler.spiders.index import IndexSpider
from crawler.spiders.paged import PagedSpider
from crawler.spiders.periodic import PeriodicSpider
from crawler.spiders.postback import PostbackSpider
from crawler.spiders.search import SearchSpider
from crawler.spiders.simple import SimpleSpider
from crawler.spiders.token import AccessTokenSpider

__all__ = [
    "AccessTokenSpider",
    "ArchiveSpider",
    "CkanSpider",
    "EgpSpider",
    "IndexSpider",
    "PagedSpider",
    "PeriodicSpider",
    "PostbackSpider",
    "PublisherInfo",
    "PublisherSpider",
    "SearchSpider",
    "SimpleSpider",
]
