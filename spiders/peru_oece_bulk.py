from crawler.spiders import PeriodicSpider


class PeruOeceBulkSpider(PeriodicSpider):
    """
    Publisher
      Organismo Especializado para las Contrataciones Públicas Eficientes (OECE), formerly OSCE: SEACE v3
    Bulk download documentation
      https://contratacionesabiertas.oece.gob.pe/descargas
    Shape
      One zip a month (``/api/v1/file/seace_v3/json/{year}/{month}/``) holding one record package: every process
      of the month, each record with its ``compiledRelease``.
    Spider arguments
      from_date, until_date: the months fetched
    Caveats
      Moved: the OSCE became the OECE in 2025, and ``contratacionesabiertas.osce.gob.pe`` stopped resolving; the
      same API is on ``contratacionesabiertas.oece.gob.pe``. A month's file exists once the month is over (it is
      regenerated daily afterwards): the current month answers 404, noted as not yet published rather than
      failed. The first month published is not documented (the portal speaks of SEACE data since 2004): a crawl
      starts in 2018 unless from_date says otherwise, and months without a file are noted the same way.
    """

    name = "peru_oece_bulk"

    # PublisherSpider
    country = "PE"
    publisher_name = "Organismo Especializado para las Contrataciones Públicas Eficientes (OECE)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://contratacionesabiertas.oece.gob.pe"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-dgv273-",)
    dates_at_load = False  # a month's file holds the processes of that month, with all their releases
    facts_from = (
        "kingfisher-collect:peru_oece_bulk@2026-07",
        "https://contratacionesabiertas.oece.gob.pe/descargas",
    )

    # PeriodicSpider
    url_template = "https://contratacionesabiertas.oece.gob.pe/api/v1/file/seace_v3/json/{year}/{month:02d}/"
    period = "month"
    default_from_date = "2018-01-01"
    # A month without a file: the current one, or one before the publication began.
    missing_period_statuses = (404,)
    missing_period_hint = "the publisher has no data for it"
