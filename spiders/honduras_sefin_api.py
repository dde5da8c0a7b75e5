from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import PeriodicSpider


class HondurasSefinApiSpider(PeriodicSpider):
    """
    Publisher
      Secretaría de Finanzas de Honduras (SEFIN)
    API documentation
      https://guancasco.sefin.gob.hn/EDCA_WEBAPI/swagger/ui/index
    Shape
      A year's list (``/api/listaOcids/{year}``) is a JSON array of URLs, each a process's release package
      (``/api/releasePackage/{id}``).
    Spider arguments
      from_date, until_date: the years fetched; applied to release dates too
    Caveats
      The API answers 500 for the processes of 2012 to 2018: ``honduras_sefin_bulk`` has them, so a crawl starts in
      2019. The same data are in the portal's API (``honduras_portal_api_releases``, publisher ``sefin``).
    """

    name = "honduras_sefin_api"

    # PublisherSpider
    country = "HN"
    publisher_name = "Secretaría de Finanzas de Honduras (SEFIN)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.sefin.gob.hn/edca/"
    update_frequency = "daily"
    dates_at_load = True
    listings = True  # a year's list of URLs
    facts_from = (
        "kingfisher-collect:honduras_sefin_api@2026-07",
        "https://guancasco.sefin.gob.hn/EDCA_WEBAPI/swagger/ui/index",
    )

    # PeriodicSpider
    url_template = "https://guancasco.sefin.gob.hn/EDCA_WEBAPI/api/listaOcids/{year}"
    period = "year"
    default_from_date = "2019-01-01"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        urls = yield from self.listing_json(response, code="year_list_unreadable", what="the year's list", kind=list)
        for url in urls or []:
            if isinstance(url, str) and url:
                yield self.ocds_request(response.urljoin(url))
