from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import SimpleSpider

DATASET = "https://www.data.gouv.fr/api/1/datasets/donnees-essentielles-de-la-commande-publique-fichiers-consolides/"


class FranceDecpSpider(SimpleSpider):
    """
    Publisher
      Ministère de l'Économie, des Finances et de l'Industrie: données essentielles de la commande publique (DECP)
    API documentation
      https://doc.data.gouv.fr/api/reference/ (dataset:
      https://www.data.gouv.fr/fr/datasets/donnees-essentielles-de-la-commande-publique-fichiers-consolides/)
    Shape
      The data.gouv.fr dataset (``/api/1/datasets/{slug}/``) lists its resources; those whose description mentions
      OCDS are the consolidated DECP converted to OCDS, one large release package each (the other resources are
      the DECP in their own JSON and XML formats, not fetched).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Converted from the DECP by the publisher: the OCID is the prefix and the DECP ``uid`` (buyer's SIRET and the
      contract's id) without its two-digit modification number, which becomes the release id's suffix
      (``ocds-78apv2-…-01``); each release has one award and one item; tags are ``award``, ``contractAmendment``
      and ``awardUpdate``. The resource URLs (``/fr/datasets/r/{id}``) redirect to ``static.data.gouv.fr``.
    """

    name = "france_decp"

    # PublisherSpider
    country = "FR"
    publisher_name = "Ministère de l'Économie, des Finances et de l'Industrie (DECP)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.data.gouv.fr/fr/datasets/donnees-essentielles-de-la-commande-publique-fichiers-consolides/"
    licence = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-78apv2-",)
    allowed_domains = ("data.gouv.fr",)
    dates_at_load = True
    listings = True  # the dataset's description; its OCDS resources are loaded
    facts_from = (
        "kingfisher-collect:france@2026-07",
        "https://doc.data.gouv.fr/api/reference/",
    )

    # SimpleSpider
    start_urls = (DATASET,)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        resources = yield from self.listing_json(
            response, "resources", code="dataset_unreadable", what="the dataset", kind=list
        )
        if resources is None:
            return
        found = [r["url"] for r in resources if is_ocds(r) and r.get("url")]
        if not found:
            yield self.note("error", "no_ocds_resource", "the dataset lists no OCDS resource", url=response.url)
        for url in found:
            yield self.ocds_request(url)


def is_ocds(resource: dict[str, Any]) -> bool:
    return "ocds" in (resource.get("description") or "").lower()
