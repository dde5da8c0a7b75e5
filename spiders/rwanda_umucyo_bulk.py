from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Response

from crawler.spiders import SimpleSpider

DATA_SET = "https://ocds.umucyo.gov.rw/opendata/api/v1/ui/data_set"


class RwandaUmucyoBulkSpider(SimpleSpider):
    """
    Publisher
      Rwanda Public Procurement Authority (RPPA): Umucyo e-procurement system
    Bulk download documentation
      https://ocds.umucyo.gov.rw/OpenData
    Shape
      A list of the monthly files by year (``available_datasets``: ``datasets.{year}`` is an array of names such as
      ``01-January-json.zip``, ``01-January-csv.zip``); each ``-json.zip`` is downloaded with
      ``download?year={year}&month_file={name}``: a zip of release packages.
    Spider arguments
      from_date, until_date: the months fetched (those that meet the dates); applied to release dates too
    Caveats
      Monthly files since 2013-12, where the API (``rwanda_umucyo``) starts in 2016. Non-commercial licence.
    """

    name = "rwanda_umucyo_bulk"

    # PublisherSpider
    country = "RW"
    publisher_name = "Rwanda Public Procurement Authority (RPPA)"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://www.rppa.gov.rw"
    licence = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-ozzobm-",)
    dates_at_load = True
    listings = True  # the list of monthly files
    facts_from = ("kingfisher-collect:rwanda_bulk@2026-07", "https://ocds.umucyo.gov.rw/OpenData")

    # SimpleSpider
    start_urls = (f"{DATA_SET}/available_datasets",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        years = yield from self.listing_json(
            response, "datasets", code="datasets_unreadable", what="the list", kind=dict
        )
        for year, names in (years or {}).items():
            for name in names if isinstance(names, list) else []:
                if not (isinstance(name, str) and name.endswith("-json.zip")):
                    continue
                try:
                    first = date(int(year), int(name[:2]), 1)
                except ValueError:
                    continue
                last = date(first.year + first.month // 12, first.month % 12 + 1, 1).toordinal() - 1
                if self.within_dates(first, date.fromordinal(last)):
                    yield self.ocds_request(f"{DATA_SET}/download?{urlencode({'year': year, 'month_file': name})}")
