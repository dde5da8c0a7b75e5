from crawler.spiders import SimpleSpider


class ColombiaAniRecordsSpider(SimpleSpider):
    """
    Publisher
      Agencia Nacional de Infraestructura (ANI): Aniscopio
    Bulk download documentation
      https://aniscopio.ani.gov.co/datos-abiertos
    Shape
      One record package of every record (``/cost/records``), linked from the open-data page's OCDS tab.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Last updated by the publisher in 2021 (kingfisher-collect).
    """

    name = "colombia_ani_records"

    # PublisherSpider
    country = "CO"
    publisher_name = "Agencia Nacional de Infraestructura (ANI)"
    data_type = "record_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.ani.gov.co"
    update_frequency = "never"
    dates_at_load = True
    facts_from = ("kingfisher-collect:colombia_ani_records@2026-07", "https://aniscopio.ani.gov.co/datos-abiertos")

    # SimpleSpider
    start_urls = ("https://apicost.azurewebsites.net/cost/records",)
