from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Response

from crawler.spiders import SimpleSpider

#: The fields of Google Drive's "too large to scan for viruses" form that the download needs.
FORM_FIELDS = ("id", "export", "confirm", "uuid")


class UnitedStatesPortlandSpider(SimpleSpider):
    """
    Publisher
      City of Portland: Procurement Services
    Bulk download documentation
      https://www.portland.gov/business-opportunities/ocds/ocds-data-publication
    Shape
      The city's page links its latest Google Drive folder; the folder's page lists its files (a ``tr`` with
      ``data-id`` each); the JSON one, a record package of every process, is downloaded through
      ``uc?export=download``, which answers Google's "too large to scan for viruses" page, whose form gives the
      download's URL.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Each step is an HTML page that can change: a page without the link, the file or the form is noted as
      unreadable. The folder changes with each publication, so it is always read from the city's page.
    """

    name = "united_states_portland"

    # PublisherSpider
    country = "US"
    publisher_name = "City of Portland"
    data_type = "record_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    level = "city"
    region = "OR"
    url = "https://www.portland.gov/business-opportunities/ocds"
    update_frequency = "irregular"
    allowed_domains = ("www.portland.gov", "drive.google.com", "drive.usercontent.google.com")
    dates_at_load = True
    listings = True  # the city's page, the Drive folder and the virus-scan page; the file is OCDS
    facts_from = (
        "kingfisher-collect:united_states_portland@2026-07",
        "https://www.portland.gov/business-opportunities/ocds/ocds-data-publication",
    )

    # SimpleSpider
    start_urls = ("https://www.portland.gov/business-opportunities/ocds/ocds-data-publication",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        step = response.meta.get("step", "page")
        if step == "page":
            folder = response.xpath('//a[contains(@href, "drive.google.com")]/@href').get()
            if folder:
                yield self.request(response.urljoin(folder), meta={"step": "folder"})
            else:
                yield self.unreadable_listing(response, "listing_unreadable", "the city's page", "no Drive link")
        elif step == "folder":
            ids = [row.attrib["data-id"] for row in response.xpath("//tr[@data-id]") if "json" in row.get()]
            for file_id in ids:
                url = f"https://drive.google.com/uc?export=download&id={file_id}"
                yield self.request(url, meta={"step": "download"})
            if not ids:
                yield self.unreadable_listing(response, "listing_unreadable", "the Drive folder", "no JSON file")
        else:
            yield from self.confirm_download(response)

    def confirm_download(self, response: Response) -> Iterator[Any]:
        # Google asks to confirm the download of a file it cannot scan; the form's fields make the file's URL.
        form = response.xpath('//form[@id="download-form"]')
        action = form.xpath("@action").get()
        if not action:
            yield self.unreadable_listing(response, "listing_unreadable", "Google's download page", "no form")
            return
        fields = {key: form.xpath(f".//input[@name='{key}']/@value").get() or "" for key in FORM_FIELDS}
        yield self.ocds_request(f"{response.urljoin(action)}?{urlencode(fields)}")
