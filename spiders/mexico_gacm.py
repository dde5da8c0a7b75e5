from crawler.spiders import SimpleSpider


class MexicoGacmSpider(SimpleSpider):
    """
    Publisher
      Grupo Aeroportuario de la Ciudad de México (GACM)
    Bulk download documentation
      http://gacmda.gacm.mx:8880/files/opendata/coleccion/
    Shape
      One large release package with every release (OCDS 1.0).
    Caveats
      The airport project was cancelled and kingfisher-collect dropped its spider in 2024-10: the file is frozen.
      OCIDs are bare numbers (``"10"``), namespaced by publisher; some OCIDs were republished with a new release
      id and the same date; currency typo ``MNX``.
    """

    name = "mexico_gacm"

    # PublisherSpider
    country = "MX"
    publisher_name = "Grupo Aeroportuario de la Ciudad de México"
    data_type = "release_package"
    ocds_version = "1.0"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    no_ocid_prefix = "its OCIDs are bare numbers"
    url = "https://www.gob.mx/gacm"
    update_frequency = "never"
    available = False
    unavailable_since = "2024-10"
    unavailable_reason = (
        "gacmda.gacm.mx no longer serves the file: kingfisher-collect removed mexico_grupo_aeroporto as dead (PR "
        "1111, 2024-10-26)"
    )
    facts_from = (
        "kingfisher-collect:mexico_grupo_aeroporto@2024-10",
        "http://gacmda.gacm.mx:8880/files/opendata/coleccion/",
    )

    # SimpleSpider
    start_urls = ("http://gacmda.gacm.mx:8880/files/opendata/coleccion/concentrado05032019RELEASE.json",)
