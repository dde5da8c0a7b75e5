from crawler.spiders import PeriodicSpider


class EcuadorSercopBulkSpider(PeriodicSpider):
    """
    Publisher
      Servicio Nacional de Contratación Pública (SERCOP)
    Bulk download documentation
      https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/descargar-datos
    Shape
      One zip a month (``year``, ``month``) holding a JSON array of release packages.
    Spider arguments
      from_date, until_date: the months fetched; applied to release dates as well
    Caveats
      The server times out from many countries. The API (``/PLATAFORMA/api/search_ocds``, ``/api/record``) is
      another route to the same data.
    """

    name = "ecuador_sercop_bulk"

    # PublisherSpider
    country = "EC"
    publisher_name = "Servicio Nacional de Contratación Pública (SERCOP)"
    data_type = "release_package_list"
    ocds_version = "1.1"
    url = "https://www.compraspublicas.gob.ec"
    licence = "https://creativecommons.org/licenses/by/3.0/ec/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-5wno2w-",)
    dates_at_load = True
    facts_from = (
        "kingfisher-collect:ecuador_sercop_bulk@2026-07",
        "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/descargar-datos",
    )

    # PeriodicSpider
    url_template = (
        "https://datosabiertos.compraspublicas.gob.ec/PLATAFORMA/download?type=json&year={year}&month={month:02d}"
        "&method=all"
    )
    period = "month"
    default_from_date = "2015-01-01"
