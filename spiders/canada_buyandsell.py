from crawler.spiders import ArchiveSpider


class CanadaBuyandsellSpider(ArchiveSpider):
    """
    Publisher
      Public Works and Government Services Canada (PWGSC): buyandsell.gc.ca
    Bulk download documentation
      https://open.canada.ca/data/en/dataset/0f1c0e5f-2ad4-4d1e-a4e9-3f5b8ba2ab63
    Shape
      One zip of release packages (OCDS 1.0), one per contracting process.
    Caveats
      A pilot that ended in 2017: the data does not change any more.
    """

    name = "canada_buyandsell"

    # PublisherSpider
    country = "CA"
    publisher_name = "Public Works and Government Services Canada: buyandsell.gc.ca"
    data_type = "release_package"
    ocds_version = "1.0"
    url = "https://buyandsell.gc.ca"
    licence = "https://open.canada.ca/en/open-government-licence-canada"
    update_frequency = "never"
    ocid_prefixes = ("ocds-34a6hz-",)
    facts_from = (
        "kingfisher-collect:canada_buyandsell@2026-07",
        "https://open.canada.ca/data/en/dataset/0f1c0e5f-2ad4-4d1e-a4e9-3f5b8ba2ab63",
    )

    # ArchiveSpider
    start_urls = ("https://donnees-data.tpsgc-pwgsc.gc.ca/ba2/pilot-oc-pilote-co/releases.zip",)
    member_pattern = "*.json"
