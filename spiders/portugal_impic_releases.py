from crawler.spiders import PagedSpider


class PortugalImpicReleasesSpider(PagedSpider):
    """
    Publisher
      Instituto dos Mercados Públicos, do Imobiliário e da Construção (IMPIC), Portal BASE
    API documentation
      https://www.base.gov.pt/Base4/pt/resultados/ (the OCDS API has no public documentation)
    Shape
      A paged API of release packages of 100 releases with ``links.next`` (``offset``).
    Spider arguments
      from_date, until_date: the API's own filter on contract dates (``contractStartDate``, ``contractEndDate``)
    Caveats
      kingfisher-collect dropped its spider in 2025-04 (the API answered slowly and with many 5xx); the
      endpoint is kept as published. Dates have 7-digit fractions of a second.
    """

    name = "portugal_impic_releases"

    # PublisherSpider
    country = "PT"
    publisher_name = "IMPIC: Portal BASE"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.base.gov.pt"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-px0z7d-",)
    concurrency = 1
    available = False
    unavailable_since = "2025-04"
    unavailable_reason = (
        "base.gov.pt's OCDS API (api/Release/GetReleases) lapsed: kingfisher-collect removed portugal_releases (PR "
        "1159, 2025-04-14)"
    )
    facts_from = (
        "kingfisher-collect:portugal_releases@2025-04",
        "https://www.base.gov.pt/Base4/pt/resultados/",
    )

    # PagedSpider
    start_url = "http://www.base.gov.pt/api/Release/GetReleases"
    from_date_param = "contractStartDate"
    until_date_param = "contractEndDate"
