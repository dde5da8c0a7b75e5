from crawler.spiders import SearchSpider, SimpleSpider


class MexicoNuevoLeonSpider(SearchSpider, SimpleSpider):
    """
    Publisher
      Nuevo León: Dirección General de Adquisiciones y Servicios (Secretaría de Administración)
    Bulk download documentation
      https://catalogodatos.nl.gob.mx/dataset/contrataciones-abiertas-direccion-general-de-adquisiciones-y-servicios
    Shape
      A CKAN dataset (``package_show``) whose resources (format ``JSON`` or ``URL``) are release packages, each at its
      own URL on ``api-ocds.nl.gob.mx`` (``/api/releases/{id}``).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      The site answers HTTP 403 to a client that does not look like a browser: the crawl sends a browser's
      User-Agent. The infrastructure works of the Secretaría de Movilidad y Planeación Urbana are another
      publication: ``mexico_nuevo_leon_infra_abierta_records``.
    """

    name = "mexico_nuevo_leon"

    # PublisherSpider
    country = "MX"
    publisher_name = "Nuevo León: Dirección General de Adquisiciones y Servicios"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("ocid_prefixes",)  # not in the reference crawler; not checkable offline
    level = "regional"
    region = "NLE"
    url = "https://catalogodatos.nl.gob.mx"
    licence = "https://datos.gob.mx/libreusomx"
    update_frequency = "irregular"
    allowed_domains = ("nl.gob.mx",)  # the dataset is on catalogodatos.nl.gob.mx, its packages on api-ocds.nl.gob.mx
    dates_at_load = True
    browser_user_agent = True
    facts_from = (
        "kingfisher-collect:mexico_nuevo_leon@2026-07",
        "https://catalogodatos.nl.gob.mx/dataset/contrataciones-abiertas-direccion-general-de-adquisiciones-y-servicios",
    )

    # SimpleSpider
    start_urls = (
        "https://catalogodatos.nl.gob.mx/api/3/action/package_show"
        "?id=contrataciones-abiertas-direccion-general-de-adquisiciones-y-servicios",
    )

    # SearchSpider
    search_items = ("result", "resources")
    item_url = "{url}"
