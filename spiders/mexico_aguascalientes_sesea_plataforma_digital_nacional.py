from spiders.mexico_plataforma_digital_nacional_base import PDN_FACTS, MexicoPlataformaDigitalNacionalBase


class MexicoAguascalientesSeseaPlataformaDigitalNacionalSpider(MexicoPlataformaDigitalNacionalBase):
    """
    Publisher
      Secretaría Ejecutiva del Sistema Estatal Anticorrupción de Aguascalientes (SESEA)
      (through the Plataforma Digital Nacional)
    API documentation
      https://plataformadigitalnacional.org/contrataciones
    Shape
      POSTed searches (``supplier_id=SESEA_AGS``, JSON body ``{"page": N, "pageSize": 10}``, pages from 0) whose
      ``data`` is an array of releases; ``pagination.total`` counts the releases.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the search has no date filter)
    """

    name = "mexico_aguascalientes_sesea_plataforma_digital_nacional"

    # PublisherSpider
    publisher_name = "SESEA Aguascalientes (Plataforma Digital Nacional)"
    level = "regional"
    region = "AGU"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    facts_from = ("kingfisher-collect:mexico_aguascalientes_sesea_plataforma_digital_nacional@2026-07", *PDN_FACTS)

    # MexicoPlataformaDigitalNacionalBase
    supplier_id = "SESEA_AGS"
