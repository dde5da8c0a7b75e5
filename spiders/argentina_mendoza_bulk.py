from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.spiders import SimpleSpider


class ArgentinaMendozaBulkSpider(SimpleSpider):
    """
    Publisher
      Gobierno de la Provincia de Mendoza: Dirección General de Contrataciones Públicas
    Bulk download documentation
      https://datosabiertos-compras.mendoza.gov.ar/datasets/
    Shape
      An HTML page listing the datasets: each link (``div > a``) to a ``.json`` file is a release package; the other
      links (CSV, XLSX, pages) are not followed.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the files are not dated)
    Caveats
      Every file is fetched whatever the dates: the page does not say what period a file covers.
    """

    name = "argentina_mendoza_bulk"

    # PublisherSpider
    country = "AR"
    publisher_name = "Gobierno de la Provincia de Mendoza"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    level = "regional"
    region = "M"
    url = "https://datosabiertos-compras.mendoza.gov.ar"
    update_frequency = "irregular"
    dates_at_load = True
    listings = True  # the datasets' HTML page
    facts_from = (
        "kingfisher-collect:argentina_mendoza_province_bulk@2026-07",
        "https://datosabiertos-compras.mendoza.gov.ar/datasets/",
    )

    # SimpleSpider
    start_urls = ("https://datosabiertos-compras.mendoza.gov.ar/datasets/",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse) or not response.xpath("//a"):
            yield self.note("error", "datasets_page_unreadable", "the datasets' page lists no link", url=response.url)
            return
        for link in response.xpath("//div/a/@href").getall():
            if link.strip().lower().endswith(".json"):
                yield self.ocds_request(response.urljoin(link.strip()))
