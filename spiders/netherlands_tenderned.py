import re
from collections.abc import Iterator
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.spiders import SimpleSpider

#: The year a file covers, from its name (``…/files/2023-04/2017.json``).
YEAR = re.compile(r"/(\d{4})\.json$")


class NetherlandsTendernedSpider(SimpleSpider):
    """
    Publisher
      TenderNed
    Bulk download documentation
      https://www.tenderned.nl/cms/nl/aanbesteden-in-cijfers/datasets-aanbestedingen
    Shape
      An HTML page whose article lists the datasets; the JSON ones are release packages, one a year from 2016,
      named by their year (``/cms/sites/default/files/2023-04/2017.json``). Large files: a long download timeout.
    Spider arguments
      from_date, until_date: the years fetched (the year in each file's name); applied to release dates too
    Caveats
      The page also links other files, which are not followed. A file's folder is the month it was uploaded
      (``2023-04``): a year's URL changes when its file is refreshed, so the URLs are always read from the page.
    """

    name = "netherlands_tenderned"

    # PublisherSpider
    country = "NL"
    publisher_name = "TenderNed"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.tenderned.nl"
    update_frequency = "monthly"
    dates_at_load = True
    listings = True  # the datasets page; the yearly JSON files it links are OCDS
    facts_from = (
        "kingfisher-collect:netherlands@2026-07",
        "https://www.tenderned.nl/cms/nl/aanbesteden-in-cijfers/datasets-aanbestedingen",
    )
    custom_settings: ClassVar[dict[str, Any]] = {"DOWNLOAD_TIMEOUT": 3600}

    # SimpleSpider
    start_urls = ("https://www.tenderned.nl/cms/nl/aanbesteden-in-cijfers/datasets-aanbestedingen",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        # Only the JSON files among the article's links, and of those only the years asked for.
        for href in response.xpath("//article//li//@href").getall():
            url = response.urljoin(href)
            found = YEAR.search(url)
            if not url.endswith(".json"):
                continue
            if found and not self.wanted(int(found[1])):
                continue
            yield self.ocds_request(url)

    def wanted(self, year: int) -> bool:
        if self.from_date and year < self.from_date.year:
            return False
        return not (self.until_date and year > self.until_date.year)
