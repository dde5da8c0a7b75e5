from spiders.mexico_edca_base import EDCA_FACTS, MexicoEdcaBase


class MexicoGuadalajaraSpider(MexicoEdcaBase):
    """
    Publisher
      Municipio de Guadalajara: Contrataciones Abiertas
    API documentation
      https://contratacionesabiertas.guadalajara.gob.mx:4000/contratacionesabiertas/datosabiertos
    Shape
      One document per year (``:3000/edca/contractingprocess/{year}``) whose ``arrayReleasePackage`` is an array
      of release packages. The years are not read from the platform's list of fiscal years: every year from 2022 is
      requested.
    Spider arguments
      from_date, until_date: the years fetched (default 2022 to this year); applied to release dates as well
    Caveats
      No longer updated: last updated by the publisher in 2025 (kingfisher-collect, 2026-02).
    """

    name = "mexico_guadalajara"

    # PublisherSpider
    publisher_name = "Municipio de Guadalajara"
    level = "city"
    region = "JAL"
    url = "https://contratacionesabiertas.guadalajara.gob.mx:4000/contratacionesabiertas/datosabiertos"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    update_frequency = "never"
    facts_from = ("kingfisher-collect:mexico_guadalajara@2026-07", *EDCA_FACTS)

    # PeriodicSpider
    default_from_date = "2022-01-01"

    # MexicoEdcaBase
    platform_url = "https://contratacionesabiertas.guadalajara.gob.mx:3000"
    fiscal_years_listed = False
