"""``RegistrySpider``: a publication of the OCP Data Registry, as the compiled releases the registry offers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any, ClassVar, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spiderloader import get_spider_loader

from aggregator.raw.crawls import LEARNT_STAT, UNKNOWN_COUNTRY, PublisherInfo
from crawler.spiders.base import PublisherSpider

REGISTRY = "https://data.open-contracting.org"
#: Every public publication, with its title, country name, frequencies and the date range of its data.
LISTING_URL = f"{REGISTRY}/en/publications.json"
#: The registry's refresh frequency of a publication, as our ``update_frequency`` words say it.
RETRIEVAL_FREQUENCIES = {
    "MONTHLY": "monthly",
    "HALF_YEARLY": "every six months",
    "ANNUALLY": "annually",
    "NEVER": "never",
}
LIST = "list"
#: ``publication=unserved``: list the publications whose source no available spider here crawls.
UNSERVED = "unserved"
#: A ``facts_from`` entry naming the reference crawler's spider, whose name is the registry's ``source_id``.
_KINGFISHER = re.compile(r"^kingfisher-collect:([A-Za-z0-9_]+)@")
_JSON_LD = re.compile(r'<script[^>]*type="application/ld\+json"[^>]*>(.*?)</script>', re.DOTALL | re.IGNORECASE)
_FLAG = re.compile(r"/flags/([a-z]{2})(?:\.[0-9a-f]+)?\.svg")
_DOWNLOAD = re.compile(r"download\?name=(full|undated|\d{4})\.jsonl\.gz")
#: The file of the compiled releases without a date, which no year's file holds (the registry offers it since
#: 2026-07: kingfisher-collect issues 1043 and 1098).
UNDATED = "undated"


def publication_url(publication: int) -> str:
    return f"{REGISTRY}/en/publication/{publication}"


def download_url(publication: int, name: str) -> str:
    """The compiled releases of a publication, as gzipped JSON lines: ``full``, one year's (``2021``), or those
    without a date (``undated``)."""
    return f"{publication_url(publication)}/download?name={name}.jsonl.gz"


class RegistrySpider(PublisherSpider):
    """
    publication
      The publication's number in the registry (``https://data.open-contracting.org/en/publication/<number>``).

    A crawl reads the registry's listing (``/en/publications.json``) to find the publication and its refresh
    frequency, then the publication's page for its country (the flag it shows: a declared country must be the
    same, else nothing is downloaded; a publisher declared in ``UNKNOWN_COUNTRY`` takes it when the crawl
    closes), its licence and the files it offers; then it downloads the compiled releases: ``full.jsonl.gz``, or
    with ``from_date`` or ``until_date`` the files of the years they span (``<year>.jsonl.gz``, bounds also
    applied to release dates as they are loaded) and the releases without a date (``undated.jsonl.gz``, which no
    year's file holds). A year the registry does not offer is skipped with a note. What the registry says about
    the publication (title, source, licence, refresh frequency, country) updates the publisher's row when the
    crawl closes. The publisher is stored with ``via = 'data_registry'``.
    """

    abstract = True
    publication: ClassVar[int | None] = None
    via: ClassVar[str] = "data_registry"
    data_type = "compiled_release"
    ocds_version = "1.1"
    dates_at_load = True
    allowed_domains = ("data.open-contracting.org",)

    def __init__(self, *args: Any, publication: str | int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        value = publication if publication is not None else self.publication
        #: ``publication=list``: print the registry's publications, store nothing; ``publication=unserved``: only
        #: those no available spider here crawls (see :func:`unserved_publications`), kept in ``listed``.
        self.listing_only = value in (LIST, UNSERVED)
        self.unserved_only = value == UNSERVED
        self.listed: list[int] = []
        self.publication_number = 0 if self.listing_only else _publication_number(value)
        #: What the registry says about the publication, learnt during the crawl.
        self.learnt: dict[str, Any] = {"via_url": publication_url(self.publication_number)}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        if kwargs.get("publication") in (LIST, UNSERVED):
            # Listing the publications is no crawl: no crawl row, nothing stored.
            crawler.settings.set("ITEM_PIPELINES", {}, priority="cmdline")
        return super().from_crawler(crawler, *args, **kwargs)

    def publisher_info(self) -> PublisherInfo:  # type: ignore[override]
        return replace(super().publisher_info(), via=self.via, via_url=publication_url(self.publication_number))

    @property
    def arguments(self) -> dict[str, Any]:
        return {**super().arguments, "publication": self.publication_number}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        callback = self.print_listing if self.listing_only else self.parse_listing
        yield scrapy.Request(LISTING_URL, callback=callback, errback=self.failed)

    def print_listing(self, response: Response) -> Iterator[Any]:
        """``publication=list``: one line per publication, for the user to choose from."""
        listing = response.json()
        if not isinstance(listing, list):
            raise ValueError("the registry's publications.json is not a JSON array")
        if self.unserved_only:
            listing = unserved_publications(listing, *coverage(get_spider_loader(self.settings)))
        for entry in sorted(listing, key=lambda e: (e.get("country") or "", e.get("title") or "")):
            dates = f"{entry.get('date_from') or '?'} to {entry.get('date_to') or '?'}"
            source = f"\t{entry.get('source_id') or '?'}" if self.unserved_only else ""
            print(f"{entry['id']}\t{entry.get('country') or '?'}\t{entry.get('title')}\t{dates}{source}", flush=True)
            self.listed.append(entry["id"])
        return iter(())

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:
            entry = find_publication(response.json(), self.publication_number)
        except ValueError as error:
            yield self.note("error", "registry_listing_unreadable", f"The registry's listing is unreadable: {error}.")
            return
        if entry is None:
            yield self.note(
                "error",
                "registry_publication_not_found",
                f"The OCP Data Registry lists no public publication {self.publication_number}.",
                publication=self.publication_number,
            )
            return
        self.learn(listing_metadata(entry))
        if entry.get("frozen") or entry.get("retrieval_frequency") == "NEVER":
            yield self.note(
                "info",
                "registry_publication_not_refreshed",
                "The registry no longer refreshes this publication: its data may be old.",
                retrieval_frequency=entry.get("retrieval_frequency"),
                frozen=entry.get("frozen"),
            )
        yield scrapy.Request(publication_url(self.publication_number), self.parse_page, errback=self.failed)

    def declared_country(self) -> str | None:
        """The country the publication must be from, or None when the crawl learns it from the registry."""
        return None if self.country == UNKNOWN_COUNTRY else self.country

    def parse_page(self, response: Response) -> Iterator[Any]:
        page = publication_page(response.text)
        if page["licence"]:
            self.learn({"licence": page["licence"]})
        expected, found = self.declared_country(), page["country"]
        if found and expected and found != expected:
            yield self.note(
                "error",
                "registry_country_mismatch",
                f"The registry's publication {self.publication_number} is from {found}, not {expected}: "
                f"nothing was downloaded (crawl it with country={found}).",
                expected=expected,
                found=found,
            )
            return
        if not expected:
            if not found:
                yield self.note(
                    "error",
                    "registry_country_unknown",
                    f"The registry's page of publication {self.publication_number} shows no country flag (its listing "
                    f"says {self.learnt.get('registry_country') or 'nothing'}): nothing was downloaded (crawl it "
                    "with country=<ISO 3166-1 alpha-2 code>).",
                    registry_country=self.learnt.get("registry_country"),
                )
                return
            self.learn({"country": found})
        names, missing = choose_files(page["files"], self.from_date, self.until_date)
        for year in missing:
            yield self.note(
                "info",
                "registry_year_not_offered",
                f"The registry offers no compiled releases for {year} in this publication.",
                year=year,
            )
        if not names:
            yield self.note("error", "registry_no_files", "The publication's page offers no JSON lines file.")
        for name in names:
            yield self.request(download_url(self.publication_number, name))

    def learn(self, metadata: dict[str, Any]) -> None:
        """Keep what the registry says, and hand it to the aggregator through the crawl's stats."""
        self.learnt.update({key: value for key, value in metadata.items() if value})
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(LEARNT_STAT, dict(self.learnt))


def _publication_number(value: str | int | None) -> int:
    if value is None or value == "":
        raise ValueError("publication is required: its number in the OCP Data Registry (publication=list lists them)")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"publication must be the publication's number in the registry, not {value!r}") from None
    if number < 1:
        raise ValueError("publication must be at least 1")
    return number


def coverage(loader: Any) -> tuple[set[str], set[int]]:
    """What the available spiders of a spider loader crawl: the registry's sources (the reference crawler's
    spiders: each spider's name and those its ``facts_from`` names) that they crawl directly, and the registry's
    publications that they crawl through the registry (``RegistrySpider`` declarations)."""
    return served_sources(loader.load(name) for name in loader.list()), {
        spider.publication
        for spider in map(loader.load, loader.list())
        if getattr(spider, "via", None) == "data_registry" and isinstance(getattr(spider, "publication", None), int)
    }


def served_sources(spiders: Iterable[Any]) -> set[str]:
    """The registry's ``source_id`` values that available spiders here crawl directly from the publisher: their
    names, and the reference crawler's spiders their ``facts_from`` names. Registry spiders and the sandbox's,
    and spiders whose publication is gone, serve none."""
    served: set[str] = set()
    for spider in spiders:
        if (
            not getattr(spider, "available", True)
            or getattr(spider, "via", None)
            or getattr(spider, "is_sandbox", False)
        ):
            continue
        served.add(spider.name)
        served.update(found[1] for fact in getattr(spider, "facts_from", ()) if (found := _KINGFISHER.match(fact)))
    return served


def unserved_publications(listing: Any, served: set[str], declared: set[int]) -> list[dict[str, Any]]:
    """The publications of the registry's listing whose source no available spider here crawls (``served``) and
    that no registry spider declares (``declared``): what only the registry still offers, such as the frozen
    publications of a source that stopped publishing."""
    if not isinstance(listing, list):
        raise ValueError("the registry's publications.json is not a JSON array")
    return [
        entry
        for entry in listing
        if isinstance(entry, dict)
        and isinstance(entry.get("id"), int)
        and entry.get("source_id") not in served
        and entry["id"] not in declared
    ]


def find_publication(listing: Any, number: int) -> dict[str, Any] | None:
    if not isinstance(listing, list):
        raise ValueError("the registry's publications.json is not a JSON array")
    return next((entry for entry in listing if isinstance(entry, dict) and entry.get("id") == number), None)


def listing_metadata(entry: dict[str, Any]) -> dict[str, Any]:
    """Our publisher's metadata from the listing's entry. Data reach us when the registry refreshes them, so the
    registry's ``retrieval_frequency`` is the update frequency (the source's own is kept beside it)."""
    return {
        "title": entry.get("title") or None,
        "url": entry.get("source_url") or None,
        "update_frequency": RETRIEVAL_FREQUENCIES.get(entry.get("retrieval_frequency") or ""),
        "source_update_frequency": (entry.get("update_frequency") or "").lower().replace("_", " ") or None,
        "source_id": entry.get("source_id") or None,
        "registry_country": entry.get("country") or None,
        "date_from": entry.get("date_from"),
        "date_to": entry.get("date_to"),
    }


def publication_page(html: str) -> dict[str, Any]:
    """What a publication's page says: its country (from its flag's file name, an ISO 3166-1 code), its licence
    (from its schema.org Dataset), and the JSON lines files it offers (``full`` and years)."""
    country = None
    licence = None
    for block in _JSON_LD.findall(html):
        try:
            dataset = json.loads(block)
        except ValueError:
            continue
        if isinstance(dataset, dict):
            licence = licence or _text(dataset.get("license"))
            flag = _FLAG.search(_text(dataset.get("image")) or "")
            country = country or (flag.group(1).upper() if flag else None)
    if country is None and (flag := _FLAG.search(html)):
        country = flag.group(1).upper()
    files = sorted(set(_DOWNLOAD.findall(html)))
    return {"country": country, "licence": licence, "files": files}


def choose_files(offered: list[str], from_date: date | None, until_date: date | None) -> tuple[list[str], list[int]]:
    """The files to download, and the years asked for that are not offered. Without dates: ``full`` (else every
    year offered). With dates: the years they span (from the first year offered when ``from_date`` is absent, to
    the last one when ``until_date`` is), or ``full`` when no year is offered. The releases without a date are
    in no year's file: with years, ``undated`` comes too when it is offered."""
    years = sorted(int(name) for name in offered if name.isdigit())
    undated = [UNDATED] if UNDATED in offered else []
    if from_date is None and until_date is None:
        return (["full"] if "full" in offered else [str(year) for year in years] + undated), []
    if not years:  # only the whole publication: the dates are applied as it is loaded
        return (["full"] if "full" in offered else []), []
    first = from_date.year if from_date else years[0]
    last = until_date.year if until_date else years[-1]
    wanted = range(first, last + 1)
    chosen = [str(year) for year in wanted if year in years]
    return chosen + undated, [year for year in wanted if year not in years]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
