from typing import Any, ClassVar

from crawler.spiders import PeriodicSpider

MONTH_TIMEOUT = 3600  # seconds: a month's zip is 30 to 100 MB, and the default is 3 minutes


class GuatemalaGuatecomprasBulkSpider(PeriodicSpider):
    """
    Publisher
      Ministerio de Finanzas Públicas: Dirección General de Adquisiciones del Estado (Guatecompras)
    Bulk download documentation
      https://ocds.guatecompras.gt/descarga-datos
    Shape
      One zip a month (``/file/json/{year}/{month}``, the month not zero-padded) holding one record package:
      every process of the month, each record with its releases linked and its ``compiledRelease``. The list of
      files is at ``/files``.
    Spider arguments
      from_date, until_date: the months fetched
    Caveats
      Without a browser's User-Agent the server answers 403. The packages are large (a month's JSON can pass
      250 MB): they are read incrementally. Processes before 2020 are not published; a month without a file
      answers 404, noted rather than failed. The current month's file is regenerated daily.
    """

    name = "guatemala_guatecompras_bulk"

    # PublisherSpider
    country = "GT"
    publisher_name = "Guatecompras (Ministerio de Finanzas Públicas)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://www.guatecompras.gt"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-xqjsxa-",)
    dates_at_load = False  # a month's file holds the processes of that month, with all their releases
    browser_user_agent = True
    custom_settings: ClassVar[dict[str, Any]] = {
        "DOWNLOAD_TIMEOUT": MONTH_TIMEOUT,
    }
    facts_from = (
        "kingfisher-collect:guatemala_bulk@2026-07",
        "https://ocds.guatecompras.gt/descarga-datos",
    )

    # PeriodicSpider
    url_template = "https://ocds.guatecompras.gt/file/json/{year}/{month}"
    period = "month"
    default_from_date = "2020-01-01"
    missing_period_statuses = (404,)  # a month without a file
