from crawler.spiders import PagedSpider


class UkraineProzorroApiReleasesSpider(PagedSpider):
    """
    Publisher
      State Enterprise Prozorro (Ministry of Economy of Ukraine)
    API documentation
      https://github.com/openprocurement/ocdsapi
    Shape
      The Prozorro OCDS API: pages of release packages with ``links.next`` (``page``).
    Caveats
      Record packages (``records.json``) link their releases (``release.json?releaseID=``); this spider takes the
      releases. One declared extension URL ends in ``extension.json<Paste>``. The tenders feed
      (``public-api.prozorro.gov.ua/api/2.5/tenders``, ``opt_schema=ocds``) is another route to the same data.
    """

    name = "ukraine_prozorro_api_releases"

    # PublisherSpider
    country = "UA"
    publisher_name = "SE Prozorro"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://prozorro.gov.ua"
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    update_frequency = "continuous"
    ocid_prefixes = ("ocds-be6bcu-",)
    available = False
    unavailable_since = "2025-09"
    unavailable_reason = (
        "no current source says api.ocds.prozorro.openprocurement.io is public: openprocurement/ocdsapi (its "
        "software) last changed in 2019, kingfisher-collect never crawled it, and Prozorro's maintainers point to "
        "public-api.prozorro.gov.ua with opt_schema=ocds (ProzorroUKR/openprocurement.api issue 53, 2025-09), which"
        " ukraine_prozorro crawls"
    )
    facts_from = ("https://github.com/openprocurement/ocdsapi",)

    # PagedSpider
    start_url = "http://api.ocds.prozorro.openprocurement.io/api/releases.json?page=1"
