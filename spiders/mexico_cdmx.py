from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider


class MexicoCdmxSpider(SimpleSpider):
    """
    Publisher
      Secretaría de Finanzas de la Ciudad de México (SEFIN): Contrataciones Abiertas
    API documentation
      http://www.contratosabiertos.cdmx.gob.mx/api (``/api/contratos/todos``, ``/api/contrato/{ocid}``)
    Shape
      An index of every contract (a JSON array of objects with a ``uri``), each ``uri`` a release package.
    Caveats
      kingfisher-collect dropped its spider in 2020-06; the endpoint is kept as published. Some packages are
      ISO-8859-1 and others UTF-8 (detected, with a note). OCIDs are upper case (``OCDS-87SD3T-``), release ids
      ``01``, ``02``; 1.0 transactions and organizations.
    """

    name = "mexico_cdmx"

    # PublisherSpider
    country = "MX"
    publisher_name = "Ciudad de México: Secretaría de Finanzas"
    data_type = "release_package"
    ocds_version = "1.0"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    level = "city"
    region = "CMX"
    url = "http://www.contratosabiertos.cdmx.gob.mx"
    update_frequency = "monthly"
    ocid_prefixes = ("OCDS-87SD3T-",)
    available = False
    unavailable_since = "2020-06"
    unavailable_reason = (
        "Mexico City discontinued the contratosabiertos.cdmx.gob.mx platform (kingfisher-collect issue 391, "
        "2020-06-25); kingfisher-collect removed mexico_cdmx (622294e, 2020-06-25)"
    )
    facts_from = (
        "kingfisher-collect:mexico_cdmx@2020-06",
        "http://www.contratosabiertos.cdmx.gob.mx/api",
    )

    # SimpleSpider
    start_urls = ("http://www.contratosabiertos.cdmx.gob.mx/api/contratos/todos",)

    def parse(self, response: Response) -> Iterator[Any]:
        # The index is a list of URLs, not OCDS: it is kept in the files store but not loaded; each of its URLs is.
        if response.meta.get("contract"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        for contract in orjson.loads(response.body):
            yield self.request(contract["uri"], meta={"contract": True})
