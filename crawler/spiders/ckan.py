"""``CkanSpider``: a dataset of a CKAN portal, whose resources are the OCDS files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.spiders.base import PublisherSpider


class CkanSpider(PublisherSpider):
    """
    ckan_url
      The portal's address, before ``/api/3/action/``.
    ckan_dataset
      The dataset's id or name: its description (``package_show``) is read as a listing, kept but not loaded.
    ckan_formats
      The formats of the resources to load (default ``("JSON",)``; compared without case); the others are not
      fetched.

    A spider whose resources each cover a period defines :meth:`resource_period`: those outside ``from_date`` and
    ``until_date`` are not fetched.
    """

    abstract = True
    listings = True
    ckan_url: ClassVar[str]
    ckan_dataset: ClassVar[str]
    ckan_formats: ClassVar[tuple[str, ...]] = ("JSON",)

    def start_requests_urls(self) -> list[str]:
        return [f"{self.ckan_url.rstrip('/')}/api/3/action/package_show?id={self.ckan_dataset}"]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        resources = yield from self.listing_json(
            response, "result", "resources", code="ckan_dataset_unreadable", what="the CKAN dataset", kind=list
        )
        if resources is None:
            return
        formats = {fmt.upper() for fmt in self.ckan_formats}
        for resource in resources:
            if not isinstance(resource, dict) or str(resource.get("format", "")).upper() not in formats:
                continue
            url = resource.get("url")
            period = self.resource_period(resource)
            if url and (period is None or self.within_dates(*period)):
                yield self.ocds_request(response.urljoin(url))

    def resource_period(self, resource: dict[str, Any]) -> tuple[date, date] | None:
        """The first and last days a resource covers, or None when unknown (then it is always fetched)."""
        return None
