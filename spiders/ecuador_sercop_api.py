from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import PeriodicSpider
from crawler.spiders.paged import add_query

RECORD = "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/api/record?ocid={ocid}"


class EcuadorSercopApiSpider(PeriodicSpider):
    """
    Publisher
      Servicio Nacional de Contratación Pública (SERCOP)
    API documentation
      https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/datos-abiertos/api
    Shape
      A search per year (``search_ocds?year=YYYY``), paged (``page``; the first page gives the number of pages at
      ``pages``), lists OCIDs (``data[].ocid``); each OCID's ``record?ocid=`` answers a release package (not a
      record package, whatever the path says).
    Spider arguments
      from_date, until_date: the years searched (whole years)
    Caveats
      The server times out from many countries. The monthly bulk files are ``ecuador_sercop_bulk``.
    """

    name = "ecuador_sercop_api"

    # PublisherSpider
    country = "EC"
    publisher_name = "Servicio Nacional de Contratación Pública (SERCOP)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.compraspublicas.gob.ec"
    licence = "https://creativecommons.org/licenses/by/3.0/ec/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-5wno2w-",)
    facts_from = (
        "kingfisher-collect:ecuador_sercop_api@2026-07",
        "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/datos-abiertos/api",
    )

    # PeriodicSpider
    url_template = "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/api/search_ocds?year={year}"
    period = "year"
    default_from_date = "2015-01-01"

    def parse(self, response: Response) -> Iterator[Any]:
        # The search pages list OCIDs, they are not OCDS: kept in the files store but not loaded. The first page of
        # a year says how many pages the year has; each OCID's package (a release package) is loaded.
        if response.meta.get("record"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        search = orjson.loads(response.body)
        for process in search.get("data") or []:
            yield self.request(RECORD.format(ocid=process["ocid"]), meta={"record": True})
        if not response.meta.get("page"):
            for page in range(2, int(search.get("pages") or 1) + 1):
                yield self.request(add_query(response.url, {"page": str(page)}), meta={"page": page})
