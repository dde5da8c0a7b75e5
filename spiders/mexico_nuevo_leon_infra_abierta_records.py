from crawler.spiders import PeriodicSpider


class MexicoNuevoLeonInfraAbiertaRecordsSpider(PeriodicSpider):
    """
    Publisher
      Nuevo León: Secretaría de Movilidad y Planeación Urbana (Infraestructura Abierta)
    Bulk download documentation
      https://smpu.nl.gob.mx/transparencia/publicaciones
    Shape
      One list a year of the infrastructure works' record packages (``/siasi_ws/api/ocds/ListarProduccionXAnio``,
      the year as ``anio=[{"value":"YYYY"}]``): a JSON array of record packages (linked releases and a
      ``compiledRelease``), one per process and version.
    Spider arguments
      from_date, until_date: the years fetched (from 2013), and applied to release dates as they are loaded
    Caveats
      The site answers HTTP 403 to a client that does not look like a browser: the crawl sends a browser's
      User-Agent. The packages declare ``publisher.scheme`` ``GB-COH``; a record's ``compiledRelease`` carries
      another OCID than the record (a version suffix). The purchases of the Dirección General de Adquisiciones y
      Servicios are another publication: ``mexico_nuevo_leon``.
    """

    name = "mexico_nuevo_leon_infra_abierta_records"

    # PublisherSpider
    country = "MX"
    publisher_name = "Nuevo León: Secretaría de Movilidad y Planeación Urbana"
    data_type = "record_package_list"
    ocds_version = "1.1"
    level = "regional"
    region = "NLE"
    url = "https://smpu.nl.gob.mx"
    licence = "https://datos.gob.mx/libreusomx"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-7wj9x5-",)
    dates_at_load = True
    browser_user_agent = True
    facts_from = (
        "kingfisher-collect:mexico_nuevo_leon_infra_abierta_records@2026-07",
        "https://smpu.nl.gob.mx/transparencia/publicaciones",
    )

    # PeriodicSpider
    url_template = 'https://smpu.nl.gob.mx/siasi_ws/api/ocds/ListarProduccionXAnio?anio=%5B%7B"value":"{year}"%7D%5D'
    period = "year"
    default_from_date = "2013-01-01"
