from datetime import date

from crawler.spiders import PeriodicSpider
from crawler.spiders.periodic import date_windows, window_url

#: The last year published: later years answer HTTP 500 (kingfisher-collect).
LAST_YEAR = 2018


class NepalPpmoSpider(PeriodicSpider):
    """
    Publisher
      Public Procurement Monitoring Office (PPMO): Public Procurement Transparency Initiative in Nepal (PPTIN)
    Bulk download documentation
      https://ppip.gov.np/downloads
    Shape
      One release package per calendar year (``bulk-download/{year}``), 2012 to 2018.
    Spider arguments
      from_date, until_date: the years fetched (no later than 2018); applied to release dates too
    Caveats
      No longer updated: releases date from May 2016 to August 2018, later years answer HTTP 500, so none is
      requested. OCDS 1.0 with some 1.1 fields and the requirements extension; planning and tender only, no awards
      (Data Registry).
    """

    name = "nepal_ppmo"

    # PublisherSpider
    country = "NP"
    publisher_name = "Public Procurement Monitoring Office (PPMO)"
    data_type = "release_package"
    ocds_version = "1.0"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    url = "https://ppmo.gov.np"
    update_frequency = "never"
    ocid_prefixes = ("ocds-rw2stw-",)
    dates_at_load = True
    available = False
    unavailable_since = "2026-03"
    unavailable_reason = (
        "ppip.gov.np's bulk downloads time out: kingfisher-collect removed nepal as broken (PR 1244, 2026-03-06)"
    )
    facts_from = (
        "kingfisher-collect:nepal@2026-03",
        "https://ppip.gov.np/downloads",
    )

    # PeriodicSpider
    url_template = "https://ppip.gov.np/bulk-download/{year}"
    period = "year"
    default_from_date = "2012-01-01"

    def start_requests_urls(self) -> list[str]:
        # The years stop at the last one published, whatever until_date says.
        first = self.from_date or date.fromisoformat(self.default_from_date)
        last = min(self.until_date or date.today(), date(LAST_YEAR, 12, 31))
        return [window_url(self.url_template, window) for window in date_windows(first, last, self.period)]
