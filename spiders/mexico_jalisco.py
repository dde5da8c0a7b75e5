from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider


class MexicoJaliscoSpider(SimpleSpider):
    """
    Publisher
      Gobierno del Estado de Jalisco: Secretaría de Planeación, Administración y Finanzas (SEPAF/DGA)
    API documentation
      https://contratacionesabiertas.jalisco.gob.mx/OCApi (``/2017/contracts``, ``/record/{ocid}``, ``/release/{id}``)
    Shape
      An index of contracts (a JSON array of ``{ocid, URIContract}``); each ``URIContract`` is a record package
      with linked releases and a ``compiledRelease``, whose ``packages`` are the URLs of its release packages.
    Caveats
      kingfisher-collect dropped its spider in 2020-09; the endpoint is kept as published. Packages carry a
      MongoDB ``_id``; planning and tender of one OCID often share the same second.
    """

    name = "mexico_jalisco"

    # PublisherSpider
    country = "MX"
    publisher_name = "Jalisco: Secretaría de Planeación, Administración y Finanzas"
    data_type = "record_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    level = "regional"
    region = "JAL"
    url = "https://contratacionesabiertas.jalisco.gob.mx"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-xs1qbl-",)
    available = False
    unavailable_since = "2020-09"
    unavailable_reason = (
        "contratacionesabiertas.jalisco.gob.mx shows a maintenance page with no estimate of its return (kingfisher-"
        "collect issues 391, 402); kingfisher-collect removed mexico_jalisco (1242fbe, 2020-09-01)"
    )
    facts_from = (
        "kingfisher-collect:mexico_jalisco@2020-09",
        "https://contratacionesabiertas.jalisco.gob.mx/OCApi",
    )

    # SimpleSpider
    start_urls = ("https://contratacionesabiertas.jalisco.gob.mx/OCApi/2017/contracts",)

    def parse(self, response: Response) -> Iterator[Any]:
        # The index is a list of URLs, not OCDS: it is kept in the files store but not loaded; each of its URLs is.
        if response.meta.get("package"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        for contract in orjson.loads(response.body):
            yield self.request(contract["URIContract"], meta={"package": "record"})

    def follow(self, response: Response) -> Iterator[Any]:
        # A record package links its releases; their packages are listed in ``packages``.
        if response.meta["package"] == "record":
            for url in orjson.loads(response.body).get("packages", []):
                yield self.request(url, meta={"package": "release"})
