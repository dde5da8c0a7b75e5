import calendar
from collections.abc import Iterator
from datetime import date
from typing import Any

from scrapy.http import Response

from crawler.spiders import SimpleSpider
from crawler.spiders.declarations import choice_argument

#: The ``publicador`` of each publisher's files.
PUBLISHERS = {
    "oncae": "Oficina Normativa de Contratación y Adquisiciones del Estado (ONCAE) / Honduras",
    "sefin": "Secretaria de Finanzas de Honduras",
}
#: The ``sistema`` of each of ONCAE's systems.
SYSTEMS = {
    "HC1": "HonduCompras 1.0 - Módulo de Difusión de Compras y Contrataciones",
    "CE": "Catálogo Electrónico",
    "DDC": "Módulo de Difusión Directa de Contratos",
}


class HondurasPortalBulkSpider(SimpleSpider):
    """
    Publisher
      Portal de Contrataciones Abiertas de Honduras (ONCAE and SEFIN)
    Bulk download documentation
      http://www.contratacionesabiertas.gob.hn/descargas/
    Shape
      An index (``/api/v1/descargas/``): a JSON array of monthly files, each with ``year``, ``month``,
      ``publicador``, ``sistema`` and its ``urls`` (``json``, ``csv``, ``xlsx``, ``md5``); each ``json`` is a release
      package.
    Spider arguments
      from_date, until_date: the months fetched (those that meet the dates); applied to release dates too
      publisher: ``oncae`` or ``sefin`` only
      system: with ``publisher=oncae``, one system only: ``HC1``, ``CE`` or ``DDC``
    Caveats
      The same releases as the portal's API (``honduras_portal_api_releases``), a month a file; data since 2005-11.
    """

    name = "honduras_portal_bulk"

    # PublisherSpider
    country = "HN"
    publisher_name = "Portal de Contrataciones Abiertas de Honduras"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "http://www.contratacionesabiertas.gob.hn"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-lcuori-",)
    dates_at_load = True
    listings = True  # the index of files
    facts_from = (
        "kingfisher-collect:honduras_portal_bulk@2026-07",
        "http://www.contratacionesabiertas.gob.hn/descargas/",
    )

    # SimpleSpider
    start_urls = ("http://www.contratacionesabiertas.gob.hn/api/v1/descargas/?format=json",)

    def __init__(self, *args: Any, publisher: str | None = None, system: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.publisher = choice_argument("publisher", publisher, PUBLISHERS)
        self.system = choice_argument("system", system, SYSTEMS)
        if self.system and self.publisher != "oncae":
            raise ValueError("system is one of ONCAE's systems: give it with publisher=oncae")

    def parse_listing(self, response: Response) -> Iterator[Any]:
        items = yield from self.listing_json(response, code="index_unreadable", what="the files' index", kind=list)
        for item in items or []:
            if isinstance(item, dict) and self.wanted(item):
                url = (item.get("urls") or {}).get("json")
                if isinstance(url, str) and url:
                    yield self.ocds_request(response.urljoin(url))

    def wanted(self, item: dict[str, Any]) -> bool:
        if self.publisher and item.get("publicador") != PUBLISHERS[self.publisher]:
            return False
        if self.system and item.get("sistema") != SYSTEMS[self.system]:
            return False
        try:
            year, month = int(item["year"]), int(item["month"])
            first = date(year, month, 1)
        except (KeyError, TypeError, ValueError):
            return True  # an undated file: its releases' dates decide
        return self.within_dates(first, date(year, month, calendar.monthrange(year, month)[1]))
