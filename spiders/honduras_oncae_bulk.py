from typing import Any

from crawler.spiders import PeriodicSpider
from crawler.spiders.declarations import choice_argument
from crawler.spiders.periodic import Window

FILES = "https://datosabiertos.oncae.gob.hn/datosabiertos/{system}/{system}_datos_{year}{suffix}"
#: Each system's years: its first, and its last when it stopped.
SYSTEMS = {"HC1": (2005, None), "CE": (2014, None), "DDC": (2010, 2019)}


class HondurasOncaeBulkSpider(PeriodicSpider):
    """
    Publisher
      Oficina Normativa de Contratación y Adquisiciones del Estado (ONCAE)
    Bulk download documentation
      https://oncae.gob.hn/datos-abiertos/
    Shape
      One file a year and system: a release package (``HC1/HC1_datos_2020.json``) for HonduCompras 1.0, a zip holding
      one for the Catálogo Electrónico (``CE/CE_datos_2020_json.zip``) and the Difusión Directa de Contratos
      (``DDC/DDC_datos_2015_json.zip``).
    Spider arguments
      from_date, until_date: the years fetched; applied to release dates too
      system: one system only, ``HC1`` (HonduCompras 1.0, since 2005), ``CE`` (Catálogo Electrónico, since 2014)
      or ``DDC`` (Difusión Directa de Contratos, 2010 to 2019)
    Caveats
      The files are large (a year's zip takes minutes). The same processes are in the portal's API
      (``honduras_portal_api_releases``), as published by ONCAE and SEFIN together; a year without a file answers
      404, noted.
    """

    name = "honduras_oncae_bulk"

    # PublisherSpider
    country = "HN"
    publisher_name = "Oficina Normativa de Contratación y Adquisiciones del Estado (ONCAE)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence",)  # not in the reference crawler; not checkable offline
    url = "https://oncae.gob.hn"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-lcuori-",)
    dates_at_load = True
    facts_from = ("kingfisher-collect:honduras_oncae@2026-07", "https://oncae.gob.hn/datos-abiertos/")

    # PeriodicSpider
    url_template = FILES
    period = "year"
    default_from_date = "2005-01-01"
    missing_period_statuses = (404,)

    def __init__(self, *args: Any, system: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.system = choice_argument("system", system, SYSTEMS)

    def window_urls(self) -> dict[str, Window]:
        # One file per system and year, for the years each system published.
        windows = super().window_urls().values()
        urls = {}
        for system, (first, last) in SYSTEMS.items():
            if self.system and system != self.system:
                continue
            for window in windows:
                if window[0].year >= first and (last is None or window[0].year <= last):
                    suffix = ".json" if system == "HC1" else "_json.zip"
                    urls[FILES.format(system=system, year=window[0].year, suffix=suffix)] = window
        return urls
