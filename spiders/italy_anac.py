import re
from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.spiders import SimpleSpider

SEARCH = "https://dati.anticorruzione.it/opendata/api/3/action/package_search?q=ocds&rows={rows}&start={start}"
ROWS = 100
#: The month a bulk file covers, from its URL (``…/filesystem/bulk/2022/01.json``).
MONTH = re.compile(r"/(\d{4})/(\d{2})\.json$")


class ItalyAnacSpider(SimpleSpider):
    """
    Publisher
      Autorità Nazionale Anticorruzione (ANAC): Banca Dati Nazionale dei Contratti Pubblici
    Bulk download documentation
      https://dati.anticorruzione.it/opendata/organization/anticorruzione (CKAN API:
      https://dati.anticorruzione.it/opendata/about)
    Shape
      The CKAN search for ``ocds`` (``package_search``, paged by ``start``/``rows``) lists the datasets, one a year
      (``ocds-appalti-ordinari-2022``…); each JSON resource is one month's release package
      (``…/filesystem/bulk/2022/01.json``), tens of megabytes.
    Spider arguments
      from_date, until_date: the months fetched (the month in each resource's URL); applied to release dates too
    Caveats
      Without a browser's User-Agent the portal answers "Request Rejected" in HTML. Some releases have no
      ``ocid``: their ``id`` carries it (``ocds-hu01ve-7608611-01``), so they get its first three dash-separated
      parts (``ocds-hu01ve-7608611``), with an info note ``ocid_from_id``. One compiled release per process, no
      change history.
    """

    name = "italy_anac"

    # PublisherSpider
    country = "IT"
    publisher_name = "Autorità Nazionale Anticorruzione (ANAC)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://dati.anticorruzione.it/opendata"
    licence = "https://creativecommons.org/licenses/by-sa/4.0/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-hu01ve-",)
    dates_at_load = True
    ocid_from_id = True  # some releases lack an ocid that their id carries
    listings = True  # the CKAN search pages; the monthly bulk files they name are OCDS
    browser_user_agent = True
    custom_settings: ClassVar[dict[str, Any]] = {
        "DOWNLOAD_TIMEOUT": 3600,
    }
    facts_from = (
        "kingfisher-collect:italy_anac@2026-07",
        "https://dati.anticorruzione.it/opendata/organization/anticorruzione",
    )

    # SimpleSpider
    start_urls = (SEARCH.format(rows=ROWS, start=0),)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        code, what = "catalogue_unreadable", "the CKAN search"
        result = yield from self.listing_json(response, "result", code=code, what=what, kind=dict)
        if result is None:
            return
        datasets = result.get("results")
        if not isinstance(datasets, list):
            yield self.unreadable_listing(response, code, what, "result/results is not an array")
            return
        for dataset in datasets:
            yield from self.resource_requests(dataset)
        start = response.meta.get("start", 0) + len(datasets)
        if datasets and start < result.get("count", 0):
            yield self.request(SEARCH.format(rows=ROWS, start=start), meta={"start": start})

    def resource_requests(self, dataset: dict[str, Any]) -> Iterator[Any]:
        for resource in dataset.get("resources") or []:
            if str(resource.get("format", "")).upper() != "JSON" or not resource.get("url"):
                continue
            month = resource_month(resource["url"])
            if month and not self.wants_month(month.year, month.month):
                continue
            yield self.ocds_request(resource["url"])


def resource_month(url: str) -> date | None:
    """The first day of the month a bulk file covers, or None when its URL does not say (it is then fetched)."""
    found = MONTH.search(url)
    if not found or not 1 <= int(found[2]) <= 12:
        return None
    return date(int(found[1]), int(found[2]), 1)
