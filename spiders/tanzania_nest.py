from crawler.spiders import PagedSpider


class TanzaniaNestSpider(PagedSpider):
    """
    Publisher
      Public Procurement Regulatory Authority (PPRA): National e-Procurement System of Tanzania (NeST) Data Portal
    API documentation
      https://data.nest.go.tz/ocds
    Shape
      Release packages, page by page: each page's ``links.next`` (with ``cursor`` and ``since``) is the next one;
      the last page has none.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the API's own parameters only page)
    Caveats
      NeST replaced TANEPS (European Dynamics) in July 2023; releases date from 2022. The API also serves records
      (``/api/records``), not crawled here.
    """

    name = "tanzania_nest"

    # PublisherSpider
    country = "TZ"
    publisher_name = "Public Procurement Regulatory Authority: NeST"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://nest.go.tz"
    licence = "https://creativecommons.org/licenses/by-sa/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-mv5oob-",)
    facts_from = (
        "kingfisher-collect:tanzania_api_releases@2026-07",
        "https://data.nest.go.tz/ocds",
    )

    # PagedSpider
    start_url = "https://nest.go.tz/gateway/nest-data-portal-api/api/releases"
