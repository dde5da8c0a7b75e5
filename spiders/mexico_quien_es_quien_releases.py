from crawler.spiders import IndexSpider, PeriodicSpider


class MexicoQuienEsQuienReleasesSpider(IndexSpider, PeriodicSpider):
    """
    Publisher
      QuiénEsQuién.Wiki (PODER)
    API documentation
      https://qqwapi-elastic.readthedocs.io/es/latest/
    Shape
      ``/v3/contracts?start_date_min=&start_date_max=`` by day (``PeriodicSpider``), each day paged with ``offset``
      and ``limit=1000`` (``IndexSpider``): a page is ``{"count": N, "data": [releases]}``, ``count`` counting the
      day's releases.
    Spider arguments
      from_date, until_date: the days requested (default 1999-01-01 to 2021-12-31), by the contracts' start dates
    Caveats
      No longer updated: last updated by the publisher in 2021 (kingfisher-collect). Elasticsearch refuses to page
      past 10,000 results ("Search size is bigger than 10000"), hence one index per day. kingfisher-collect asks
      two-day windows that overlap by a day; here each day is asked once, reading ``start_date_min`` and
      ``start_date_max`` as inclusive, as their names say (were the maximum exclusive, every day would answer
      ``count`` 0 and the crawl store nothing).
    """

    name = "mexico_quien_es_quien_releases"

    # PublisherSpider
    country = "MX"
    publisher_name = "QuiénEsQuién.Wiki"
    data_type = "release"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://www.quienesquien.wiki"
    update_frequency = "never"
    root_path = "data.item"
    dates_at_load = False  # the days are the publisher's own filter (by the contracts' start dates)
    facts_from = (
        "kingfisher-collect:mexico_quien_es_quien_releases@2026-07",
        "https://qqwapi-elastic.readthedocs.io/es/latest/",
        "https://api.quienesquien.wiki/v3/docs/",
    )

    # IndexSpider
    total_pointer = "/count"
    page_size = 1000  # 10,000 or more is refused by Elasticsearch
    param_offset = "offset"
    param_limit = "limit"

    # PeriodicSpider
    url_template = "https://api.quienesquien.wiki/v3/contracts?start_date_min={start}&start_date_max={end}"
    period = "day"
    default_from_date = "1999-01-01"
    default_until_date = "2021-12-31"
