from typing import Any, ClassVar

from crawler.spiders import ArchiveSpider


class NigeriaPortalSpider(ArchiveSpider):
    """
    Publisher
      Bureau of Public Procurement (BPP): Nigeria Open Contracting Portal (NOCOPO)
    Bulk download documentation
      https://nocopo.bpp.gov.ng/Open-Data
    Shape
      ``ocdsjson.ashx?ocid=all`` answers an HTML page whose meta refresh leads to a zip of release packages (the
      whole publication).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded (one file)
    Caveats
      Slow: the zip can take the better part of an hour to come (kingfisher-collect issue 1116), hence a one-hour
      download timeout; at times it answers 503. Some members are release packages with an empty ``releases``
      array (kingfisher-collect, 2026-04).
    """

    name = "nigeria_portal"

    # PublisherSpider
    country = "NG"
    publisher_name = "Bureau of Public Procurement: NOCOPO"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    url = "https://nocopo.bpp.gov.ng"
    update_frequency = "irregular"
    dates_at_load = True
    facts_from = ("kingfisher-collect:nigeria_portal@2026-07", "https://nocopo.bpp.gov.ng/Open-Data")
    custom_settings: ClassVar[dict[str, Any]] = {"DOWNLOAD_TIMEOUT": 3600}

    # ArchiveSpider
    start_urls = ("https://nocopo.bpp.gov.ng/ocdsjson.ashx?ocid=all",)
