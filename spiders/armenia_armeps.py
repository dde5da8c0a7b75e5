from crawler.spiders import PagedSpider


class ArmeniaArmepsSpider(PagedSpider):
    """
    Publisher
      Armenian e-Procurement System (ARMEPS), Procurement Support Center of the Ministry of Finance of Armenia
    API documentation
      https://armeps.am/ocds/release (undocumented; the access pattern of kingfisher-collect's ``armenia`` spider)
    Shape
      A paged API of release packages of 100 releases; the next page is at the non-standard ``next_page.uri``,
      whose ``offset`` is a timestamp in milliseconds.
    Caveats
      Some offsets answer with an HTTP error: the crawl stops there (kingfisher-collect searches later timestamps).
      OCIDs are ``AM-PPS-<32 hex>``, not registered prefixes; ``planning`` is sometimes an array.
    """

    name = "armenia_armeps"

    # PublisherSpider
    country = "AM"
    publisher_name = "Armenian e-Procurement System (ARMEPS)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://armeps.am"
    update_frequency = "continuous"
    ocid_prefixes = ("AM-PPS-",)
    facts_from = ("kingfisher-collect:armenia@2026-07",)

    # PagedSpider
    start_url = "https://armeps.am/ocds/release"
    next_pointer = "/next_page/uri"
