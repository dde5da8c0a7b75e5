import re
from datetime import date
from typing import Any

from crawler.spiders import CkanSpider

_YEAR = re.compile(r"ocds-(\d{4})\.zip$")


class UruguayArceHistoricalSpider(CkanSpider):
    """
    Publisher
      Agencia Reguladora de Compras Estatales (ARCE)
    Bulk download documentation
      https://catalogodatos.gub.uy/dataset/arce-datos-historicos-de-compras
    Shape
      A CKAN dataset of the national catalogue whose JSON resources are zips, one a year (``ocds-2002.zip``), of
      release packages.
    Spider arguments
      from_date, until_date: the years fetched (by the files' names); applied to release dates too
    Caveats
      The purchases since 2002, before the monthly feeds (``uruguay_arce_releases``) began in 2017-11. The zips are
      large.
    """

    name = "uruguay_arce_historical"

    # PublisherSpider
    country = "UY"
    publisher_name = "Agencia Reguladora de Compras Estatales (ARCE)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.comprasestatales.gub.uy"
    licence = "https://www.agesic.gub.uy/innovaportal/file/6327/1/licencia-de-datos-abiertos.pdf"
    update_frequency = "never"
    ocid_prefixes = ("ocds-yfs5dr-",)
    dates_at_load = True
    facts_from = (
        "kingfisher-collect:uruguay_historical@2026-07",
        "https://catalogodatos.gub.uy/dataset/arce-datos-historicos-de-compras",
    )

    # CkanSpider
    ckan_url = "https://catalogodatos.gub.uy"
    ckan_dataset = "arce-datos-historicos-de-compras"

    def resource_period(self, resource: dict[str, Any]) -> tuple[date, date] | None:
        # e.g. https://catalogodatos.gub.uy/dataset/44d3-b09c/resource/1e39-453d/download/ocds-2002.zip
        match = _YEAR.search(str(resource.get("url", "")))
        return (date(int(match[1]), 1, 1), date(int(match[1]), 12, 31)) if match else None
