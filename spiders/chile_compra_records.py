from spiders.chile_compra_releases import API, ChileCompraReleasesSpider


class ChileCompraRecordsSpider(ChileCompraReleasesSpider):
    """
    Publisher
      Dirección de Compras y Contratación Pública (ChileCompra): Mercado Público
    API documentation
      https://datos-abiertos.chilecompra.cl/descargas/procesos-ocds
    Shape
      The month lists of ``chile_compra_releases`` (one per purchasing system, 1,000 processes a page); each
      process's record package (``/ocds/record/{code}``, the OCID without ``ocds-70d2nz-``).
    Spider arguments
      from_date, until_date: the months fetched (the processes listed keep their later releases)
    Caveats
      As ``chile_compra_releases``: empty months and failures answer HTTP 200 with ``{"status", "detail"}``
      (noted), and the API answers 429 under load (one request at a time). The record path is ``ocds`` in lower
      case, the lists' ``OCDS`` in upper case.
    """

    name = "chile_compra_records"

    # PublisherSpider
    data_type = "record_package"
    facts_from = (
        "kingfisher-collect:chile_compra_api_records@2026-07",
        "https://datos-abiertos.chilecompra.cl/descargas/procesos-ocds",
    )

    # SearchSpider
    item_url = f"{API}/ocds/record/{{code}}"
