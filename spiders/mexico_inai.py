from crawler.spiders import PeriodicSpider


class MexicoInaiSpider(PeriodicSpider):
    """
    Publisher
      Instituto Nacional de Transparencia, Acceso a la Información y Protección de Datos Personales (INAI)
    API documentation
      https://github.com/open-contracting/edca (the Contrataciones Abiertas platform's API)
    Shape
      One document per fiscal year whose ``arrayReleasePackage`` is an array of release packages.
    Spider arguments
      from_date, until_date: the fiscal years fetched; applied to release dates as well
    Caveats
      INAI was dissolved in 2025 (kingfisher-collect dropped its spider in 2025-07): the platform may be gone.
      OCIDs changed from provisional to final ones; ``parties`` have duplicate ids.
    """

    name = "mexico_inai"

    # PublisherSpider
    country = "MX"
    publisher_name = "INAI: Contrataciones Abiertas"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://home.inai.org.mx"
    licence = "https://datos.gob.mx/libreusomx"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-g4facg-",)
    root_path = "arrayReleasePackage.item"
    dates_at_load = True
    available = False
    unavailable_since = "2025-07"
    unavailable_reason = (
        "INAI was dissolved: kingfisher-collect removed mexico_inai_api because the institution was eliminated (PR "
        "1185, 2025-07-29)"
    )
    facts_from = (
        "kingfisher-collect:mexico_inai_api@2025-07",
        "https://github.com/open-contracting/edca",
    )

    # PeriodicSpider
    url_template = "http://contratacionesabiertas.inai.org.mx:3000/edca/contractingprocess/{year}"
    period = "year"
    default_from_date = "2017-01-01"
