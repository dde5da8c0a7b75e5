from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider

BULK_TIMEOUT = 3600  # seconds


class ArgentinaBuenosAiresSpider(SimpleSpider):
    """
    Publisher
      Gobierno de la Ciudad de Buenos Aires: Buenos Aires Compras (BAC)
    Bulk download documentation
      https://data.buenosaires.gob.ar/dataset/buenos-aires-compras
    Shape
      A CKAN dataset (``package_show``) whose JSON resource is one release package of every process in BAC
      (``bac_anual.json`` on ``cdn.buenosaires.gob.ar``, about 300 MB); the CSV resources are the same data
      flattened, not followed.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      The publication policy says the file is regenerated every 15 days, but the OCP data registry's copy ends in
      July 2021, and since mid-2025 the file has at times not been JSON at all. It has also been published cut
      short: being large, it is read incrementally, so the releases before the cut are kept and the cut is noted
      (``invalid_json``). The server is slow (the download can take half an hour): it is given an hour. In 2021
      the releases were for a while wrapped in ``{"main": [...]}`` instead of a package.
    """

    name = "argentina_buenos_aires"

    # PublisherSpider
    country = "AR"
    publisher_name = "Buenos Aires Compras (BAC)"
    data_type = "release_package"
    ocds_version = "1.1"
    level = "city"
    region = "C"
    url = "https://www.buenosairescompras.gob.ar"
    licence = "https://creativecommons.org/licenses/by/2.5/ar/"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-bulbcf-",)
    allowed_domains = ("buenosaires.gob.ar",)  # the dataset is on data.buenosaires.gob.ar, its files on cdn.
    dates_at_load = True
    available = False
    unavailable_since = "2025-11"
    unavailable_reason = (
        "the dataset answers incomplete JSON: kingfisher-collect removed its spider as broken (PR 1201, 2025-11-14)"
    )
    facts_from = (
        "kingfisher-collect:argentina_buenos_aires@2025-11",
        "https://data.buenosaires.gob.ar/dataset/buenos-aires-compras",
    )

    # SimpleSpider
    start_urls = ("https://data.buenosaires.gob.ar/api/3/action/package_show?id=buenos-aires-compras",)

    def parse(self, response: Response) -> Iterator[Any]:
        # The CKAN description is not OCDS: kept in the files store but not loaded; its JSON resources are.
        if response.meta.get("resource"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        links = resource_urls(response, "JSON")
        if not links:
            yield self.note("error", "no_resource", "the dataset lists no JSON resource", url=response.url)
        for link in links:
            # About 300 MB from a slow server: more time than the default 3 minutes.
            yield self.request(link, meta={"resource": True, "download_timeout": BULK_TIMEOUT})


def resource_urls(response: Response, data_format: str) -> list[str]:
    """The URLs of a CKAN dataset's resources in a format (``JSON``, ``ZIP``…)."""
    try:
        resources = orjson.loads(response.body)["result"]["resources"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return []
    return [r["url"] for r in resources if str(r.get("format", "")).upper() == data_format and r.get("url")]
