from crawler.spiders import IndexSpider


class HondurasPortalApiReleasesSpider(IndexSpider):
    """
    Publisher
      Portal de Contrataciones Abiertas de Honduras (ONCAE and SEFIN)
    API documentation
      http://www.contratacionesabiertas.gob.hn/manual_api/
    Shape
      Pages whose ``releasePackage`` holds a release package; the first page gives the number of pages at
      ``pages``.
    Caveats
      Deep pages sometimes answer 502 (Cloudflare): they are retried with back-off. The records' route is
      ``honduras_portal_api_records``.
    """

    name = "honduras_portal_api_releases"

    # PublisherSpider
    country = "HN"
    publisher_name = "Portal de Contrataciones Abiertas de Honduras"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "http://www.contratacionesabiertas.gob.hn"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-lcuori-",)
    root_path = "releasePackage"
    facts_from = (
        "kingfisher-collect:honduras_portal_api_releases@2026-07",
        "http://www.contratacionesabiertas.gob.hn/manual_api/",
    )

    # IndexSpider
    start_url = "http://www.contratacionesabiertas.gob.hn/api/v1/release/?format=json"
    total_pointer = "/pages"
    param_page = "page"
