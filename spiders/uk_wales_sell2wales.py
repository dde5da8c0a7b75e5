from crawler.spiders.proactis import ProactisSpider


class UkWalesSell2WalesSpider(ProactisSpider):
    """
    Publisher
      Welsh Government: Sell2Wales
    API documentation
      https://api.sell2wales.gov.wales/v1
    Bulk download documentation
      https://www.sell2wales.gov.wales/Notice/Download/Download.aspx
    Shape
      One release package per month (``dateFrom=MM-YYYY``) and notice type (``noticeType``): the EU forms and the
      site notices 51 to 56, from 2019.
    Spider arguments
      from_date, until_date: the months fetched; applied to release dates too
    Caveats
      A month without notices of a type answers a package without ``releases`` (noted, not loaded). The
      packages' ``publishedDate`` is the day of the request: the OCDS is generated on the fly.
    """

    name = "uk_wales_sell2wales"

    # PublisherSpider
    country = "GB"
    publisher_name = "Sell2Wales"
    level = "regional"
    region = "WLS"
    url = "https://www.sell2wales.gov.wales"
    unchecked = ("licence",)  # not in the reference crawler; not checkable offline
    ocid_prefixes = ("ocds-kuma6s-",)
    facts_from = ("kingfisher-collect:united_kingdom_wales@2026-07", "https://api.sell2wales.gov.wales/v1")

    # ProactisSpider
    api = "https://api.sell2wales.gov.wales"
    site_notice_types = (
        51,  # Website Invitation to Tender Notice
        52,  # Website Prior Information Notice
        53,  # Website Contract Award Notice
        54,  # Sub Contract Pre Award
        55,  # Sub Contract Post Award
        56,  # Sub Contract Award
    )
