from crawler.spiders import PagedSpider


class UkraineProzorroApiRecordsSpider(PagedSpider):
    """
    Publisher
      State Enterprise Prozorro (Ministry of Economy of Ukraine)
    API documentation
      https://github.com/openprocurement/ocdsapi
    Shape
      The Prozorro OCDS API's records: pages of record packages with ``links.next`` (``page``); the records link
      their releases (``release.json?releaseID=``), which ``ukraine_prozorro_api_releases`` fetches.
    Caveats
      The last page carries an empty ``links: {}``.
    """

    name = "ukraine_prozorro_api_records"

    # PublisherSpider
    country = "UA"
    publisher_name = "SE Prozorro"
    data_type = "record_package"
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
    start_url = "http://api.ocds.prozorro.openprocurement.io/api/records.json?page=1"
