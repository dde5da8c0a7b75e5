"""``PublisherSpider``: what every spider inherits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from aggregator import settings as atlas_settings
from aggregator.crawls import PublisherInfo
from crawler.files import FilesStore
from crawler.items import CrawlNote, FailedRequest, StoredFile

DATA_TYPES = (
    "release_package",
    "record_package",
    "release",
    "record",
    "release_package_list",
    "record_package_list",
    "release_list",
    "record_list",
    "compiled_release",
)
OCDS_VERSIONS = ("1.0", "1.1")
LEVELS = ("national", "regional", "city")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class PublisherSpider(scrapy.Spider):
    """
    The base of every spider. A spider declares, as class attributes:

    name
      The spider's name, equal to its file's name; also the publisher's key in the database.
    country
      The publisher's country, ISO 3166-1 alpha-2 (``XA`` to ``XZ`` are for the sandbox).
    publisher_name
      The publisher's name, as it calls itself.
    data_type
      What the responses hold: one of ``DATA_TYPES``.
    ocds_version
      ``1.0`` or ``1.1``: the version the publisher uses when its packages do not say.
    level, region, url, licence, update_frequency, ocid_prefixes
      Optional metadata stored in ``publisher``.
    encoding
      The responses' encoding when it is not UTF-8 (else a legacy encoding is detected, with a note).
    root_path
      Where the OCDS is inside another envelope: dot-separated keys, ``item`` for each element of an array
      (e.g. ``data.item``, ``releasePackage``).

    Spider arguments (``-a name=value``): ``sample`` (stop after this many releases or records),
    ``from_date`` and ``until_date`` (``YYYY-MM-DD``, passed to the publisher's own filter where it has one).

    Every response body is written to the files store before anything parses it.
    """

    #: Base classes set this to True; it exempts them from the declaration checks.
    abstract: ClassVar[bool] = True

    country: ClassVar[str]
    publisher_name: ClassVar[str]
    data_type: ClassVar[str]
    ocds_version: ClassVar[str]
    level: ClassVar[str] = "national"
    region: ClassVar[str | None] = None
    url: ClassVar[str | None] = None
    licence: ClassVar[str | None] = None
    update_frequency: ClassVar[str | None] = None
    ocid_prefixes: ClassVar[tuple[str, ...]] = ()
    is_sandbox: ClassVar[bool] = False
    encoding: ClassVar[str | None] = None
    root_path: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False):
            check_declarations(cls)

    def __init__(
        self,
        *args: Any,
        sample: str | int | None = None,
        from_date: str | None = None,
        until_date: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sample = _positive_int("sample", sample)
        self.from_date = _date("from_date", from_date)
        self.until_date = _date("until_date", until_date)
        if self.from_date and self.until_date and self.from_date > self.until_date:
            raise ValueError(f"from_date {self.from_date} is after until_date {self.until_date}")
        self.crawl_start = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.files = FilesStore(atlas_settings.files_store(), self.name, self.crawl_start)
        self.crawl_id: int | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        return {"sample": self.sample, "from_date": self.from_date, "until_date": self.until_date}

    @classmethod
    def publisher_info(cls) -> PublisherInfo:
        return PublisherInfo(
            name=cls.name,
            title=cls.publisher_name,
            country=cls.country,
            spider=cls.name,
            region=cls.region,
            level=cls.level,
            url=cls.url,
            licence=cls.licence,
            ocds_version=cls.ocds_version,
            data_type=cls.data_type,
            update_frequency=cls.update_frequency,
            ocid_prefixes=list(cls.ocid_prefixes),
            is_sandbox=cls.is_sandbox,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_requests_urls():
            yield self.request(url)

    def start_requests_urls(self) -> list[str]:
        raise NotImplementedError

    def request(self, url: str, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(self.resolve(url), callback=self.parse, errback=self.failed, **kwargs)

    def resolve(self, url: str) -> str:
        """Fill ``{sandbox}`` with where the sandbox publishers are served."""
        if "{sandbox}" in url:
            base = self.settings.get("OCDS_ATLAS_SANDBOX_URL")
            if not base:
                raise ValueError("OCDS_ATLAS_SANDBOX_URL is not set: run `ocds-atlas crawl`, which serves the sandbox")
            url = url.replace("{sandbox}", base.rstrip("/"))
        return url

    def parse(self, response: Response) -> Iterator[Any]:
        path = self.files.write(response.url, response.body)
        yield StoredFile(str(path), response.url, response.status)
        yield from self.follow(response)

    def follow(self, response: Response) -> Iterator[Any]:
        """Further requests found in a response; the base follows nothing."""
        return iter(())

    def failed(self, failure: Failure) -> Iterator[Any]:
        response = getattr(failure.value, "response", None)
        url = response.url if response is not None else failure.request.url
        status = response.status if response is not None else None
        yield FailedRequest(url, status, f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def note(self, level: str, code: str, message: str, **data: Any) -> CrawlNote:
        return CrawlNote(level, code, message, data)


def check_declarations(cls: type[PublisherSpider]) -> None:
    """Refuse a spider class that lacks a declaration or declares one wrongly."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    for attribute in ("name", "country", "publisher_name", "data_type", "ocds_version"):
        if not isinstance(getattr(cls, attribute, None), str) or not getattr(cls, attribute):
            raise TypeError(f"{where} must declare {attribute} (a non-empty string)")
    if not _COUNTRY.match(cls.country):
        raise TypeError(f"{where}.country must be an ISO 3166-1 alpha-2 code, not {cls.country!r}")
    if cls.data_type not in DATA_TYPES:
        raise TypeError(f"{where}.data_type must be one of {', '.join(DATA_TYPES)}, not {cls.data_type!r}")
    if cls.ocds_version not in OCDS_VERSIONS:
        raise TypeError(f"{where}.ocds_version must be one of {', '.join(OCDS_VERSIONS)}")
    if cls.level not in LEVELS:
        raise TypeError(f"{where}.level must be one of {', '.join(LEVELS)}")
    if cls.name.startswith("sandbox_") != cls.is_sandbox:
        raise TypeError(f"{where}: sandbox spiders, and only they, are named sandbox_* and set is_sandbox")


def _positive_int(name: str, value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1")
    return number


def _date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None
