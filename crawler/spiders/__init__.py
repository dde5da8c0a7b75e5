"""The base spiders. A publisher's spider subclasses one of these and declares class attributes."""

from crawler.spiders.archive import ArchiveSpider
from crawler.spiders.base import PublisherSpider
from crawler.spiders.ckan import CkanSpider
from crawler.spiders.egp import EgpSpider
from crawler.spiders.index import IndexSpider
from crawler.spiders.paged import PagedSpider
from crawler.spiders.periodic import PeriodicSpider
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
    "PublisherSpider",
    "SimpleSpider",
]
