from datetime import date

from crawler.spiders import SearchSpider

API = "https://datosabiertos.dgcp.gob.do/api-dgcp/v1/ocds/releases"
FIRST_DAY = date(2015, 1, 1)  # the API's data start in 2015


class DominicanRepublicDgcpApiSpider(SearchSpider):
    """
    Publisher
      Dirección General de Contrataciones Públicas (DGCP)
    API documentation
      https://datosabiertos.dgcp.gob.do/api-dgcp/docs/index.html
    Shape
      A search of releases between two dates (``/releases/all?limit=1000&start_date=…&end_date=…``), paged
      (``page``, from 1; the first page gives the number of pages at ``pages``), lists OCIDs
      (``payload.content[].ocid``); each OCID's releases are a release package (``/releases?ocid=…``).
    Spider arguments
      from_date, until_date: the search's dates (from 2015-01-01 to today by default)
    Caveats
      The old API (``api.dgcp.gob.do``) was discontinued in 2025-08. The terms of use allow 60 requests a minute
      from one address, answered one at a time: one request at a time, one a second. A page past the end has
      ``content`` null.
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
    delay = 1.0  # 60 requests a minute
    dates_at_load = False  # the search is the publisher's own filter
    facts_from = (
        "kingfisher-collect:dominican_republic_api@2026-07",
        "https://datosabiertos.dgcp.gob.do/api-dgcp/docs/index.html",
        "https://datosabiertos.dgcp.gob.do/content/Terminos%20y%20condiciones%20API-DGCP.pdf",
    )

    # SearchSpider
    search_items = ("payload", "content")
    item_url = f"{API}?ocid={{ocid}}"
    total_pointer = "/pages"
    page_param = "page"

    def start_requests_urls(self) -> list[str]:
        # One search over the crawl's whole range, as the API takes any range and pages it.
        first, last = self.from_date or FIRST_DAY, self.until_date or date.today()
        return [f"{API}/all?limit=1000&start_date={first}&end_date={last}"]
