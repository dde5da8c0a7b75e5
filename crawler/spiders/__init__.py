"""The base spiders. A publisher's spider subclasses one of these and declares class attributes."""

from crawler.spiders.base import PublisherSpider
from crawler.spiders.paged import PagedSpider
from crawler.spiders.simple import SimpleSpider

__all__ = ["PagedSpider", "PublisherSpider", "SimpleSpider"]
