"""``ProactisSpider``: the portals built on Proactis (Public Contracts Scotland, Sell2Wales), one API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
from scrapy.http import Response

from aggregator.raw import gcpause
from crawler.spiders.periodic import PeriodicSpider

#: The path of a month's notices of one type, after a portal's API address; ``outputType=0`` is OCDS.
NOTICES = "/v1/Notices?dateFrom={start}&outputType=0&noticeType={notice_type}"
#: The notice types every portal publishes: the EU forms (OJEU F1 to F25).
OJEU_NOTICE_TYPES = (1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25)


class ProactisSpider(PeriodicSpider):
    """
    A portal's API: one release package per month (``dateFrom=MM-YYYY``) and notice type (``noticeType``), from
    2019. A month without notices of a type answers a package without ``releases``: kept, not loaded, noted
    (``no_notices``).

    api
      The portal's API address (``https://api.sell2wales.gov.wales``).
    site_notice_types
      The portal's own notice types, requested with ``OJEU_NOTICE_TYPES`` (the EU forms every portal has).
    """

    abstract = True
    api: ClassVar[str]
    site_notice_types: ClassVar[tuple[int, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if not cls.__dict__.get("abstract", False):
            cls.url_template = cls.api + NOTICES
            cls.url_variants = {"notice_type": (*OJEU_NOTICE_TYPES, *cls.site_notice_types)}
        super().__init_subclass__(**kwargs)

    # PublisherSpider
    data_type = "release_package"
    ocds_version = "1.1"
    update_frequency = "daily"
    dates_at_load = True  # whole months are fetched

    # PeriodicSpider
    period = "month"
    date_format = "%m-%Y"
    default_from_date = "2019-01-01"

    def parse(self, response: Response) -> Iterator[Any]:
        # A month without notices of a type is a package without a releases array: nothing to load.
        if response.status == 200 and without_releases(response.body):
            self.keep_unloaded(response)
            message = "the package has no releases array: no notices of this type this month"
            yield self.note("info", "no_notices", message, url=response.url)
            return
        yield from super().parse(response)


def without_releases(body: bytes) -> bool:
    """Whether a body is a JSON object without ``releases`` (anything else is left to the loader)."""
    try:
        with gcpause.paused():  # parsed whole for one key (see aggregator.raw.gcpause)
            value = orjson.loads(body)
            return isinstance(value, dict) and "releases" not in value
    except orjson.JSONDecodeError:
        return False
