from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import SimpleSpider


class MexicoAguascalientesPlataformaDigitalEstatalSpider(SimpleSpider):
    """
    Publisher
      Secretaría Ejecutiva del Sistema Estatal Anticorrupción de Aguascalientes: Plataforma Digital Estatal
    Bulk download documentation
      https://plataformadigitalestatal.org/Publica/contratacionesPublicas/index.html
    Shape
      An HTML page whose only absolute link (the others are anchors in the page, such as ``#contrataciones``) is
      the whole publication: a file on Google Drive holding a JSON array of release packages.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (one file)
    """

    name = "mexico_aguascalientes_plataforma_digital_estatal"

    # PublisherSpider
    country = "MX"
    publisher_name = "Plataforma Digital Estatal de Aguascalientes"
    data_type = "release_package_list"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    level = "regional"
    region = "AGU"
    url = "https://plataformadigitalestatal.org"
    update_frequency = "irregular"
    dates_at_load = True
    listings = True  # the page that links the file is HTML
    allowed_domains = ("plataformadigitalestatal.org", "drive.google.com", "drive.usercontent.google.com")
    facts_from = (
        "kingfisher-collect:mexico_aguascalientes_plataforma_digital_estatal@2026-07",
        "https://plataformadigitalestatal.org/Publica/contratacionesPublicas/index.html",
    )

    # SimpleSpider
    start_urls = ("https://plataformadigitalestatal.org/Publica/contratacionesPublicas/index.html",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        links = [href for href in response.xpath("//a/@href").getall() if href.startswith(("http://", "https://"))]
        if not links:
            message = "the page links no file (no absolute link)"
            yield self.note("error", "publication_link_missing", message, url=response.url)
        for link in links:
            yield self.ocds_request(link)
