from crawler.spiders import EgpSpider


class MaltaEppsSpider(EgpSpider):
    """
    Publisher
      Department of Contracts, Malta: Electronic Public Procurement System (e-PPS)
    API documentation
      https://docs.google.com/document/d/1rV_1VoJT3StzMk2Pf0i2-9uN3lD_VjhFQKyfaGUXZ6I/edit
    Shape
      European Dynamics' e-PPS (``EgpSpider``), as Ghana's and Liberia's: a list of one URL a month, each a zip
      holding that month's record package (embedded releases).
    Spider arguments
      from_date, until_date: the months fetched (those that overlap the dates); applied to release dates too
    Caveats
      The OCDS module is served on ``demowww.etenders.gov.mt`` (as kingfisher-collect reads it), over plain HTTP.
      Data since 2019-10. The list is an HTML page when the portal is in maintenance: a note, nothing more.
    """

    name = "malta_epps"

    # PublisherSpider
    country = "MT"
    publisher_name = "Department of Contracts: e-PPS"
    url = "https://www.etenders.gov.mt"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    facts_from = ("kingfisher-collect:malta@2026-07",)

    # EgpSpider
    portal = "http://demowww.etenders.gov.mt"
