"""The Contrataciones Abiertas platform (EDCA-MX, built for INAI and run by several transparency institutes and
municipalities): one document of release packages per fiscal year."""

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from crawler.spiders import PeriodicSpider

EDCA_FACTS = (
    "kingfisher-collect:mexico_inai_base@2026-07",
    "https://github.com/datosabiertosmx/contrataciones-abiertas-infraestructura",
)


class MexicoEdcaBase(PeriodicSpider):
    """
    A publisher on the Contrataciones Abiertas platform. Each spider declares its ``platform_url`` (the API's
    origin, usually on port 3000) and ``default_from_date`` (its first fiscal year), and whether the platform lists
    its fiscal years (``fiscal_years_listed``, default True: ``{platform_url}/edca/fiscalYears`` answers
    ``{"fiscalYears": [{"year": 2021, …}]}``, and the years listed between ``from_date`` and ``until_date`` are
    fetched); else every year from ``default_from_date`` (or ``from_date``) to ``until_date`` (or this year) is.

    Each year is ``{platform_url}/edca/contractingprocess/{year}``: an object whose ``arrayReleasePackage`` is an
    array of release packages. Whole years are fetched: ``from_date`` and ``until_date`` also apply to release dates
    as they are loaded.
    """

    abstract = True
    platform_url: ClassVar[str]
    fiscal_years_listed: ClassVar[bool] = True

    # PublisherSpider
    country = "MX"
    data_type = "release_package"
    ocds_version = "1.1"
    root_path = "arrayReleasePackage.item"
    dates_at_load = True
    listings = True  # the list of fiscal years is not OCDS; each year's document is

    # PeriodicSpider
    period = "year"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Each year's URL is the platform's: set before PeriodicSpider checks that it is declared.
        if isinstance(cls.__dict__.get("platform_url"), str) and cls.platform_url:
            cls.url_template = cls.platform_url + "/edca/contractingprocess/{year}"
        super().__init_subclass__(**kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.fiscal_years_listed:
            yield self.request(f"{self.platform_url}/edca/fiscalYears")
            return
        for url, window in self.window_urls().items():
            yield self.ocds_request(url, meta={"period_window": window})

    def parse_listing(self, response: Response) -> Iterator[Any]:
        years = yield from self.listing_json(
            response, "fiscalYears", code="fiscal_years_unreadable", what="the list of fiscal years", kind=list
        )
        if years is None:
            return
        for item in years:
            year = item.get("year") if isinstance(item, dict) else None
            if not str(year).isdigit():
                yield self.note("warning", "fiscal_year_unreadable", "a fiscal year has no year", item=item)
                continue
            if self.from_date and int(year) < self.from_date.year:
                continue
            if self.until_date and int(year) > self.until_date.year:
                continue
            yield self.ocds_request(self.url_template.format(year=int(year)))
