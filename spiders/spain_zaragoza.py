from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider

API = "https://www.zaragoza.es/sede/servicio/contratacion-publica/ocds"
#: Enough rows for every process at once: the list has no paging (``start`` is ignored).
ROWS = 100000
#: ``after`` does not filter by date: any value from this one on makes the list complete (without it, the oldest
#: processes are left out).
AFTER_SWITCH = "2017-01-02T00:00:00Z"


class SpainZaragozaSpider(SimpleSpider):
    """
    Publisher
      Ayuntamiento de Zaragoza
    API documentation
      https://www.zaragoza.es/docs-api_sede/
    Shape
      A list of processes (``/contracting-process.json?rows=N``: a JSON array of ``{ocid, id}``); each process
      (``/contracting-process/{ocid}.json``) is a release package.
    Spider arguments
      until_date: sent as the list's ``before`` (an upper bound on the processes' publication dates); both dates
      are applied to release dates as they are loaded
    Caveats
      ``after`` is not a lower bound but a switch: the list without it leaves out the oldest processes, and any
      value from 2017-01-02 on gives them all, so the spider always sends it. The list has no paging. When nothing
      matches, the list answers the site's envelope instead of an empty array (a note). OCIDs end in
      ``-ContractingProcess``; the supplier's NIF is inside ``parties[].id``.
    """

    name = "spain_zaragoza"

    # PublisherSpider
    country = "ES"
    publisher_name = "Ayuntamiento de Zaragoza"
    data_type = "release_package"
    ocds_version = "1.1"
    level = "city"
    region = "AR"
    url = "https://www.zaragoza.es/sede/portal/contratacion/"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-1xraxc-",)
    dates_at_load = True
    listings = True  # the list of processes; each process's release package is OCDS

    # SimpleSpider
    start_urls = (f"{API}/contracting-process.json",)

    def start_requests_urls(self) -> list[str]:
        parameters: dict[str, Any] = {"rows": ROWS, "after": AFTER_SWITCH}
        if self.until_date:
            parameters["before"] = f"{self.until_date + timedelta(days=1)}T00:00:00Z"
        return [f"{API}/contracting-process.json?{urlencode(parameters)}"]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:
            listed = orjson.loads(response.body)
        except orjson.JSONDecodeError as error:
            yield self.note("error", "list_unreadable", f"the list of processes is not JSON: {error}", url=response.url)
            return
        if not isinstance(listed, list):
            yield self.note("warning", "nothing_listed", "the list answered no processes", url=response.url)
            return
        for item in listed:
            if not isinstance(item, dict) or not isinstance(item.get("ocid"), str):
                yield self.note("warning", "listed_without_ocid", "a listed process has no ocid", url=response.url)
                continue
            yield self.ocds_request(f"{API}/contracting-process/{quote(item['ocid'])}.json")
