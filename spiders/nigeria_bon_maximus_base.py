"""Bon Maximus's e-procurement portals of Nigerian states: a table of awarded contracts, one JSON file per OCID."""

from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.settings import RETRY_HTTP_CODES
from crawler.spiders import SimpleSpider

BON_MAXIMUS_FACTS = ("kingfisher-collect:nigeria_bon_maximus_base@2026-07",)


class NigeriaBonMaximusBase(SimpleSpider):
    """
    A state's portal. Each spider declares its ``portal_url`` (ending with ``/``) and its metadata.

    ``{portal_url}awarded_contracts.php`` is an HTML table (``contractTable``) whose rows link, in their second
    cell, ``existing_award_details.php?id={ocid}``; each OCID's release package is ``{portal_url}media/{ocid}.json``,
    the slashes in the OCID replaced by underscores. The portal answers 403 at times: 403 is retried.
    """

    abstract = True
    portal_url: ClassVar[str]

    # PublisherSpider
    country = "NG"
    data_type = "release_package"
    ocds_version = "1.1"
    level = "regional"
    update_frequency = "irregular"
    dates_at_load = True
    listings = True  # the table is HTML; each OCID's file is OCDS
    custom_settings: ClassVar[dict[str, Any]] = {"RETRY_HTTP_CODES": [*RETRY_HTTP_CODES, 403]}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if isinstance(cls.__dict__.get("portal_url"), str):
            cls.start_urls = (f"{cls.portal_url}awarded_contracts.php",)
        super().__init_subclass__(**kwargs)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        links = response.xpath('//table[@id="contractTable"]/tbody/tr/td[2]/a/@href').getall()
        if not links:
            message = "the table of awarded contracts lists no contract (no links in table contractTable)"
            yield self.note("warning", "contract_table_empty", message, url=response.url)
        for link in links:
            ocid = parse_qs(urlsplit(link).query).get("id", [""])[0]
            if not ocid:
                yield self.note("warning", "contract_link_unreadable", "a link names no OCID", link=link)
                continue
            yield self.ocds_request(f"{self.portal_url}media/{ocid.replace('/', '_')}.json")
