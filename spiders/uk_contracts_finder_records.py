from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import PeriodicSpider

RECORD = "https://www.contractsfinder.service.gov.uk/Published/OCDS/Record/{ocid}"


class UkContractsFinderRecordsSpider(PeriodicSpider):
    """
    Publisher
      Crown Commercial Service: Contracts Finder
    API documentation
      https://www.contractsfinder.service.gov.uk/apidocumentation/home
    Shape
      The search of ``uk_contracts_finder_releases`` (15-day windows of publication dates, release packages of 100
      with ``links.next``) read as a listing: each release's OCID names its record package
      (``/Published/OCDS/Record/{ocid}``: every release of the notice's process, and a ``compiledRelease``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Bodies are ISO-8859-1. HTTP 403 is the rate limit: one request at a time, slowly. An OCID met in several
      windows or pages is fetched once.
    """

    name = "uk_contracts_finder_records"

    # PublisherSpider
    country = "GB"
    publisher_name = "Crown Commercial Service: Contracts Finder"
    data_type = "record_package"
    ocds_version = "1.0"
    url = "https://www.contractsfinder.service.gov.uk"
    licence = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-b5fd17-",)
    encoding = "iso-8859-1"
    concurrency = 1
    delay = 1.0
    dates_at_load = False  # the windows are the publisher's own filter
    listings = True  # the search's pages
    facts_from = (
        "kingfisher-collect:united_kingdom_contracts_finder_records@2026-07",
        "https://www.contractsfinder.service.gov.uk/apidocumentation/home",
    )

    # PeriodicSpider
    url_template = (
        "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search"
        "?limit=100&publishedFrom={start}&publishedTo={end}"
    )
    period = 15
    default_from_date = "2015-01-01"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:  # ISO-8859-1, which orjson does not read as bytes
            page = orjson.loads(response.body.decode(self.encoding or "utf-8"))
        except (orjson.JSONDecodeError, UnicodeDecodeError) as error:
            yield self.unreadable_listing(response, "search_unreadable", "the search's page", str(error))
            return
        for release in page.get("releases") or []:
            if isinstance(release, dict) and release.get("ocid"):
                yield self.ocds_request(RECORD.format(ocid=release["ocid"]))
        link = (page.get("links") or {}).get("next")
        if isinstance(link, str) and link:
            yield self.request(response.urljoin(link))
