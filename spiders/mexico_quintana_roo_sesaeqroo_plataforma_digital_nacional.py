from spiders.mexico_plataforma_digital_nacional_base import PDN_FACTS, MexicoPlataformaDigitalNacionalBase


class MexicoQuintanaRooSesaeqrooPlataformaDigitalNacionalSpider(MexicoPlataformaDigitalNacionalBase):
    """
    Publisher
      Secretaría Ejecutiva del Sistema Anticorrupción del Estado de Quintana Roo (SESAEQROO)
      (through the Plataforma Digital Nacional)
    API documentation
      https://plataformadigitalnacional.org/contrataciones
    Shape
      POSTed searches (``supplier_id=SESAE_QROO``, JSON body ``{"page": N, "pageSize": 10}``, pages from 0) whose
      ``data`` is an array of releases; ``pagination.total`` counts the releases.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the search has no date filter)
    """

    name = "mexico_quintana_roo_sesaeqroo_plataforma_digital_nacional"

    # PublisherSpider
    publisher_name = "SESAEQROO Quintana Roo (Plataforma Digital Nacional)"
    level = "regional"
    region = "ROO"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    facts_from = ("kingfisher-collect:mexico_quintana_roo_sesaeqroo_plataforma_digital_nacional@2026-07", *PDN_FACTS)

    # MexicoPlataformaDigitalNacionalBase
    supplier_id = "SESAE_QROO"
