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

    # PagedSpider
    start_url = "http://api.ocds.prozorro.openprocurement.io/api/records.json?page=1"
