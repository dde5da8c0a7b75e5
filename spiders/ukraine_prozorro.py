from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.spiders import PagedSpider

TENDER = "https://public-api.prozorro.gov.ua/api/2.5/tenders/{id}?opt_schema=ocds"


class UkraineProzorroSpider(PagedSpider):
    """
    Publisher
      State Enterprise Prozorro (Ministry of Economy of Ukraine)
    API documentation
      https://prozorro-api-docs.readthedocs.io/uk/latest/
    Shape
      A feed of tenders by modification time (``{data: [{id, dateModified}], next_page: {uri}}``); each tender in
      OCDS (``/tenders/{id}?opt_schema=ocds``) is a release package.
    Spider arguments
      from_date: where the feed starts (``offset``); until_date: applied to release dates as they are loaded
    Caveats
      Without a browser's User-Agent the API answers 412. The feed ends with a page whose ``data`` is empty (its
      ``next_page`` points on regardless). Tags include the non-standard ``bid``.
    """

    name = "ukraine_prozorro"

    # PublisherSpider
    country = "UA"
    publisher_name = "SE Prozorro"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://prozorro.gov.ua"
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-be6bcu-",)
    browser_user_agent = True
    facts_from = (
        "kingfisher-collect:ukraine@2026-07",
        "https://prozorro-api-docs.readthedocs.io/uk/latest/",
    )

    # PagedSpider
    start_url = "https://public-api.prozorro.gov.ua/api/2.5/tenders"
    next_pointer = "/next_page/uri"
    from_date_param = "offset"

    def parse(self, response: Response) -> Iterator[Any]:
        # The feed lists tender ids, it is not OCDS: kept in the files store but not loaded; each tender is fetched
        # in OCDS, and the next page as long as this one lists any.
        if response.meta.get("tender"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        tenders = orjson.loads(response.body).get("data") or []
        for tender in tenders:
            yield self.request(TENDER.format(id=tender["id"]), meta={"tender": True})
        if tenders:
            yield from self.follow(response)
