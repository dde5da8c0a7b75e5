from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.spiders import AccessTokenSpider, PeriodicSpider
from crawler.spiders.periodic import Window

API = "https://datos.hacienda.gov.py/odmh-api-v1/rest/api/v1/"
#: The last year published: the dataset was last updated in 2018 (kingfisher-collect).
LAST_YEAR = 2018


class ParaguayHaciendaSpider(AccessTokenSpider, PeriodicSpider):
    """
    Publisher
      Ministerio de Hacienda del Paraguay
    API documentation
      https://datos.hacienda.gov.py/odmh-api-v1/api-docs/
    Shape
      A year's payments (``pagos/cdp?by_anho={year}&page=N``) name the processes (``idLlamado``); the first page
      gives the number of pages at ``meta.totalPages``. Each process is a release package
      (``ocds/release-package/{idLlamado}``). Every request needs an access token, asked for with a POST to
      ``auth/token`` (the request token in ``Authorization``, the client secret in the body); it expires after about
      15 minutes, and an answer 401 gets a new one.
    Spider arguments
      from_date, until_date: the years of the payments listed, 2011 to 2018
    Caveats
      Needs two credentials, from an API account (https://datos.hacienda.gov.py/aplicaciones/new): the environment
      variables PARAGUAY_HACIENDA_REQUEST_TOKEN (the application's request token) and PARAGUAY_HACIENDA_CLIENT_SECRET
      (its client secret). Last updated by the publisher in 2018: later years are not requested. A process paid over
      several years is listed in each, and fetched once.
    """

    name = "paraguay_hacienda"

    # PublisherSpider
    country = "PY"
    publisher_name = "Ministerio de Hacienda del Paraguay"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://datos.hacienda.gov.py"
    update_frequency = "never"
    credentials = ("PARAGUAY_HACIENDA_REQUEST_TOKEN", "PARAGUAY_HACIENDA_CLIENT_SECRET")
    concurrency = 1
    dates_at_load = False  # the years are those of the payments, not of the releases
    listings = True  # the payments' pages
    facts_from = ("kingfisher-collect:paraguay_hacienda@2026-07", "https://datos.hacienda.gov.py/odmh-api-v1/api-docs/")

    # AccessTokenSpider
    token_url = f"{API}auth/token"
    token_headers: ClassVar[dict[str, str]] = {"Authorization": "{PARAGUAY_HACIENDA_REQUEST_TOKEN}"}
    token_body: ClassVar[dict[str, str]] = {"clientSecret": "{PARAGUAY_HACIENDA_CLIENT_SECRET}"}
    token_pointer = "/accessToken"
    token_scheme = "Bearer"

    # PeriodicSpider
    url_template = f"{API}pagos/cdp?page=1&by_anho={{year}}"
    period = "year"
    default_from_date = "2011-01-01"

    def window_urls(self) -> dict[str, Window]:
        # The years stop at the last one published, whatever until_date says.
        return {url: window for url, window in super().window_urls().items() if window[0] <= date(LAST_YEAR, 12, 31)}

    def parse_listing(self, response: Response) -> Iterator[Any]:
        page = yield from self.listing_json(response, code="payments_unreadable", what="the payments' page", kind=dict)
        if page is None:
            return
        query = parse_qs(urlsplit(response.url).query)
        if query.get("page") == ["1"]:
            total = (page.get("meta") or {}).get("totalPages") or 1
            for number in range(2, int(total) + 1):
                yield self.request(f"{API}pagos/cdp?page={number}&by_anho={query['by_anho'][0]}")
        for row in page.get("results") or []:
            # A process is listed once per payment; the filter of duplicate requests fetches it once.
            if identifier := row.get("idLlamado"):
                yield self.ocds_request(f"{API}ocds/release-package/{identifier}")
