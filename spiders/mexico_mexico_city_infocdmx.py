from spiders.mexico_edca_base import EDCA_FACTS, MexicoEdcaBase


class MexicoMexicoCityInfocdmxSpider(MexicoEdcaBase):
    """
    Publisher
      Instituto de Transparencia, Acceso a la Información Pública, Protección de Datos Personales y Rendición de
      Cuentas de la Ciudad de México (INFOCDMX)
    API documentation
      https://dashboard.infocdmx.org.mx/contratacionesabiertas/datosabiertos
    Shape
      The list of fiscal years (``:3000/edca/fiscalYears``), then one document per listed year
      (``/edca/contractingprocess/{year}``) whose ``arrayReleasePackage`` is an array of release packages.
    Spider arguments
      from_date, until_date: the listed years fetched (all by default); applied to release dates as well
    Caveats
      Answers HTTP 500 to a client that does not look like a browser: a browser User-Agent is sent. INFOCDMX was
      kept when INAI was dissolved (kingfisher-collect issue 1177, 2025-07).
    """

    name = "mexico_mexico_city_infocdmx"

    # PublisherSpider
    publisher_name = "INFOCDMX: Contrataciones Abiertas"
    level = "city"
    region = "CMX"
    url = "https://dashboard.infocdmx.org.mx/contratacionesabiertas/datosabiertos"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    update_frequency = "irregular"
    browser_user_agent = True
    facts_from = ("kingfisher-collect:mexico_mexico_city_infocdmx@2026-07", *EDCA_FACTS)

    # PeriodicSpider
    default_from_date = "2019-01-01"

    # MexicoEdcaBase
    platform_url = "https://contratacionesabiertas.infocdmx.org.mx:3000"
