from collections.abc import Iterator
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.settings import RETRY_HTTP_CODES
from crawler.spiders import SimpleSpider

MONTH_TIMEOUT = 3600  # seconds: a month's zip is 30 to 100 MB, and the default is 3 minutes


class GuatemalaGuatecomprasBulkSpider(SimpleSpider):
    """
    Publisher
      Ministerio de Finanzas Públicas: Dirección General de Adquisiciones del Estado (Guatecompras)
    Bulk download documentation
      https://ocds.guatecompras.gt/descarga-datos
    Shape
      The list of files (``/files``) answers ``{"result": [{"year": "2024", "month": "11", "files": {"json": URL,
      "csv": …, "xlsx": …, "sha": …}, "timestamp": …}, …]}``, one entry a month; each JSON file is a zip holding one
      record package: every process of the month, each record with its releases linked and its
      ``compiledRelease``.
    Spider arguments
      from_date, until_date: the months fetched (each entry's ``year`` and ``month``)
    Caveats
      Without a browser's User-Agent the server answers 403. It fails under concurrent requests, sometimes with a
      400 that a retry cures: one request at a time, and 400 is retried. The packages are large (a month's JSON
      can pass 250 MB): they are read incrementally. Processes before 2020 are not published; only the months the
      list names are fetched. The current month's file is regenerated daily.
    """

    name = "guatemala_guatecompras_bulk"

    # PublisherSpider
    country = "GT"
    publisher_name = "Guatecompras (Ministerio de Finanzas Públicas)"
    data_type = "record_package"
    ocds_version = "1.1"
    url = "https://www.guatecompras.gt"
    licence = "https://creativecommons.org/licenses/by/4.0/"
    update_frequency = "daily"
    ocid_prefixes = ("ocds-xqjsxa-",)
    dates_at_load = False  # a month's file holds the processes of that month, with all their releases
    listings = True  # the list of files; the files it names are OCDS
    browser_user_agent = True
    concurrency = 1
    custom_settings: ClassVar[dict[str, Any]] = {
        "DOWNLOAD_TIMEOUT": MONTH_TIMEOUT,
        "RETRY_HTTP_CODES": [*RETRY_HTTP_CODES, 400],
    }
    facts_from = (
        "kingfisher-collect:guatemala_bulk@2026-07",
        "https://ocds.guatecompras.gt/descarga-datos",
    )

    # SimpleSpider
    start_urls = ("https://ocds.guatecompras.gt/files",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        code, what = "file_list_unreadable", "the list of files"
        entries = yield from self.listing_json(response, "result", code=code, what=what, kind=list)
        if entries is None:
            return
        for entry in entries:
            listed = listed_month(entry)
            if listed is None:
                message = "an entry of the list of files lacks its year, month or files/json URL, so it was skipped"
                yield self.note("warning", "listed_file_unreadable", message, url=response.url, entry=str(entry)[:200])
            elif self.wants_month(listed[0], listed[1]):
                yield self.ocds_request(listed[2])


def listed_month(entry: Any) -> tuple[int, int, str] | None:
    """The year, month and JSON file's URL of an entry of the list of files, or None if it lacks one of them."""
    if not isinstance(entry, dict):
        return None
    files = entry.get("files")
    url = files.get("json") if isinstance(files, dict) else None
    try:
        year, month = int(entry.get("year")), int(entry.get("month"))
    except (TypeError, ValueError):
        return None
    if not isinstance(url, str) or not url.startswith("http") or not 1 <= month <= 12:
        return None
    return year, month, url
