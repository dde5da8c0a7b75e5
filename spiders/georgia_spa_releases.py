from crawler.spiders import PagedSpider


class GeorgiaSpaReleasesSpider(PagedSpider):
    """
    Publisher
      State Procurement Agency of Georgia (SPA)
    API documentation
      https://odapi.spa.ge/api/swagger.ui (publication policy: https://odapi.spa.ge/publication-policy)
    Shape
      Release packages, page by page (``/api/releases.json?page=N``), each with the next page at ``links.next``;
      the last page has none.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the API has no date filter)
    Caveats
      The publication policy says the data is refreshed nightly, but kingfisher-collect notes it was last updated
      in 2020. Only the tender, award and contract stages are published; documents are links to the portal's
      procedure page. Organization identifiers use the ``GE-NAPR`` scheme.
    """

    name = "georgia_spa_releases"

    # PublisherSpider
    country = "GE"
    publisher_name = "State Procurement Agency of Georgia"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://odapi.spa.ge"
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-3z43pn-",)
    facts_from = (
        "kingfisher-collect:georgia_releases@2026-07",
        "https://odapi.spa.ge/api/swagger.ui",
    )

    # PagedSpider
    start_url = "https://odapi.spa.ge/api/releases.json"
    next_pointer = "/links/next"
