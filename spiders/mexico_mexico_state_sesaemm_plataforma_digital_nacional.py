from spiders.mexico_plataforma_digital_nacional_base import PDN_FACTS, MexicoPlataformaDigitalNacionalBase


class MexicoMexicoStateSesaemmPlataformaDigitalNacionalSpider(MexicoPlataformaDigitalNacionalBase):
    """
    Publisher
      Secretaría Ejecutiva del Sistema Anticorrupción del Estado de México y Municipios (SESAEMM)
      (through the Plataforma Digital Nacional)
    API documentation
      https://plataformadigitalnacional.org/contrataciones
    Shape
      POSTed searches (``supplier_id=SESAEMM_EDOMEX``, JSON body ``{"page": N, "pageSize": 10}``, pages from 0) whose
      ``data`` is an array of releases; ``pagination.total`` counts the releases.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the search has no date filter)
    """

    name = "mexico_mexico_state_sesaemm_plataforma_digital_nacional"

    # PublisherSpider
    publisher_name = "SESAEMM Estado de México (Plataforma Digital Nacional)"
    level = "regional"
    region = "MEX"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    facts_from = ("kingfisher-collect:mexico_mexico_state_sesaemm_plataforma_digital_nacional@2026-07", *PDN_FACTS)

    # MexicoPlataformaDigitalNacionalBase
    supplier_id = "SESAEMM_EDOMEX"
