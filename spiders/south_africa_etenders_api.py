from datetime import timedelta

from crawler.spiders import PagedSpider, PeriodicSpider


class SouthAfricaEtendersApiSpider(PeriodicSpider, PagedSpider):
    """
    Publisher
      National Treasury: eTenders
    API documentation
      https://ocds-api.etenders.gov.za/swagger/index.html
    Shape
      Release packages by 7-day windows of release dates (``dateFrom``, ``dateTo``, ``PeriodicSpider``), each
      window paged from ``PageNumber=1`` with ``links.next`` (``PagedSpider``).
    Spider arguments
      from_date, until_date: the windows' bounds
    Caveats
      Each window's ``dateTo`` is the next one's ``dateFrom``, as kingfisher-collect asks: a release of that day
      can come twice. One request at a time: the API fails under concurrent requests. No registered OCID prefix;
      dates in other formats, no ``tag``, ``classifications`` for ``classification``, empty objects (issue 980 of
      kingfisher-collect).
    """

    name = "south_africa_etenders_api"

    # PublisherSpider
    country = "ZA"
    publisher_name = "National Treasury: eTenders"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.etenders.gov.za"
    update_frequency = "daily"
    concurrency = 1
    dates_at_load = False  # the windows are the publisher's own filter
    facts_from = (
        "kingfisher-collect:south_africa_national_treasury_api@2026-07",
        "https://ocds-api.etenders.gov.za/swagger/index.html",
    )

    # PeriodicSpider
    url_template = "https://ocds-api.etenders.gov.za/api/OCDSReleases?dateFrom={start}&dateTo={end}&PageNumber=1"
    period = timedelta(days=7)
    default_from_date = "2017-01-01"
