from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import orjson
from scrapy.http import Response

from crawler.items import FailedRequest
from crawler.spiders import CkanSpider

#: How many times a cut file is fetched again.
CUT_RETRIES = 2


class CanadaQuebecSeaoSpider(CkanSpider):
    """
    Publisher
      Secrétariat du Conseil du trésor du Québec: Système électronique d'appel d'offres (SEAO)
    Bulk download documentation
      https://www.donneesquebec.ca/recherche/dataset/systeme-electronique-dappel-doffres-seao
    Shape
      A CKAN dataset on Données Québec whose JSON resources are release packages, one a week
      (``hebdo_YYYYMMDD_YYYYMMDD.json``) or a month (``mensuel_YYYYMMDD_YYYYMMDD.json``), named by the first and last
      days they cover.
    Spider arguments
      from_date, until_date: the files whose days meet them (by their names); without them, every file since
      2021-03
    Caveats
      Some files arrive cut short (not JSON): they are fetched again, up to twice, before failing. The same file
      name can appear under two resources with different releases: both are fetched.
    """

    name = "canada_quebec_seao"

    # PublisherSpider
    country = "CA"
    publisher_name = "Secrétariat du Conseil du trésor du Québec (SEAO)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("ocid_prefixes",)  # not in the reference crawler; not checkable offline
    level = "regional"
    region = "QC"
    url = "https://www.seao.gouv.qc.ca"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "weekly"
    facts_from = (
        "kingfisher-collect:canada_quebec@2026-07",
        "https://www.donneesquebec.ca/recherche/dataset/systeme-electronique-dappel-doffres-seao",
    )
    allowed_domains = ("donneesquebec.ca",)

    # CkanSpider
    ckan_url = "https://www.donneesquebec.ca"
    ckan_dataset = "d23b2e02-085d-43e5-9e6e-e1d558ebfdd5"

    def resource_period(self, resource: dict[str, Any]) -> tuple[date, date] | None:
        # The file's name ends with the first and last days it covers: hebdo_20210401_20210411.json.
        parts = str(resource.get("url", "")).rsplit("/", 1)[-1].removesuffix(".json").split("_")
        try:
            return datetime.strptime(parts[-2], "%Y%m%d").date(), datetime.strptime(parts[-1], "%Y%m%d").date()
        except (IndexError, ValueError):
            return None

    def parse(self, response: Response) -> Iterator[Any]:
        # A file cut short is fetched again rather than stored (kingfisher-collect issue 1250).
        if response.meta.get("ocds_data") and not _is_json(response.body):
            tries = response.meta.get("cut_retries", 0)
            if tries < CUT_RETRIES:
                meta = {**response.meta, "cut_retries": tries + 1}
                yield self.ocds_request(response.url, meta=meta, dont_filter=True)
                return
            yield FailedRequest(response.url, response.status, f"cut short {tries + 1} times (not JSON)")
            return
        yield from super().parse(response)


def _is_json(body: bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True
