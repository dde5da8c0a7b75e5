from collections.abc import Iterator
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.spiders import PeriodicSpider, SearchSpider

API = "https://api.mercadopublico.cl/APISOCDS"
#: The month lists, one per purchasing system: public tenders, direct purchases, framework agreements.
SYSTEMS = ("listaOCDSAgnoMes", "listaOCDSAgnoMesTratoDirecto", "listaOCDSAgnoMesConvenio")
PAGE_SIZE = 1000  # the most the API gives at once


class ChileCompraReleasesSpider(SearchSpider, PeriodicSpider):
    """
    Publisher
      Dirección de Compras y Contratación Pública (ChileCompra): Mercado Público
    API documentation
      https://datos-abiertos.chilecompra.cl/descargas/procesos-ocds
    Shape
      Lists of processes a month and purchasing system (``/OCDS/{system}/{year}/{month}/{offset}/{limit}``, at most
      1,000 a page): ``pagination.total`` counts them, ``data`` holds ``{ocid, urlTender, urlAward…}``. Each
      process's releases, all its stages, are one release package (``/OCDS/allrelease/{code}``, the OCID without
      ``ocds-70d2nz-``).
    Spider arguments
      from_date, until_date: the months fetched (the processes listed keep their later releases)
    Caveats
      The stages' URLs the lists give (``urlTender``…) can answer an empty package: they are not followed. A month
      without processes, and a list the API fails to build, answer HTTP 200 with ``{"status": 404|500, "detail":
      …}``: noted. Some packages hold NUL characters, removed (a note) as they are read. The API slows down and
      answers 429 under load: one request at a time, and a crawl of every month since 2009 takes weeks (tenders go
      back to 2009, the other systems to 2019).
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
    dates_at_load = False  # a month lists the processes begun in it: their later stages are kept
    facts_from = (
        "kingfisher-collect:chile_compra_api_releases@2026-07",
        "https://datos-abiertos.chilecompra.cl/descargas/procesos-ocds",
    )
    # The 429s of a busy API can outlast the default 3 retries.
    custom_settings: ClassVar[dict[str, Any]] = {"RETRY_TIMES": 10}

    # PeriodicSpider
    url_template = f"{API}/OCDS/{{system}}/{{year}}/{{month:02d}}/0/{PAGE_SIZE}"
    url_variants: ClassVar[dict[str, tuple[str, ...]]] = {"system": SYSTEMS}
    period = "month"
    default_from_date = "2009-01-01"

    # SearchSpider
    search_items = ("data",)
    item_url = f"{API}/OCDS/allrelease/{{code}}"
    total_pointer = "/pagination/total"
    page_size = PAGE_SIZE

    def page_url(self, url: str, index: int) -> str:
        # The offset is in the path: …/{offset}/{limit}.
        head, _, limit = url.rstrip("/").rpartition("/")
        return f"{head.rpartition('/')[0]}/{index * PAGE_SIZE}/{limit}"

    def unlisted(self, response: Response, document: Any) -> Iterator[Any]:
        # A list without ``data``: the API's envelope for an empty month (404) or a failure (500).
        status = document.get("status") if isinstance(document, dict) else None
        detail = document.get("detail") if isinstance(document, dict) else None
        if status == 404:
            yield self.note("info", "month_empty", f"no process listed: {detail}", url=response.url)
        else:
            yield self.note("error", "list_failed", f"the API could not give the list: {detail}", url=response.url)
