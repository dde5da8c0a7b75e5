from datetime import timedelta

from crawler.spiders import PeriodicSpider


class KosovoPprcSpider(PeriodicSpider):
    """
    Publisher
      Public Procurement Regulatory Commission (PPRC / KRPP)
    API documentation
      https://ocdskrpp.rks-gov.net/Help
    Shape
      Release packages of the tenders whose tender period ends in a window (``endDateFrom`` included,
      ``endDateEnd`` excluded), one request per day: the API is slow even for short periods.
    Spider arguments
      from_date, until_date: the days of tender period end dates requested (not the release dates)
    Caveats
      A day without tenders is a release package with an empty ``releases`` array. About ten thousand requests
      from 2000: use ``from_date``.
    """

    name = "kosovo_pprc"

    # PublisherSpider
    country = "XK"  # Kosovo's user-assigned code, as the Data Registry uses it
    publisher_name = "Public Procurement Regulatory Commission (PPRC)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://ocdskrpp.rks-gov.net"
    update_frequency = "daily"
    dates_at_load = False  # the days filter tender end dates, not release dates
    facts_from = ("kingfisher-collect:kosovo@2026-07", "https://ocdskrpp.rks-gov.net/Help")

    # PeriodicSpider
    url_template = "https://ocdskrpp.rks-gov.net/krppapi/tenderrelease?endDateFrom={start}&endDateEnd={end}"
    period = timedelta(days=1)
    default_from_date = "2000-01-01"
