"""``EgpSpider``: a publisher on European Dynamics' e-Government Procurement (e-GP) platform."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.spiders.base import PublisherSpider

LIST_PATH = "/ocds/services/recordpackage/getrecordpackagelist"
MONTH = re.compile(r"/getrecordpackage/(\d{4})/(\d{1,2})/?$")


class EgpSpider(PublisherSpider):
    """
    portal
      The platform's address (``https://www.ghaneps.gov.gh``). Its OCDS module lists, at
      ``/ocds/services/recordpackage/getrecordpackagelist``, one URL a month (``packagesPerMonth``:
      ``…/getrecordpackage/{year}/{month}``, the month not padded), each a zip of that month's record package.

    The list is a listing (see ``listings``): kept, not loaded. The months that overlap ``from_date`` and
    ``until_date`` are fetched, and the dates applied to releases as they are loaded too. Only the path of each
    listed URL is kept, requested on ``portal`` (the list may name another host).
    """

    abstract = True
    portal: ClassVar[str]

    # PublisherSpider
    data_type = "record_package"
    ocds_version = "1.1"
    update_frequency = "monthly"
    dates_at_load = True
    listings = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False) and not getattr(cls, "portal", None):
            raise TypeError(f"{cls.__module__}.{cls.__qualname__} must declare portal (the platform's address)")

    def start_requests_urls(self) -> list[str]:
        return [self.portal + LIST_PATH]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # An HTML page while the portal is in maintenance, say: noted, and nothing to fetch.
        what = "the list of monthly packages"
        urls = yield from self.listing_json(response, "packagesPerMonth", code="package_list_unreadable", what=what)
        if urls is None:
            return
        for url in urls:
            month = listed_month(url)
            if month is None:
                message = "a listed URL does not end with a year and a month: fetched whatever its month"
                yield self.note("warning", "package_month_unknown", message, url=response.url, listed=url)
            elif not overlaps(month, self.from_date, self.until_date):
                continue
            yield self.ocds_request(self.portal + urlsplit(url).path)


def listed_month(url: str) -> tuple[int, int] | None:
    """The year and month a listed URL is for, or None if it does not end with them."""
    match = MONTH.search(urlsplit(url).path)
    return (int(match[1]), int(match[2])) if match and 1 <= int(match[2]) <= 12 else None


def overlaps(month: tuple[int, int], first: date | None, last: date | None) -> bool:
    """Whether a month holds any day from ``first`` to ``last`` (each optional, both included)."""
    year, number = month
    start = date(year, number, 1)
    end = date(year, number, calendar.monthrange(year, number)[1])
    return (first is None or end >= first) and (last is None or start <= last)
