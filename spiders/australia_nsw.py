from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider

SITE = "https://www.tenders.nsw.gov.au/"
#: Per search: where each summary gives the UUID of its release package, and that package's URL.
VIEWS = {
    "planning": ("plannedProcurementUUID", SITE + "?event=public.api.planning.view&PlannedProcurementUUID={}"),
    "tender": ("RFTUUID", SITE + "?event=public.api.tender.view&RFTUUID={}"),
    "contract": ("CNUUID", SITE + "?event=public.api.contract.view&CNUUID={}"),
}


class AustraliaNswSpider(SimpleSpider):
    """
    Publisher
      NSW Government: NSW eTendering (Procurement, Department of Customer Service)
    API documentation
      https://www.tenders.nsw.gov.au/?event=public.api.documentation
    Shape
      Three searches (planned procurements, tenders, contract notices), paged with ``links.next`` (``startRow``),
      list summaries; each summary's release package is fetched from its ``view`` URL.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      kingfisher-collect dropped its spider in 2025-11 (the site moved to buy.nsw); the endpoints are kept as
      published. Packages declare ``version`` ``1.0.1`` and a ``null`` extension; 1.0-style organizations.
    """

    name = "australia_nsw"

    # PublisherSpider
    country = "AU"
    publisher_name = "NSW eTendering"
    data_type = "release_package"
    ocds_version = "1.0"
    level = "regional"
    region = "NSW"
    url = "https://www.tenders.nsw.gov.au"
    licence = "https://creativecommons.org/licenses/by/3.0/au/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-43qwtd-",)
    dates_at_load = True
    available = False
    unavailable_since = "2025-11"
    unavailable_reason = (
        "the NSW eTendering OCDS API lapsed: kingfisher-collect removed australia_new_south_wales (PR 1201, 2025-11-14)"
    )
    facts_from = (
        "kingfisher-collect:australia_new_south_wales@2025-11",
        "https://www.tenders.nsw.gov.au/?event=public.api.documentation",
    )

    # SimpleSpider
    start_urls = tuple(f"{SITE}?event=public.api.{kind}.search&ResultsPerPage=1000" for kind in VIEWS)

    def parse(self, response: Response) -> Iterator[Any]:
        # The searches list summaries, not the releases: kept in the files store but not loaded; each summary's
        # release package is fetched from its view, and the search's next page from its links.next.
        if response.meta.get("view"):
            yield from super().parse(response)
            return
        self.files.write(response.url, response.body)
        kind = parse_qs(urlsplit(response.url).query)["event"][0].split(".")[2]
        field, view = VIEWS[kind]
        data = orjson.loads(response.body)
        for summary in data.get("releases", []):
            parts = summary.get("awards", []) if kind == "contract" else [summary.get("tender", {})]
            for uuid in {part[field] for part in parts if part.get(field)}:
                yield self.request(view.format(uuid), meta={"view": True})
        link = (data.get("links") or {}).get("next")
        if link:
            yield self.request(response.urljoin(link))
