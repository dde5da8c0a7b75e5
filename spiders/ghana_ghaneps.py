from crawler.spiders import EgpSpider


class GhanaGhanepsSpider(EgpSpider):
    """
    Publisher
      Public Procurement Authority (PPA): Ghana Electronic Procurement System (GHANEPS)
    Bulk download documentation
      https://www.ghaneps.gov.gh/ocds/services/recordpackage/getrecordpackagelist (the list itself)
    Shape
      European Dynamics' e-GP (``EgpSpider``), as in Liberia (``liberia_ppcc``): a list of one URL a month, each a
      zip holding that month's record package (embedded releases).
    Spider arguments
      from_date, until_date: the months fetched (those that overlap the dates); applied to release dates too
    Caveats
      The list is an HTML page when the portal is in maintenance: a note, nothing more. Data since 2019-08; few
      contracting processes go through GHANEPS yet (Data Registry).
    """

    name = "ghana_ghaneps"

    # PublisherSpider
    country = "GH"
    publisher_name = "Public Procurement Authority: GHANEPS"
    url = "https://www.ghaneps.gov.gh"
    licence = "https://www.ppaghana.org/ocds-license"
    ocid_prefixes = ("ocds-uhveoc-",)
    facts_from = (
        "kingfisher-collect:ghana@2026-07",
        "https://www.ghaneps.gov.gh/ocds/services/recordpackage/getrecordpackagelist",
    )

    # EgpSpider
    portal = "https://www.ghaneps.gov.gh"
