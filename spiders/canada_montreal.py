from crawler.spiders import IndexSpider


class CanadaMontrealSpider(IndexSpider):
    """
    Publisher
      Ville de Montréal
    API documentation
      https://ville.montreal.qc.ca/vuesurlescontrats/api
    Shape
      Release packages of at most 10,000 releases (``limit`` above that is an error); the first gives the total at
      ``meta.count``, the others are requested by ``offset``.
    Caveats
      OCIDs use the placeholder prefix ``ocds-a1234567-``; ``tag`` is a string; dates have no time zone.
      kingfisher-collect dropped its spider in 2026-02.
    """

    name = "canada_montreal"

    # PublisherSpider
    country = "CA"
    publisher_name = "Ville de Montréal"
    data_type = "release_package"
    ocds_version = "1.0"
    level = "city"
    region = "QC"
    url = "https://ville.montreal.qc.ca/vuesurlescontrats/"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-a1234567-mt-",)
    available = False
    unavailable_since = "2026-01-01"
    unavailable_reason = (
        "Montréal deactivated the Vue sur les contrats API from 2026-01-01 (notice on donnees.montreal.ca, dataset "
        "contrats-et-subventions-api); kingfisher-collect removed canada_montreal (455c6cb, 2026-02-11)"
    )
    facts_from = (
        "kingfisher-collect:canada_montreal@2026-02",
        "https://ville.montreal.qc.ca/vuesurlescontrats/api",
    )

    # IndexSpider
    start_url = "https://ville.montreal.qc.ca/vuesurlescontrats/api/releases.json"
    total_pointer = "/meta/count"
    page_size = 10000
    param_offset = "offset"
    param_limit = "limit"
