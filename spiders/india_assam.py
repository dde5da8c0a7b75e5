from crawler.spiders import ArchiveSpider


class IndiaAssamSpider(ArchiveSpider):
    """
    Publisher
      Finance Department, Government of Assam, with CivicDataLab: Assam Public Procurement Platform
    Bulk download documentation
      https://github.com/CivicDataLab/assam-tenders-data/tree/main/data
    Shape
      One zip (on GitHub, which redirects to ``raw.githubusercontent.com``) holding one release package of every
      tender, mapped to OCDS by CivicDataLab from the state's e-procurement system (GePNIC).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (the file has no filter)
    Caveats
      The zip also holds a macOS ``__MACOSX/._*`` resource fork, which is not read. Each release's ``id`` is the
      number 1 (not a string), ``tag`` is a string, and ``date`` is the day of the mapping, not of the tender.
      Fiscal years 2016-17 to 2022-23 (Data Registry).
    """

    name = "india_assam"

    # PublisherSpider
    country = "IN"
    publisher_name = "Government of Assam: Finance Department"
    data_type = "release_package"
    ocds_version = "1.1"
    level = "regional"
    region = "AS"
    url = "https://assam.open-contracting.in"
    licence = "https://opendatacommons.org/licenses/odbl/1-0/"
    update_frequency = "irregular"
    ocid_prefixes = ("ocds-f5kvwu-",)
    allowed_domains = ("github.com", "githubusercontent.com")  # the raw file redirects to raw.githubusercontent.com
    dates_at_load = True
    facts_from = (
        "kingfisher-collect:india_assam_civic_data_lab@2026-07",
        "https://github.com/CivicDataLab/assam-tenders-data/tree/main/data",
    )

    # ArchiveSpider
    start_urls = (
        "https://github.com/CivicDataLab/assam-tenders-data/raw/main/data/ProcessedData/ocds-mapped-data/current/"
        "ocds_mapped_data.json.zip",
    )
    member_pattern = "*.json"
