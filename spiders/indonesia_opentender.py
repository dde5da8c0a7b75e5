from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy.http import Response

from crawler.spiders import PeriodicSpider

API = "https://opentender.net/api"


class IndonesiaOpentenderSpider(PeriodicSpider):
    """
    Publisher
      Indonesia Corruption Watch (ICW): opentender.net
    Bulk download documentation
      https://v3.opentender.net/#/ocds
    Shape
      For each year, the list of LPSE (the e-procurement services of government bodies) with tenders that year
      (``master/lpse/?year=YYYY&format=json``, codes in ``results``); for each LPSE, a zip of the year's release
      packages (``tender/export-ocds-batch/?year=YYYY&lpse=CODE``).
    Spider arguments
      from_date, until_date: the years fetched; applied to release dates too. Without them, 2008 to this year.
    Caveats
      The list repeats some codes (fetched once). The exports are slow and large: one request at a time, a
      second apart; some have been cut short (invalid JSON, a note on load; kingfisher-collect issue 964).
    """

    name = "indonesia_opentender"

    # PublisherSpider
    country = "ID"
    publisher_name = "Indonesia Corruption Watch: opentender.net"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://opentender.net"
    update_frequency = "irregular"
    concurrency = 1
    delay = 1
    dates_at_load = True
    listings = True  # the LPSE lists; the zips are OCDS
    facts_from = ("kingfisher-collect:indonesia_opentender@2026-07", "https://v3.opentender.net/#/ocds")

    # PeriodicSpider
    url_template = f"{API}/master/lpse/?year={{year}}&format=json"
    period = "year"
    default_from_date = "2008-01-01"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        year = parse_qs(urlsplit(response.url).query).get("year", [""])[0]
        lpse = yield from self.listing_json(response, "results", code="lpse_list_unreadable", what="the LPSE list")
        seen = set()
        for item in lpse or []:
            code = item.get("code") if isinstance(item, dict) else None
            # The list repeats some codes; an item without a code names nothing.
            if code and code not in seen:
                seen.add(code)
                yield self.ocds_request(f"{API}/tender/export-ocds-batch/?{urlencode({'year': year, 'lpse': code})}")
