from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider


class MexicoNuevoLeonSpider(SimpleSpider):
    """
    Publisher
      Gobierno de Nuevo León: Secretaría de Infraestructura
    Bulk download documentation
      https://catalogodatos.nl.gob.mx/dataset/contrataciones-abiertas-direccion-general-de-adquisiciones-y-servicios
    Shape
      A CKAN dataset (``package_show``) whose JSON resources are record packages (linked releases and a
      ``compiledRelease``), one per process and version.
    Caveats
      The packages declare an extension in ``packages`` and ``publisher.scheme`` ``GB-COH``; dates without time
      zone in some releases.
    """

    name = "mexico_nuevo_leon"

    # PublisherSpider
    country = "MX"
    publisher_name = "Nuevo León: Secretaría de Infraestructura"
    data_type = "record_package"
    ocds_version = "1.1"
    level = "regional"
    region = "NLE"
    url = "https://www.nl.gob.mx"
    licence = "https://datos.gob.mx/libreusomx"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-7wj9x5-",)
    allowed_domains = ("nl.gob.mx",)  # the dataset is on catalogodatos.nl.gob.mx, its files on si.nl.gob.mx
    dates_at_load = True

    # SimpleSpider
    start_urls = (
        "https://catalogodatos.nl.gob.mx/api/3/action/package_show"
        "?id=contrataciones-abiertas-direccion-general-de-adquisiciones-y-servicios",
    )

    def parse(self, response: Response) -> Iterator[Any]:
        # The CKAN description is not OCDS: kept in the files store but not loaded; its JSON resources are.
        if response.meta.get("resource"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        for resource in orjson.loads(response.body)["result"]["resources"]:
            if resource.get("format", "").upper() == "JSON":
                yield self.request(resource["url"], meta={"resource": True})
