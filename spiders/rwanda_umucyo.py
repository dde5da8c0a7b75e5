from datetime import date

from crawler.spiders import PagedSpider
from crawler.spiders.paged import add_query

#: The first day published; the API requires both dates.
FIRST_DAY = "2016-07-02"


class RwandaUmucyoSpider(PagedSpider):
    """
    Publisher
      Rwanda Public Procurement Authority (RPPA): Umucyo e-procurement system
    API documentation
      https://ocds.umucyo.gov.rw/opendata/api/docs
    Shape
      Release packages of 50 releases, newest first (``releases/all``, ``offset`` and ``limit``), filtered by
      ``date_from`` and ``date_to``; each page's ``links.next`` is the next one, the last page has none.
    Spider arguments
      from_date, until_date: the API's date filter (``date_from``, ``date_to``); without them, 2016-07-02 to today
    Caveats
      The API answers only when both dates are given. Tender and award data for every process, contracts where
      available; processes below 3,000,000 RWF and PPPs are not published (Data Registry). Non-commercial licence.
    """

    name = "rwanda_umucyo"

    # PublisherSpider
    country = "RW"
    publisher_name = "Rwanda Public Procurement Authority (RPPA)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.rppa.gov.rw"
    licence = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-ozzobm-",)
    facts_from = (
        "kingfisher-collect:rwanda_api@2026-07",
        "https://ocds.umucyo.gov.rw/opendata/api/docs",
    )

    # PagedSpider
    start_url = (
        "https://ocds.umucyo.gov.rw/opendata/api/v1/releases/all?sort_field=date&sort_direction=desc&offset=0&limit=50"
    )
    from_date_param = "date_from"
    until_date_param = "date_to"

    def start_requests_urls(self) -> list[str]:
        # Both dates always: the API refuses a request without them.
        first = self.from_date or date.fromisoformat(FIRST_DAY)
        last = self.until_date or date.today()
        return [add_query(self.start_url, {"date_from": first.isoformat(), "date_to": last.isoformat()})]
