import io
from collections.abc import Generator, Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders import SimpleSpider
from crawler.spiders.declarations import OCDS_DATA

REPOSITORY = "CivicDataLab/himachal-pradesh-health-procurement-OCDS"
#: The sheet of package metadata, a name and a value a row (flattentool's "metatab", vertical).
META_SHEET = "Meta"


class IndiaHimachalPradeshSpider(SimpleSpider):
    """
    Publisher
      Government of Himachal Pradesh: Finance Department (health procurement, published by CivicDataLab)
    Bulk download documentation
      https://github.com/CivicDataLab/himachal-pradesh-health-procurement-OCDS/
    Shape
      XLSX workbooks in flattentool's layout (a release a row, one sheet per array, package metadata in a ``Meta``
      sheet), in a GitHub repository: its tree (GitHub's API, ``git/trees/master``) lists them, and each is
      downloaded from ``github.com/…/raw/master/{path}``, which redirects to ``raw.githubusercontent.com``. Each
      workbook is converted to a release package (``data_format``).
    Spider arguments
      from_date, until_date: applied to release dates as they are loaded
    Caveats
      Last updated by the publisher in 2020. A tree that GitHub says is truncated is noted (some files would be
      missed). The ``Meta`` sheet holds the package's metadata as rows of name and value, which flattentool reads
      only when told (``metatab``) and the project's conversion does not: it is taken out of the workbook before
      loading (the workbook as downloaded is kept), with a note, so that its rows do not become releases.
    """

    name = "india_himachal_pradesh"

    # PublisherSpider
    country = "IN"
    publisher_name = "Government of Himachal Pradesh: Finance Department"
    data_type = "release_package"
    ocds_version = "1.1"
    unchecked = ("licence", "ocid_prefixes")  # not in the reference crawler; not checkable offline
    level = "regional"
    region = "HP"
    url = "https://himachal.nic.in/en-IN/finance.html"
    update_frequency = "never"
    data_format = "xlsx"
    dates_at_load = True
    listings = True  # the repository's tree
    allowed_domains = ("github.com", "githubusercontent.com")
    facts_from = (
        "kingfisher-collect:india_himachal_pradesh_civic_data_lab@2026-07",
        "https://github.com/CivicDataLab/himachal-pradesh-health-procurement-OCDS/",
    )

    # SimpleSpider
    start_urls = (f"https://api.github.com/repos/{REPOSITORY}/git/trees/master",)

    def parse(self, response: Response) -> Iterator[Any]:
        if response.meta.get(OCDS_DATA):
            response = yield from self.without_meta_sheet(response)
        yield from super().parse(response)

    def without_meta_sheet(self, response: Response) -> Generator[Any, None, Response]:
        """The workbook without its ``Meta`` sheet; as it is when it has none or cannot be read."""
        from openpyxl import load_workbook  # imported here: only this spider reads workbooks

        try:
            workbook = load_workbook(io.BytesIO(response.body))
        except Exception:  # openpyxl raises many kinds; the conversion will say what is wrong
            return response
        if META_SHEET not in workbook.sheetnames:
            return response
        original = self.keep_unloaded(response)
        workbook.remove(workbook[META_SHEET])
        buffer = io.BytesIO()
        workbook.save(buffer)
        message = f"the {META_SHEET} sheet (package metadata) is left out of the conversion"
        yield self.note("info", "meta_sheet_left_out", message, url=response.url, original=original)
        return response.replace(body=buffer.getvalue())

    def parse_listing(self, response: Response) -> Iterator[Any]:
        tree = yield from self.listing_json(response, code="tree_unreadable", what="the repository's tree", kind=dict)
        if tree is None:
            return
        if tree.get("truncated"):
            message = "GitHub truncated the repository's tree: the files it leaves out are not fetched"
            yield self.note("warning", "tree_truncated", message, url=response.url)
        for node in tree.get("tree") or []:
            path = node.get("path", "") if isinstance(node, dict) else ""
            if path.lower().endswith(".xlsx"):
                # Downloaded outside the API, whose rate limit is low.
                yield self.ocds_request(f"https://github.com/{REPOSITORY}/raw/master/{path}?raw=true")
