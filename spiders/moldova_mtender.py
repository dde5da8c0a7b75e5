from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import orjson
from scrapy.http import Response

from crawler.spiders import SimpleSpider

TENDERS = "https://public.mtender.gov.md/tenders/"


class MoldovaMtenderSpider(SimpleSpider):
    """
    Publisher
      Public Procurement Agency of the Republic of Moldova: MTender
    API documentation
      https://public.mtender.gov.md (no published reference; endpoints as kingfisher-collect uses them)
    Shape
      A list of processes by date (``/tenders/?offset=<date-time>`` gives ``{data: [{ocid, date}], offset}``, the
      next page being at the returned ``offset``; past the end the answer is ``{}``); each process
      (``/tenders/{ocid}``) is a record package.
    Spider arguments
      from_date: where the list starts (``offset``); until_date: the list is followed up to this date
    Caveats
      One process spreads over several OCIDs (the plan ``ocds-b3wdp1-MD-…``, then its ``-PN-``, ``-EV-``,
      ``-AC-`` stages), each a record with a ``compiledRelease`` and no releases; they are stored as published.
      The server sometimes answers 200 with an error object (``{"name": "Error", "message": …}``) instead of the
      data: the file is stored and a note says so. The alternative service that merged a process under one OCID
      (``public.eprocurement.systems``) no longer answers (kingfisher-collect issue 1233).
    """

    name = "moldova_mtender"

    # PublisherSpider
    country = "MD"
    publisher_name = "MTender (Public Procurement Agency of Moldova)"
    data_type = "record_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    url = "https://mtender.gov.md"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-b3wdp1-",)
    listings = True  # the list of processes; each process's record package is OCDS
    facts_from = ("kingfisher-collect:moldova_multi_record@2026-07",)

    # SimpleSpider
    start_urls = (TENDERS,)

    def start_requests_urls(self) -> list[str]:
        if self.from_date:
            return [f"{TENDERS}?offset={self.from_date.isoformat()}T00:00:00Z"]
        return [TENDERS]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        page = yield from self.listing_json(response, code="list_unreadable", what="the list of processes", kind=dict)
        if page is None:
            return
        if is_error(page):
            message = "the list answered an error object"
            yield self.note("error", "publisher_error", message, url=response.url, error=page)
            return
        yield from self.follow_list(response, page)

    def follow_list(self, response: Response, page: dict[str, Any]) -> Iterator[Any]:
        """Request each listed process up to ``until_date``, then the next page unless the list went past it."""
        beyond = False
        for item in page.get("data") or []:
            if not isinstance(item, dict) or not isinstance(item.get("ocid"), str):
                yield self.note("warning", "listed_without_ocid", "a listed process has no ocid", url=response.url)
                continue
            day = listed_date(item)
            if self.until_date and day and day > self.until_date:
                beyond = True
                continue
            yield self.ocds_request(TENDERS + quote(item["ocid"]))
        offset = page.get("offset")
        if not offset or beyond:
            return
        following = f"{TENDERS}?offset={quote(str(offset))}"
        if following == response.url:
            # The list would answer the same page forever (Scrapy would drop the request silently).
            yield self.note("warning", "looping_next_link", "the list's offset does not move on", url=response.url)
        else:
            yield self.request(following)

    def follow(self, response: Response) -> Iterator[Any]:
        # A process that answers an error object with 200 is stored like any response, and noted: it is not a
        # record package.
        try:
            body = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            return
        if is_error(body):
            yield self.note("error", "publisher_error", "a process answered an error object", url=response.url)


def is_error(value: Any) -> bool:
    return isinstance(value, dict) and value.get("name") == "Error" and "message" in value


def listed_date(item: dict[str, Any]) -> date | None:
    """The day of a listed process's date (``2019-03-01T10:00:00Z``), or None (then it is requested whatever the
    dates)."""
    text = item.get("date")
    try:
        return date.fromisoformat(text[:10]) if isinstance(text, str) else None
    except ValueError:
        return None
