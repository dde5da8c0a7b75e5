from crawler.spiders import IndexSpider


class MexicoShcpApiSpider(IndexSpider):
    """
    Publisher
      Secretaría de Hacienda y Crédito Público (SHCP): CompraNet, through the Plataforma Digital Nacional
    API documentation
      https://plataformadigitalnacional.org/contrataciones
    Shape
      POSTed searches (JSON body ``{"page": N, "pageSize": 10}``, pages numbered from 0) whose ``data`` is an array
      of releases; the first page gives the number of releases at ``pagination.total``.
    Caveats
      Moved: the old APF API (``api.datos.gob.mx/v2/contratacionesabiertas``) and bulk file are gone (2025-11).
      Releases carry ``publisher`` and ``cycle``; dates with two-digit years; duplicate party ids; single releases
      of several megabytes.
    """

    name = "mexico_shcp_api"

    # PublisherSpider
    country = "MX"
    publisher_name = "SHCP: CompraNet (Plataforma Digital Nacional)"
    data_type = "release"
    ocds_version = "1.1"
    url = "https://plataformadigitalnacional.org"
    licence = "https://datos.gob.mx/libreusomx"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-07smqs-",)
    root_path = "data.item"
    facts_from = (
        "kingfisher-collect:mexico_shcp_plataforma_digital_nacional@2026-07",
        "https://plataformadigitalnacional.org/contrataciones",
    )

    # IndexSpider
    start_url = "https://api.plataformadigitalnacional.org/s6/api/v1/search?supplier_id=SHCP"
    method = "POST"
    body_format = "json"
    total_pointer = "/pagination/total"
    page_size = 10
    param_page = "page"
    first_page = 0  # the search's pages are zero-indexed
    param_limit = "pageSize"
