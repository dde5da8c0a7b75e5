import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import SimpleSpider

PORTAL = "https://ocdsportal.azurewebsites.net"
NUMBER = re.compile(r"\d+")


class NigeriaEkitiSpider(SimpleSpider):
    """
    Publisher
      Ekiti State Bureau of Public Procurement (BPP): Open Contracting Portal
    Bulk download documentation
      https://ocdsportal.azurewebsites.net/Home/Procurements
    Shape
      An HTML table of procurements (``Home/Procurements``, table ``datable_3``: the link in each row's second cell
      ends with the procurement's number); each number's release package is at ``openapi/packagesapi/{number}``.
      The platform is European Dynamics' SaaS portal.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the table has no filter)
    Caveats
      Moved: kingfisher-collect reads it at ``ocds.bpp.ekitistate.gov.ng``; the portal is now on
      ``ocdsportal.azurewebsites.net``. The table is one large page (thousands of rows). Party roles are free text
      ("Procuring entity", "Supplier", sometimes twice); ``license`` and ``publicationPolicy`` are the Bureau's home
      page; OCIDs hold slashes (the tender's reference).
    """

    name = "nigeria_ekiti"

    # PublisherSpider
    country = "NG"
    publisher_name = "Ekiti State Bureau of Public Procurement"
    data_type = "release_package"
    ocds_version = "1.1"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    level = "regional"
    region = "EK"
    url = "https://bpp.ekitistate.gov.ng"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-6olpk7-",)
    dates_at_load = True
    listings = True  # the table of procurements is HTML; each procurement's package is OCDS
    facts_from = ("https://ocdsportal.azurewebsites.net/Home/Procurements",)

    # SimpleSpider
    start_urls = (f"{PORTAL}/Home/Procurements/",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        links = response.xpath('//table[@id="datable_3"]/tbody/tr/td[2]/span/a/@href').getall()
        if not links:
            message = "the table of procurements lists no procurement (no links in table datable_3)"
            yield self.note("warning", "procurement_table_empty", message, url=response.url)
        for link in links:
            numbers = NUMBER.findall(link)
            if not numbers:
                yield self.note("warning", "procurement_link_unreadable", "a link has no number", link=link)
                continue
            yield self.ocds_request(f"{PORTAL}/openapi/packagesapi/{numbers[-1]}")
