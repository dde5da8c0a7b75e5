import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import IndexSpider

#: The year and month a listed file covers, from its URL (``…/api/v1/file/seace_v3/json/2024/01/``).
MONTH = re.compile(r"/(\d{4})/(\d{1,2})/?$")


class PeruOeceBulkSpider(IndexSpider):
    """
    Publisher
      Organismo Especializado para las Contrataciones Públicas Eficientes (OECE), formerly OSCE: SEACE v3
    Bulk download documentation
      https://contratacionesabiertas.oece.gob.pe/descargas
    Shape
      The list of files (``/api/v1/files?page=N&paginateBy=10&format=json``, paged from 1) answers
      ``{"pagination": {"num_pages": N, …}, "results": [{"files": {"json": URL, …}, …}]}``; each JSON file is a zip
      holding one record package (a month of SEACE v3: every process of the month, each record with its
      ``compiledRelease``).
    Spider arguments
      from_date, until_date: the months fetched (the year and month at the end of each file's URL; a file whose URL
      says neither is fetched)
    Caveats
      Moved: the OSCE became the OECE in 2025, and ``contratacionesabiertas.osce.gob.pe`` stopped resolving; the
      same API is on ``contratacionesabiertas.oece.gob.pe``, but some listed URLs still name the old host: they are
      fetched from the new one. Only the files the list names are fetched (it says which months exist, from when
      the publication starts).
    """

    name = "peru_oece_bulk"

    # PublisherSpider
    country = "PE"
    publisher_name = "Organismo Especializado para las Contrataciones Públicas Eficientes (OECE)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://contratacionesabiertas.oece.gob.pe"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "monthly"
    ocid_prefixes = ("ocds-dgv273-",)
    dates_at_load = False  # a month's file holds the processes of that month, with all their releases
    listings = True  # the pages of the list of files; the files they name are OCDS
    facts_from = (
        "kingfisher-collect:peru_oece_bulk@2026-07",
        "https://contratacionesabiertas.oece.gob.pe/descargas",
    )

    # IndexSpider
    start_url = "https://contratacionesabiertas.oece.gob.pe/api/v1/files?paginateBy=10&format=json"
    param_page = "page"
    total_pointer = "/pagination/num_pages"
    items_pointer = "/results"

    def item_requests(self, item: Any, response: Response) -> Iterator[Any]:
        url = listed_file(item)
        if url is None:
            message = "a file of the list has no files/json URL, so it was skipped"
            yield self.note("warning", "listed_file_unreadable", message, url=response.url, item=str(item)[:200])
            return
        found = MONTH.search(url)
        if found and not self.wants_month(int(found[1]), int(found[2])):
            return
        yield self.ocds_request(url)


def listed_file(item: Any) -> str | None:
    """The URL of a listed file's JSON, on the OECE's host (some still name the OSCE's), or None if it has none."""
    files = item.get("files") if isinstance(item, dict) else None
    url = files.get("json") if isinstance(files, dict) else None
    if not isinstance(url, str) or not url.startswith("http"):
        return None
    return url.replace("contratacionesabiertas.osce.gob.pe", "contratacionesabiertas.oece.gob.pe", 1)
