from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from crawler.spiders import SimpleSpider

LIST = "https://gpip.aac.moj.gov.tw/cht/index.php?code=list&ids=6&page={page}"


class TaiwanAacSpider(SimpleSpider):
    """
    Publisher
      Agency Against Corruption, Ministry of Justice (AAC): Government Procurement Integrity Platform
    Bulk download documentation
      https://gpip.aac.moj.gov.tw/cht/index.php?code=list&ids=6&page=1
    Shape
      An HTML listing, page by page (``page``), mixing guidance documents and release packages (the links whose
      title has "OCDS"); the pages end with one that lists nothing.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Release dates are dates only; ``tag`` is a string; the publisher is given as a plain string.
    """

    name = "taiwan_aac"

    # PublisherSpider
    country = "TW"
    publisher_name = "Agency Against Corruption, Ministry of Justice"
    data_type = "release_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    unchecked = ("ocid_prefixes",)  # not in the reference crawler; not checkable offline
    url = "https://www.aac.moj.gov.tw"
    update_frequency = "monthly"
    dates_at_load = True
    listings = True  # HTML pages linking to the OCDS files
    facts_from = (
        "kingfisher-collect:taiwan_aac@2026-07",
        "https://gpip.aac.moj.gov.tw/cht/index.php?code=list&ids=6&page=1",
    )

    # SimpleSpider
    start_urls = (LIST.format(page=1),)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # Its OCDS links are followed, and the next page as long as this one lists anything.
        for link in response.xpath('//a[contains(@title, "OCDS")]/@href').getall():
            yield self.ocds_request(response.urljoin(link))
        if response.xpath('//div[@class="main"]//li'):
            page = int(parse_qs(urlsplit(response.url).query)["page"][0])
            yield self.request(LIST.format(page=page + 1))
