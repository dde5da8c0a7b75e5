from crawler.spiders import PeriodicSpider


class HondurasSefinBulkSpider(PeriodicSpider):
    """
    Publisher
      Secretaría de Finanzas de Honduras (SEFIN)
    Bulk download documentation
      https://www.sefin.gob.hn/edca/
    Shape
      One zip a year (``ocid_sefin_{year}.zip``) holding JSON lines: one release package a line.
    Spider arguments
      from_date, until_date: the years fetched; applied to release dates too
    Caveats
      The bulk files cover 2012 on, where the API (``honduras_sefin_api``) fails before 2019. A year without a file
      (the current one before it is published) answers 404, noted.
    """

    name = "honduras_sefin_bulk"

    # PublisherSpider
    country = "HN"
    publisher_name = "Secretaría de Finanzas de Honduras (SEFIN)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.sefin.gob.hn/edca/"
    update_frequency = "irregular"
    dates_at_load = True
    facts_from = ("kingfisher-collect:honduras_sefin_bulk@2026-07", "https://www.sefin.gob.hn/edca/")

    # PeriodicSpider
    url_template = "https://piep.sefin.gob.hn/edca/ocid_sefin_{year}.zip"
    period = "year"
    default_from_date = "2012-01-01"
    missing_period_statuses = (404,)
