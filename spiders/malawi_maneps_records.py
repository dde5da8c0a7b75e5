from crawler.spiders import IndexSpider


class MalawiManepsRecordsSpider(IndexSpider):
    """
    Publisher
      Public Procurement and Disposal of Assets Authority (PPDA): Malawi National Electronic Procurement System
      (MANEPS)
    API documentation
      https://maneps.mw/rms/api/docs
    Shape
      An index of OCIDs (POST ``rms/api/ocds/get-records``, a JSON body with ``skip`` and ``take``; ``total``
      counts them, ``items`` lists them); each OCID's record package is at ``rms/api/ocds/record-package/{ocid}``.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the index has no date filter)
    Caveats
      Some OCIDs hold a ``/``: the record package's URL then has one more path segment. The same API gives
      release packages (``release-package/{ocid}``): the records embed them.
    """

    name = "malawi_maneps_records"

    # PublisherSpider
    country = "MW"
    publisher_name = "PPDA: MANEPS"
    data_type = "record_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://maneps.mw"
    update_frequency = "daily"
    listings = True  # the index lists OCIDs; the record packages are OCDS
    dates_at_load = True
    facts_from = ("kingfisher-collect:malawi_records@2026-07", "https://maneps.mw/rms/api/docs")

    # IndexSpider
    start_url = "https://maneps.mw/rms/api/ocds/get-records"
    method = "POST"
    body_format = "json"
    total_pointer = "/total"
    page_size = 1000
    param_offset = "skip"
    param_limit = "take"
    items_pointer = "/items"
    item_url = "https://maneps.mw/rms/api/ocds/record-package/{ocid}"
