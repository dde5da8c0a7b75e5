from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import Response

from crawler.spiders import PagedSpider

API = "https://tenders.go.ke/api/ocds"


class KenyaPpipSpider(PagedSpider):
    """
    Publisher
      Public Procurement Regulatory Authority (PPRA): Public Procurement Information Portal (PPIP)
    Bulk download documentation
      https://tenders.go.ke/ocds
    Shape
      An index of tenders, paged as Laravel pages them (``data``, ``current_page``, ``next_page_url``, which is
      null on the last page); each tender's ``id`` gives its release package
      (``tenders?download=true&ocds_id={id}``).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the index has no date filter)
    Caveats
      The index pages are small (``perpage=10``, as kingfisher-collect requests them): a full crawl makes one
      index request per ten tenders, plus one per tender. ``tender.tenderPeriod.startDate`` is the export's time,
      not the tender's; suppliers' identifiers use the scheme "Bidders". The same API serves a fiscal year's
      releases whole (``tenders?fy=YYYY-YYYY``): ``kenya_ppip_bulk``.
    """

    name = "kenya_ppip"

    # PublisherSpider
    country = "KE"
    publisher_name = "Public Procurement Regulatory Authority: PPIP"
    data_type = "release_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    url = "https://tenders.go.ke"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-5whusi-",)
    listings = True  # the index pages list tenders
    facts_from = (
        "kingfisher-collect:kenya_ppra@2026-07",
        "https://tenders.go.ke/ocds",
    )

    # PagedSpider
    start_url = f"{API}/index?search=&perpage=10&sortby=&order=asc&page=1"
    next_pointer = "/next_page_url"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # The index pages list tenders: each tender's release package is loaded; the next index page is followed
        # (PagedSpider, with its notes on bad links).
        tenders = yield from self.listing_json(
            response, "data", code="index_page_unreadable", what="the index page", kind=list
        )
        if tenders is None:
            return
        for tender in tenders:
            if not isinstance(tender, dict) or tender.get("id") in (None, ""):
                yield self.note("warning", "tender_without_id", "a tender of the index has no id", url=response.url)
                continue
            yield self.ocds_request(f"{API}/tenders?download=true&ocds_id={quote(str(tender['id']), safe='')}")
        yield from super().follow(response)

    def follow(self, response: Response) -> Iterator[Any]:
        # A tender's release package has no next link: only the index pages are paged (see parse_listing).
        return iter(())
