from crawler.spiders import EgpSpider


class ZambiaZppaSpider(EgpSpider):
    """
    Publisher
      Zambia Public Procurement Authority (ZPPA): e-GP system
    Bulk download documentation
      https://www.zppa.org.zm/ocds/services/recordpackage/getrecordpackagelist (the list itself)
    Shape
      European Dynamics' e-GP (``EgpSpider``), as Ghana's and Liberia's: a list of one URL a month, each a zip
      holding that month's record package (embedded releases).
    Spider arguments
      from_date, until_date: the months fetched (those that overlap the dates); applied to release dates too
    Caveats
      OCDS 1.0 (the packages have no ``version``). Data since 2016-07. The list is an HTML page when the portal is
      in maintenance: a note, nothing more.
    """

    name = "zambia_zppa"

    # PublisherSpider
    country = "ZM"
    publisher_name = "Zambia Public Procurement Authority (ZPPA)"
    ocds_version = "1.0"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.zppa.org.zm"
    facts_from = ("kingfisher-collect:zambia@2026-07",)

    # EgpSpider
    portal = "https://www.zppa.org.zm"
