import calendar
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.spiders import SimpleSpider

SITE = "https://www.catalogos.perucompras.gob.pe/ConsultaOrdenesPub/"
FILES = "https://saeusceprod01.blob.core.windows.net/contproveedor/DescargaMasiva/"


class PeruComprasBulkSpider(SimpleSpider):
    """
    Publisher
      Perú Compras: Central de Compras Públicas (purchase orders under framework agreements)
    Bulk download documentation
      https://www.catalogos.perucompras.gob.pe/ConsultaOrdenesPub/
    Shape
      A list of monthly files (``getListaDescargaMasiva``, POST): a JSON array of ``C_Anio``, ``CodMes`` and
      ``C_FileJson``, the name of a release package in the publisher's Azure storage (``DescargaMasiva/{name}``).
    Spider arguments
      from_date, until_date: the months fetched (those that meet the dates); applied to release dates too
    Caveats
      Monthly files since 2021-08; ``peru_compras_api`` has newer data. The JSON sometimes holds raw newlines inside
      strings: they are escaped, with a note.
    """

    name = "peru_compras_bulk"

    # PublisherSpider
    country = "PE"
    publisher_name = "Perú Compras: Central de Compras Públicas"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.perucompras.gob.pe"
    update_frequency = "monthly"
    dates_at_load = True
    listings = True  # the list of monthly files
    repair_raw_newlines = True
    allowed_domains = ("perucompras.gob.pe", "saeusceprod01.blob.core.windows.net")
    facts_from = ("kingfisher-collect:peru_compras_bulk@2026-07", SITE)

    # SimpleSpider
    start_urls = (f"{SITE}getListaDescargaMasiva?Anio=&Mes=",)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The list answers a POST only.
        for url in self.start_requests_urls():
            yield self.request(url, method="POST")

    def parse_listing(self, response: Response) -> Iterator[Any]:
        items = yield from self.listing_json(response, code="files_list_unreadable", what="the files' list", kind=list)
        for item in items or []:
            try:
                year, month, name = int(item["C_Anio"]), int(item["CodMes"]), str(item["C_FileJson"])
            except (KeyError, TypeError, ValueError):
                continue
            last = date(year, month, calendar.monthrange(year, month)[1])
            if name and self.within_dates(date(year, month, 1), last):
                yield self.ocds_request(f"{FILES}{name}")
