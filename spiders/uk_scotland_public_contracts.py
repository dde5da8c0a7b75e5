from crawler.spiders.proactis import ProactisSpider


class UkScotlandPublicContractsSpider(ProactisSpider):
    """
    Publisher
      Scottish Government: Public Contracts Scotland
    API documentation
      https://api.publiccontractsscotland.gov.uk/v1
    Bulk download documentation
      https://www.publiccontractsscotland.gov.uk/NoticeDownload/Download.aspx
    Shape
      One release package per month (``dateFrom=MM-YYYY``) and notice type (``noticeType``): the EU forms and the
      site notices 101 to 104, from 2019.
    Spider arguments
      from_date, until_date: the months fetched; applied to release dates too
    Caveats
      A month without notices of a type answers a package without ``releases`` (noted, not loaded). The
      packages' ``publishedDate`` is the day of the request: the OCDS is generated on the fly.
    """

    name = "uk_scotland_public_contracts"

    # PublisherSpider
    country = "GB"
    publisher_name = "Public Contracts Scotland"
    level = "regional"
    region = "SCT"
    url = "https://www.publiccontractsscotland.gov.uk"
    unchecked = ("licence",)  # not in the reference crawler; not checkable offline
    ocid_prefixes = ("ocds-r6ebe6-",)
    facts_from = (
        "kingfisher-collect:united_kingdom_scotland@2026-07",
        "https://api.publiccontractsscotland.gov.uk/v1",
    )

    # ProactisSpider
    api = "https://api.publiccontractsscotland.gov.uk"
    site_notice_types = (
        101,  # Website Contract Notice
        102,  # Website Prior Information Notice
        103,  # Website Contract Award Notice
        104,  # Quick Quote Award
    )
