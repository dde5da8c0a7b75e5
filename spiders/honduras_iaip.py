from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import SimpleSpider
from crawler.spiders.declarations import choice_argument

PORTALS = ("covid19", "huracanes", "oficio")


class HondurasIaipSpider(SimpleSpider):
    """
    Publisher
      Instituto de Acceso a la Información Pública (IAIP)
    Bulk download documentation
      https://portalunico.iaip.gob.hn/datosabierto/
    Shape
      An index (``/api/v1/iaip_datosabiertos/``) with one array per portal (``covid19``, ``huracanes``, ``oficio``)
      of files, each with its ``json``, ``csv`` and ``excel`` URLs; each ``json`` is a release package. The files of
      compiled releases (``compiled`` in the URL) are not fetched: they repeat the releases.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
      portal: one portal only: ``covid19`` (IAIP Emergencia Covid-19), ``huracanes`` (Emergencia Huracán ETA) or
      ``oficio`` (Portal Único de Transparencia)
    """

    name = "honduras_iaip"

    # PublisherSpider
    country = "HN"
    publisher_name = "Instituto de Acceso a la Información Pública (IAIP)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://portalunico.iaip.gob.hn"
    update_frequency = "irregular"
    dates_at_load = True
    listings = True  # the index of files
    facts_from = ("kingfisher-collect:honduras_iaip@2026-07", "https://portalunico.iaip.gob.hn/datosabierto/")
    allowed_domains = ("contratacionesabiertas.gob.hn", "iaip.gob.hn")

    # SimpleSpider
    start_urls = ("https://www.contratacionesabiertas.gob.hn/api/v1/iaip_datosabiertos/?format=json",)

    def __init__(self, *args: Any, portal: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portal = choice_argument("portal", portal, PORTALS)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        index = yield from self.listing_json(response, code="index_unreadable", what="the IAIP index", kind=dict)
        for portal in PORTALS:
            if index is None or (self.portal and portal != self.portal):
                continue
            for item in index.get(portal) or []:
                url = item.get("json") if isinstance(item, dict) else None
                if isinstance(url, str) and url and "compiled" not in url.lower():
                    yield self.ocds_request(response.urljoin(url))
