from crawler.spiders import PagedSpider


class TanzaniaNestRecordsSpider(PagedSpider):
    """
    Publisher
      Public Procurement Regulatory Authority (PPRA): National e-Procurement System of Tanzania (NeST) Data Portal
    API documentation
      https://data.nest.go.tz/ocds
    Shape
      Record packages, page by page (``/api/records``): each page's ``links.next`` (with ``cursor`` and ``since``)
      is the next one; the last page has none, and its ``links`` may lack these parameters.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the API's own parameters only page)
    Caveats
      The same processes as ``tanzania_nest`` (releases), as records: each with its releases and the publisher's
      ``compiledRelease``.
    """

    name = "tanzania_nest_records"

    # PublisherSpider
    country = "TZ"
    publisher_name = "Public Procurement Regulatory Authority: NeST"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://nest.go.tz"
    licence = "https://creativecommons.org/licenses/by-sa/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-mv5oob-",)
    facts_from = ("kingfisher-collect:tanzania_api_records@2026-07", "https://data.nest.go.tz/ocds")

    # PagedSpider
    start_url = "https://nest.go.tz/gateway/nest-data-portal-api/api/records"
