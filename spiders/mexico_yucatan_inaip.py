from spiders.mexico_edca_base import EDCA_FACTS, MexicoEdcaBase


class MexicoYucatanInaipSpider(MexicoEdcaBase):
    """
    Publisher
      Instituto Estatal de Transparencia, Acceso a la Información Pública y Protección de Datos Personales de
      Yucatán (INAIP)
    API documentation
      https://contratacionesabiertas.inaipyucatan.org.mx/contratacionesabiertas/datosabiertos
    Shape
      The list of fiscal years (``captura.…/edca/fiscalYears``), then one document per listed year
      (``/edca/contractingprocess/{year}``) whose ``arrayReleasePackage`` is an array of release packages.
    Spider arguments
      from_date, until_date: the listed years fetched (all by default); applied to release dates as well
    Caveats
      The state government announced that INAIP would be eliminated, as INAI was (kingfisher-collect issue 1177,
      2025-07); the spider is still in kingfisher-collect (2026-07), but the platform may go.
    """

    name = "mexico_yucatan_inaip"

    # PublisherSpider
    publisher_name = "INAIP Yucatán: Contrataciones Abiertas"
    level = "regional"
    region = "YUC"
    url = "https://contratacionesabiertas.inaipyucatan.org.mx/contratacionesabiertas/datosabiertos"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    update_frequency = "irregular"
    facts_from = ("kingfisher-collect:mexico_yucatan_inaip@2026-07", *EDCA_FACTS)

    # PeriodicSpider
    default_from_date = "2020-01-01"

    # MexicoEdcaBase
    platform_url = "https://captura.contratacionesabiertas.inaipyucatan.org.mx"
