import math
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
from scrapy.http import Response

from crawler.spiders import PeriodicSpider

#: The month lists, one per purchasing system: public tenders, direct purchases, framework agreements.
SYSTEMS = ("listaOCDSAgnoMes", "listaOCDSAgnoMesTratoDirecto", "listaOCDSAgnoMesConvenio")
PAGE_SIZE = 1000  # the most the API gives at once


class ChileCompraReleasesSpider(PeriodicSpider):
    """
    Publisher
      Dirección de Compras y Contratación Pública (ChileCompra): Mercado Público
    API documentation
      https://desarrolladores.mercadopublico.cl/docs/services/5a9ed02f718ed712f4403e75/operations/data-listaa-omes-agno-mes
    Shape
      Lists of processes a month and purchasing system (``/APISOCDS/OCDS/{system}/{year}/{month}/{offset}/{limit}``,
      at most 1,000 a page): ``pagination.total`` counts them, ``data`` holds ``{ocid, urlTender, urlAward,
      urlPlanning…}``. Each ``url*`` is one stage's release package.
    Spider arguments
      from_date, until_date: the months fetched (the processes listed keep their later releases)
    Caveats
      The lists give the stages' URLs with ``http://``, which the server does not answer: they are fetched over
      HTTPS. A month without processes, and a list the API fails to build, answer HTTP 200 with
      ``{"status": 404|500, "detail": …}``: noted, not loaded. Some stages' packages hold NUL characters, removed
      (a note) as they are read. The API slows down and answers 429 under load: one request at a time, and a
      crawl of every month since 2009 takes weeks (tenders go back to 2009, the other systems to 2019).
    """

    name = "chile_compra_releases"

    # PublisherSpider
    country = "CL"
    publisher_name = "ChileCompra: Mercado Público"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.mercadopublico.cl"
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-70d2nz-",)
    concurrency = 1
    allowed_domains = ("mercadopublico.cl",)  # the lists are on api., some stages' packages on apis.
    dates_at_load = False  # a month lists the processes begun in it: their later stages are kept
    listings = True  # a month's list of processes; each stage's release package is OCDS
    # The 429s of a busy API can outlast the default 3 retries.
    custom_settings: ClassVar[dict[str, Any]] = {"RETRY_TIMES": 10}

    # PeriodicSpider
    url_template = "https://api.mercadopublico.cl/APISOCDS/OCDS/{system}/{year}/{month:02d}/0/" + str(PAGE_SIZE)
    period = "month"
    default_from_date = "2009-01-01"

    def start_requests_urls(self) -> list[str]:
        return [url.replace("{system}", system) for url in super().start_requests_urls() for system in SYSTEMS]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # Each stage's release package is loaded, and the month's other pages are listings too.
        try:
            page = orjson.loads(response.body)
        except orjson.JSONDecodeError as error:
            yield self.note("error", "list_unreadable", f"the list is not JSON: {error}", url=response.url)
            return
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            yield self.list_error(response, page)
            return
        for entry in (e for e in page["data"] if isinstance(e, dict)):
            for key, link in sorted(entry.items()):
                if key.startswith("url") and isinstance(link, str) and link:
                    yield self.ocds_request(https(link))
        if offset_of(response.url) == 0:
            yield from self.other_pages(response, page)

    def other_pages(self, response: Response, page: dict[str, Any]) -> Iterator[Any]:
        total = (page.get("pagination") or {}).get("total")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            message = "the list has no pagination.total, so its other pages are unknown"
            yield self.note("error", "index_count_missing", message, url=response.url)
            return
        for index in range(1, math.ceil(total / PAGE_SIZE)):
            yield self.request(with_offset(response.url, index * PAGE_SIZE))

    def list_error(self, response: Response, page: Any) -> Any:
        """A list without ``data``: the API's envelope for an empty month (404) or a failure (500)."""
        status = page.get("status") if isinstance(page, dict) else None
        detail = page.get("detail") if isinstance(page, dict) else None
        if status == 404:
            return self.note("info", "month_empty", f"no process listed: {detail}", url=response.url)
        return self.note("error", "list_failed", f"the API could not give the list: {detail}", url=response.url)


def https(url: str) -> str:
    return "https://" + url.removeprefix("http://") if url.startswith("http://") else url


def offset_of(url: str) -> int:
    """The offset in a list's URL (``…/{offset}/{limit}``)."""
    return int(url.rstrip("/").split("/")[-2])


def with_offset(url: str, offset: int) -> str:
    head, _, limit = url.rstrip("/").rpartition("/")
    return f"{head.rpartition('/')[0]}/{offset}/{limit}"
