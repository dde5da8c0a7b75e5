from collections.abc import Iterator
from typing import Any

import orjson
from scrapy.http import Response

from crawler.items import FailedRequest
from crawler.spiders import PagedSpider, PeriodicSpider
from crawler.spiders.declarations import OCDS_DATA

RELEASE = "https://api.dgcp.gob.do/api/release/{ocid}"
NO_RESULTS = {"msg": "No hay resultados."}


class DominicanRepublicDgcpApiSpider(PeriodicSpider, PagedSpider):
    """
    Publisher
      Dirección General de Contrataciones Públicas (DGCP)
    API documentation
      https://api.dgcp.gob.do/api/docs
    Shape
      A list of OCIDs by date window (``/api/date/{from}/{until}/{page}``, ``PeriodicSpider``): ``data`` holds
      ``{ocid}`` objects, ``pagination.next`` the next page (``PagedSpider``). Each OCID's releases are a release
      package at ``/api/release/{ocid}``.
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      A window without any process answers 404 with ``{"msg": "No hay resultados."}`` instead of an empty list:
      that is the end of the window, not a failure. The API fails under load: one request at a time.
    """

    name = "dominican_republic_dgcp_api"

    # PublisherSpider
    country = "DO"
    publisher_name = "Dirección General de Contrataciones Públicas (DGCP)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.dgcp.gob.do"
    licence = "https://opendatacommons.org/licenses/odbl/1-0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-6550wx-",)
    concurrency = 1
    dates_at_load = False  # the windows are the publisher's own filter
    listings = True  # the windows' lists of OCIDs; each OCID's release package is OCDS

    # PeriodicSpider
    url_template = "https://api.dgcp.gob.do/api/date/{start}/{end}/1"
    period = "month"
    default_from_date = "2018-01-01"

    # PagedSpider
    next_pointer = "/pagination/next"

    def request(self, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("meta", {}).setdefault("handle_httpstatus_list", [404])
        return super().request(url, **kwargs)

    def parse(self, response: Response) -> Iterator[Any]:
        if response.status == 404 and response.meta.get(OCDS_DATA):
            yield not_found(response)
            return
        yield from super().parse(response)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # Each OCID's release package is loaded, and the list's next page followed.
        if response.status == 404:
            yield from self.empty_window(response)
            return
        try:
            entries = orjson.loads(response.body).get("data") or []
        except (orjson.JSONDecodeError, AttributeError) as error:
            yield self.note("error", "list_unreadable", f"the list is not a JSON object: {error}", url=response.url)
            return
        ocids = [entry.get("ocid") for entry in entries if isinstance(entry, dict)]
        if len([o for o in ocids if o]) < len(entries):
            yield self.note("warning", "list_entry_without_ocid", "entries without an OCID skipped", url=response.url)
        for ocid in filter(None, ocids):
            yield self.ocds_request(RELEASE.format(ocid=ocid))
        yield from self.follow(response)

    def empty_window(self, response: Response) -> Iterator[Any]:
        try:
            body = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            body = None
        if body == NO_RESULTS:
            message = "no process in this window (404 'No hay resultados.')"
            yield self.note("info", "window_empty", message, url=response.url)
        else:
            yield not_found(response)


def not_found(response: Response) -> FailedRequest:
    """A 404 that is not the API's way of saying a window is empty: a failed request like any other."""
    return FailedRequest(response.url, response.status, "HTTP 404: not found")
