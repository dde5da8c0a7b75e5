from crawler.spiders import EgpSpider


class LiberiaPpccSpider(EgpSpider):
    """
    Publisher
      Public Procurement and Concessions Commission (PPCC): e-Government Procurement System
    Bulk download documentation
      https://eprocurement.ppcc.gov.lr/ocds/report/home.action#/recordPackages
    Shape
      European Dynamics' e-GP (``EgpSpider``), as in Ghana (``ghana_ghaneps``): a list of one URL a month, each a
      zip holding that month's record package (embedded releases).
    Spider arguments
      from_date, until_date: the months fetched (those that overlap the dates); applied to release dates too
    Caveats
      The list is an HTML page when the portal is in maintenance: a note, nothing more. Data since 2024-12;
      tenders and awards, no contracts (Data Registry, 2025).
    """

    name = "liberia_ppcc"

    # PublisherSpider
    country = "LR"
    publisher_name = "Public Procurement and Concessions Commission (PPCC)"
    url = "https://ppcc.gov.lr"
    licence_stated = False  # none on its pages, in its data or in the Data Registry (checked 2026-11)
    ocid_prefixes = ("ocds-dwjm7l-",)
    facts_from = (
        "kingfisher-collect:liberia_records@2026-07",
        "https://eprocurement.ppcc.gov.lr/ocds/report/home.action#/recordPackages",
    )

    # EgpSpider
    portal = "https://eprocurement.ppcc.gov.lr"
