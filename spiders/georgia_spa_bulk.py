from crawler.spiders import ArchiveSpider


class GeorgiaSpaBulkSpider(ArchiveSpider):
    """
    Publisher
      State Procurement Agency of Georgia (SPA)
    Bulk download documentation
      https://odapi.spa.ge/publication-policy
    Shape
      One zip of every tender (``opendata.spa.ge/json/allTenders.zip``, about 450 MB), holding release packages.
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      The full dump, where the API (``georgia_spa_releases``, ``georgia_spa_records``) pages through the same
      processes; over HTTP only. The download takes long: it is streamed to the files store as it arrives.
    """

    name = "georgia_spa_bulk"

    # PublisherSpider
    country = "GE"
    publisher_name = "State Procurement Agency of Georgia"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://odapi.spa.ge"
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-3z43pn-",)
    dates_at_load = True
    facts_from = ("kingfisher-collect:georgia_opendata@2026-07", "https://odapi.spa.ge/publication-policy")

    # ArchiveSpider
    start_urls = ("http://opendata.spa.ge/json/allTenders.zip",)
    member_pattern = "*.json"
