from typing import Any, ClassVar

from crawler.spiders import IndexSpider

RECORDS = "https://eprocurement.ppcc.gov.lr/ocds/record/"


class LiberiaPpccReleasesSpider(IndexSpider):
    """
    Publisher
      Public Procurement and Concessions Commission (PPCC): e-Government Procurement System
    Bulk download documentation
      https://eprocurement.ppcc.gov.lr/ocds/report/home.action#/record
    Shape
      A search of the processes (``searchRecords.action``, POST, JSON body with ``page`` and ``pagesize``; the
      first page gives the number of processes at ``total``), each page's ``items`` naming a process by ``id``;
      each process's compiled release is a release package (``downloadRecord/{id}/COMPILED.action``).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Undocumented endpoints of the e-GP portal, used by its page of records. Every process as it stands now (one
      compiled release each), where ``liberia_ppcc`` has the monthly record packages.
    """

    name = "liberia_ppcc_releases"

    # PublisherSpider
    country = "LR"
    publisher_name = "Public Procurement and Concessions Commission (PPCC)"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence",)  # not in the reference crawler; not checkable offline
    url = "https://ppcc.gov.lr"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-dwjm7l-",)
    dates_at_load = True
    listings = True  # the search's pages
    facts_from = (
        "kingfisher-collect:liberia_releases@2026-07",
        "https://eprocurement.ppcc.gov.lr/ocds/report/home.action#/record",
    )

    # IndexSpider
    start_url = f"{RECORDS}searchRecords.action"
    total_pointer = "/total"
    page_size = 1000
    param_page = "page"
    param_limit = "pagesize"
    method = "POST"
    body_format = "json"
    body: ClassVar[dict[str, Any]] = {"sortField": "ocid", "sortDir": "asc"}
    items_pointer = "/items"
    item_url = f"{RECORDS}downloadRecord/{{id}}/COMPILED.action"
