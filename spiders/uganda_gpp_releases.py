from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.spiders import PeriodicSpider

DOWNLOAD = "https://cdn.ppda.go.ug/api/open-data/v2/ocds/download?fy={fy}&format=json&code={code}"


class UgandaGppReleasesSpider(PeriodicSpider):
    """
    Publisher
      Public Procurement and Disposal of Public Assets Authority (PPDA): Government Procurement Portal
    API documentation
      https://gpp.ppda.go.ug/public/open-data/ocds
    Shape
      Release packages per fiscal year (July to June, ``fy=2019-2020``), numbered by ``code`` from 1: each is
      followed by the next number until the API answers 404.
    Spider arguments
      from_date, until_date: the fiscal years fetched (those that hold these dates); applied to release dates too
    Caveats
      Moved: the old API (``gpp.ppda.go.ug/api/v1/releases?tag=…&page=N``) is gone.
    """

    name = "uganda_gpp_releases"

    # PublisherSpider
    country = "UG"
    publisher_name = "PPDA: Government Procurement Portal"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://gpp.ppda.go.ug"
    licence = "https://opendatacommons.org/licenses/by/1-0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-rdvc92-",)
    dates_at_load = True
    facts_from = (
        "kingfisher-collect:uganda_releases@2026-07",
        "https://gpp.ppda.go.ug/public/open-data/ocds",
    )

    # PeriodicSpider
    url_template = DOWNLOAD
    period = "year"
    default_from_date = "2017-07-01"
    missing_period_statuses = (404,)  # the end of a fiscal year's numbers

    def start_requests_urls(self) -> list[str]:
        # Fiscal years, not calendar years: each is named by both its years, and the packages by a number.
        first = self.from_date or date.fromisoformat(self.default_from_date)
        last = self.until_date or date.today()
        start, end = (d.year if d.month >= 7 else d.year - 1 for d in (first, last))
        return [DOWNLOAD.format(fy=f"{year}-{year + 1}", code=1) for year in range(start, end + 1)]

    def period_missing(self, response: Response) -> Iterator[Any]:
        # A 404 is the end of a fiscal year's numbers: nothing is missing.
        return iter(())

    def follow(self, response: Response) -> Iterator[Any]:
        query = parse_qs(urlsplit(response.url).query)
        yield self.request(DOWNLOAD.format(fy=query["fy"][0], code=int(query["code"][0]) + 1))
