"""The base spiders. A publisher's spider subclasses one of these and declares class attributes."""

from crawler.spiders.archive import ArchiveSpider
from crawler.spiders.base import PublisherSpider
from crawler.spiders.egp import EgpSpider
from crawler.spiders.index import IndexSpider
from crawler.spiders.paged import PagedSpider
from crawler.spiders.periodic import PeriodicSpider
from crawler.spiders.postback import PostbackSpider
from crawler.spiders.simple import SimpleSpider

__all__ = [
    "ArchiveSpider",
    "EgpSpider",
    "IndexSpider",
    "PagedSpider",
    "PeriodicSpider",
    "PostbackSpider",
    "PublisherSpider",
    "SimpleSpider",
]
