from crawler.spiders import PagedSpider


class PeruOeceApiRecordsSpider(PagedSpider):
    """
    Publisher
      Organismo Especializado para las Contrataciones Públicas Eficientes (OECE), formerly OSCE: SEACE v3
    API documentation
      https://contratacionesabiertas.oece.gob.pe/api
    Shape
      Record packages, newest first (``/api/v1/recordsAfter?format=json&order=desc``);
      each page's ``links.next`` (with ``searchAfter``) is the next one, the last page has none.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the API has no date filter)
    Caveats
      The same processes as the monthly files (``peru_oece_bulk``), served as they change.
    """

    name = "peru_oece_api_records"

    # PublisherSpider
    country = "PE"
    publisher_name = "Organismo Especializado para las Contrataciones Públicas Eficientes (OECE)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://contratacionesabiertas.oece.gob.pe"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-dgv273-",)
    facts_from = ("kingfisher-collect:peru_oece_api_records@2026-07", "https://contratacionesabiertas.oece.gob.pe/api")

    # PagedSpider
    start_url = "https://contratacionesabiertas.oece.gob.pe/api/v1/recordsAfter?format=json&order=desc"
