from typing import Any, ClassVar

from crawler.spiders import PeriodicSpider

MONTH_TIMEOUT = 3600  # seconds: a month's zip can be large, and the default is 3 minutes


class ChileCompraBulkSpider(PeriodicSpider):
    """
    Publisher
      Dirección de Compras y Contratación Pública (ChileCompra): Mercado Público
    Bulk download documentation
      https://desarrolladores.mercadopublico.cl/OCDS/DescargaMasiva
    Shape
      One zip a month on Azure blob storage (``ocds.blob.core.windows.net/ocds/{yyyymm}.zip``), one record package
      per process inside (its releases embedded). Public tenders (licitaciones) only: direct purchases and framework
      agreements are in the API alone.
    Spider arguments
      from_date, until_date: the months fetched
    Caveats
      Not every month has a zip (the blob storage answers 404): such a month is noted, not failed, and the API
      (``chile_compra_releases``) covers it. Some members are the API's failure envelope (``{"status": 500,
      "detail": …}``) or empty: each is noted as it is loaded, the others are loaded.
    """

    name = "chile_compra_bulk"

    # PublisherSpider
    country = "CL"
    publisher_name = "ChileCompra: Mercado Público (bulk)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://www.mercadopublico.cl"
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-70d2nz-",)
    dates_at_load = False  # a month's zip holds the processes of that month, with all their releases
    custom_settings: ClassVar[dict[str, Any]] = {"DOWNLOAD_TIMEOUT": MONTH_TIMEOUT}
    facts_from = (
        "kingfisher-collect:chile_compra_bulk@2026-07",
        "https://desarrolladores.mercadopublico.cl/OCDS/DescargaMasiva",
    )

    # PeriodicSpider
    url_template = "https://ocds.blob.core.windows.net/ocds/{year}{month:02d}.zip"
    period = "month"
    default_from_date = "2009-01-01"
    missing_period_statuses = (404,)  # a month without a zip
    missing_period_hint = "the API (chile_compra_releases) has the month's processes"
