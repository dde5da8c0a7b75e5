from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote

from scrapy.http import Response

from crawler.spiders import SimpleSpider

PORTAL = "https://data.egov.bg"


class BulgariaPpaSpider(SimpleSpider):
    """
    Publisher
      Агенция по обществени поръчки (Public Procurement Agency, PPA), on the Open Data Portal data.egov.bg
    API documentation
      https://data.egov.bg/api-spetsifikatsiya?section=22&item=82
    Shape
      A search of the portal's datasets (POST ``api/listDatasets``: the PPA's organization, 502, JSON, keyword
      OCDS) lists each dataset's ``uri``; ``dataset/{uri}/resources/download/json`` answers a download token
      (``{"uri": …}``); ``dataset/resources/download/zip/json/{token}/false`` is the zip of the dataset's release
      packages.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the datasets have no date filter)
    Caveats
      Geo-restricted: data.egov.bg answers only Bulgarian IP addresses (run the crawl from Bulgaria, or through a
      Bulgarian VPN). Elsewhere it refuses (403): the crawl fails at once with the note ``publisher_refused``
      saying so. The token is good for one download; ``…/true`` instead of ``…/false`` gives data that is not OCDS,
      and no flag gives 404.
    """

    name = "bulgaria_ppa"

    # PublisherSpider
    country = "BG"
    publisher_name = "Public Procurement Agency (PPA)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.aop.bg"
    update_frequency = "monthly"
    dates_at_load = True
    listings = True  # the search and the token are not OCDS; the zips are
    allowed_domains = ("data.egov.bg",)
    refusal_reason = "data.egov.bg answers only Bulgarian IP addresses (geo-restricted): crawl from Bulgaria"
    facts_from = ("kingfisher-collect:bulgaria@2026-07", "https://data.egov.bg/api-spetsifikatsiya?section=22&item=82")

    # SimpleSpider
    start_urls = (f"{PORTAL}/api/listDatasets",)
    start_body: ClassVar[dict[str, Any]] = {
        "criteria": {"org_ids": [502], "formats": ["JSON"], "keywords": "OCDS"},
        "records_per_page": 100,
    }
    token_pointer = "/uri"
    token_url = f"{PORTAL}/dataset/resources/download/zip/json/{{token}}/false"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # The search's datasets, each asked for a download token (SimpleSpider's token step).
        datasets = yield from self.listing_json(
            response, "datasets", code="dataset_list_unreadable", what="the list of datasets", kind=list
        )
        for dataset in datasets or []:
            if not isinstance(dataset, dict) or not dataset.get("uri"):
                yield self.note("warning", "dataset_without_uri", "a listed dataset has no uri", url=response.url)
                continue
            yield self.token_request(f"{PORTAL}/dataset/{quote(str(dataset['uri']), safe='')}/resources/download/json")
