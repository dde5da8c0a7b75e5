from typing import Any, ClassVar

from crawler.spiders import IndexSpider

PORTAL = "https://nest.go.tz/gateway/nest-data-portal-api"


class TanzaniaNestBulkSpider(IndexSpider):
    """
    Publisher
      Public Procurement Regulatory Authority (PPRA): National e-Procurement System of Tanzania (NeST) Data Portal
    Bulk download documentation
      https://data.nest.go.tz/ocds
    Shape
      A search of the portal's packages (``/packages?withMetaData=true``, POST, JSON body: ``page`` from 1,
      ``pageSize`` at most 200, sort fields and filters; the count at ``recordsFilteredCount``), filtered to the
      daily release packages; each item's ``fileName`` is downloaded (``/api/packages/download/{fileName}``).
    Spider arguments
      from_date, until_date: the search's filter on the packages' days (``startDate``, ``endDate``); without
      them, every daily package (since 2022)
    Caveats
      Undocumented endpoints of the data portal. The same releases as the API (``tanzania_nest``), a day a file;
      the portal also has monthly packages and record packages, not fetched here.
    """

    name = "tanzania_nest_bulk"

    # PublisherSpider
    country = "TZ"
    publisher_name = "Public Procurement Regulatory Authority: NeST"
    data_type = "release_package"
    ocds_version = "1.1"
    url = "https://nest.go.tz"
    licence = "https://creativecommons.org/licenses/by-sa/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-mv5oob-",)
    dates_at_load = False  # the search's own filter
    listings = True  # the search's pages
    facts_from = ("kingfisher-collect:tanzania_bulk_releases@2026-07", "https://data.nest.go.tz/ocds")

    # IndexSpider
    start_url = f"{PORTAL}/packages?withMetaData=true"
    total_pointer = "/recordsFilteredCount"
    page_size = 200
    items_pointer = "/data"
    item_url = f"{PORTAL}/api/packages/download/{{fileName}}"
    param_page = "page"
    param_limit = "pageSize"
    method = "POST"
    body_format = "json"
    body: ClassVar[dict[str, Any]] = {
        "fields": [{"fieldName": "endDate", "isSortable": True, "orderDirection": "DESC"}],
    }

    def date_filter(self) -> dict[str, Any]:
        # Daily release packages only; the dates filter the packages' first and last days.
        filters: list[dict[str, str]] = [
            {"fieldName": "periodType", "operation": "EQ", "value1": "daily"},
            {"fieldName": "dataType", "operation": "EQ", "value1": "release"},
        ]
        if self.from_date or self.until_date:
            first = (self.from_date.isoformat() if self.from_date else "2022-01-01") + "T00:00:00"
            last = (self.until_date.isoformat() if self.until_date else "9999-12-31") + "T23:59:59"
            for field in ("startDate", "endDate"):
                filters.append({"fieldName": field, "operation": "BTN", "value1": first, "value2": last})
        return {"mustHaveFilters": filters}
