from crawler.spiders import PagedSpider, PeriodicSpider


class UkContractsFinderReleasesSpider(PeriodicSpider, PagedSpider):
    """
    Publisher
      Crown Commercial Service: Contracts Finder
    API documentation
      https://www.contractsfinder.service.gov.uk/apidocumentation/home
    Shape
      A search by 15-day windows of publication dates (``PeriodicSpider``); each window is paged, release packages
      of 100 releases with ``links.next`` (``cursor``) (``PagedSpider``).
    Spider arguments
      from_date, until_date: the windows' bounds (from 2014-01-01, the first notices, by default)
    Caveats
      Bodies are ISO-8859-1. HTTP 403 is the rate limit: one request at a time, slowly. 1.0-style organizations
      (no ``parties``), an empty buyer identifier, and a ``publisher`` per buyer.
    """

    name = "uk_contracts_finder_releases"

    # PublisherSpider
    country = "GB"
    publisher_name = "Crown Commercial Service: Contracts Finder"
    data_type = "release_package"
    ocds_version = "1.0"
    url = "https://www.contractsfinder.service.gov.uk"
    licence = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-b5fd17-",)
    encoding = "iso-8859-1"
    concurrency = 1
    delay = 1.0
    dates_at_load = False  # the windows are the publisher's own filter
    facts_from = (
        "kingfisher-collect:united_kingdom_contracts_finder_releases@2026-07",
        "https://www.contractsfinder.service.gov.uk/apidocumentation/home",
    )

    # PeriodicSpider
    url_template = (
        "https://www.contractsfinder.service.gov.uk/Published/Notices/OCDS/Search"
        "?limit=100&publishedFrom={start}&publishedTo={end}"
    )
    period = 15
    default_from_date = "2014-01-01"  # the first notices (kingfisher-collect's default)
