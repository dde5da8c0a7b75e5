from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import ArchiveSpider


class CostaRicaPoderJudicialReleasesSpider(ArchiveSpider):
    """
    Publisher
      Poder Judicial de Costa Rica
    Bulk download documentation
      https://ckanpj.azurewebsites.net/dataset/estandar-de-datos-de-contrataciones-abiertas-ocds
    Shape
      A CKAN dataset (``package_show``) whose ZIP resource (``ocds-fnha3a-FULL.zip`` on Azure blob storage) holds
      release packages and record packages side by side; the release packages are the members whose names have a
      ``-`` (``member_pattern``), the record packages (the same processes) are left out.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Moved: the dataset was on ``datosabiertospj.eastus.cloudapp.azure.com``; it is now on
      ``ckanpj.azurewebsites.net``. Some members have been published as invalid JSON: each is noted and the others
      are loaded.
    """

    name = "costa_rica_poder_judicial_releases"

    # PublisherSpider
    country = "CR"
    publisher_name = "Poder Judicial de Costa Rica"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.poder-judicial.go.cr"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-fnha3a-",)
    # the dataset is on the CKAN site, its files on the judiciary's blob storage
    allowed_domains = ("ckanpj.azurewebsites.net", "pjcrdatosabiertos.blob.core.windows.net")
    dates_at_load = True
    listings = True  # the CKAN description; its ZIP resources are OCDS
    available = False
    unavailable_since = "2026-05"
    unavailable_reason = (
        "ckanpj.azurewebsites.net answers HTTP 503, the whole site down, since 2026-05 (kingfisher-collect issue "
        "1304, 2026-07-23)"
    )
    facts_from = (
        "kingfisher-collect:costa_rica_poder_judicial_releases@2026-07",
        "https://ckanpj.azurewebsites.net/dataset/estandar-de-datos-de-contrataciones-abiertas-ocds",
    )

    # ArchiveSpider
    start_urls = (
        "https://ckanpj.azurewebsites.net/api/3/action/package_show?id=estandar-de-datos-de-contrataciones-abiertas-ocds",
    )
    member_pattern = "*-*"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        resources = yield from self.listing_json(
            response, "result", "resources", code="dataset_unreadable", what="the dataset", kind=list
        )
        if resources is None:
            return
        links = [r["url"] for r in resources if str(r.get("format", "")).upper() == "ZIP" and r.get("url")]
        if not links:
            yield self.note("error", "no_resource", "the dataset lists no ZIP resource", url=response.url)
        for link in links:
            # The whole publication in one archive: more time than the default 3 minutes.
            yield self.ocds_request(link, meta={"download_timeout": 3600})
