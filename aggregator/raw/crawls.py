"""Publishers and crawls: the rows that every stored release, record, file and note points to.

This is the narrow interface through which ``crawler/`` talks to the database (with
:func:`aggregator.raw.load.load_file`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import orjson
import psycopg

from aggregator.db import query
from aggregator.errors import AtlasError
from aggregator.raw.acceptance import Acceptance, CrawlCounts


@dataclass(frozen=True)
class PublisherInfo:
    name: str
    title: str
    country: str
    spider: str | None = None
    region: str | None = None
    level: str | None = None
    url: str | None = None
    licence: str | None = None
    ocds_version: str | None = None
    data_type: str | None = None
    update_frequency: str | None = None
    ocid_prefixes: list[str] = field(default_factory=list)
    is_sandbox: bool = False
    #: How the data reach us when not from the publisher itself: ``data_registry`` (the OCP Data Registry).
    via: str | None = None
    #: Where, on that route, the publication is (the registry's publication page).
    via_url: str | None = None


#: ISO 3166's "unknown": the country of a publisher until its crawl learns it (a registry's publication).
UNKNOWN_COUNTRY = "ZZ"


def upsert_publisher(conn: psycopg.Connection, info: PublisherInfo) -> int:
    """Create the publisher, or update its declared metadata; return its id. A publisher declared in
    ``UNKNOWN_COUNTRY`` keeps the country stored (learnt by an earlier crawl); one stored in it takes the declared
    one."""
    existing = conn.execute(query("raw/crawls", "select_publisher"), {"name": info.name}).fetchone()
    if existing and UNKNOWN_COUNTRY not in (existing["country"], info.country) and existing["country"] != info.country:
        raise AtlasError(
            f"publisher {info.name!r} is in country {existing['country']}, not {info.country}; "
            "use another publisher name"
        )
    row = conn.execute(query("raw/crawls", "upsert_publisher"), asdict(info)).fetchone()
    if existing and existing["country"] == UNKNOWN_COUNTRY and info.country != UNKNOWN_COUNTRY:
        learn_publisher(conn, row["id"], {"country": info.country})
    if info.via:
        conn.execute(query("raw/publishers", "set_via"), {"id": row["id"], "via": info.via, "via_url": info.via_url})
    return row["id"]


#: What a crawl may learn about its publisher (from a registry's listing, say) and store when it closes.
LEARNABLE = ("title", "url", "licence", "update_frequency", "country")
#: The stats key under which a crawler hands what it learnt about its publisher (a dict of ``LEARNABLE`` values).
LEARNT_STAT = "ocds_atlas/publisher"


def learn_publisher(conn: psycopg.Connection, publisher_id: int, learnt: dict[str, Any]) -> None:
    """Store what a crawl learnt about its publisher: the ``LEARNABLE`` values it holds replace the declared
    ones; other values (what it was told beside them) stay in the crawl's stats."""
    values = {key: learnt.get(key) or None for key in LEARNABLE}
    if any(values.values()):
        conn.execute(query("raw/publishers", "learn_publisher"), {"id": publisher_id, **values})


def publisher_by_name(conn: psycopg.Connection, name: str) -> dict[str, Any]:
    row = conn.execute(query("raw/crawls", "select_publisher"), {"name": name}).fetchone()
    if row is None:
        raise AtlasError(f"no publisher named {name!r}: see `ocds-atlas status`")
    return row


def open_crawl(
    conn: psycopg.Connection, publisher_id: int, kind: str, arguments: dict[str, Any], files_path: str | None
) -> int:
    params = {
        "publisher_id": publisher_id,
        "kind": kind,
        "arguments": orjson.dumps(arguments, default=str).decode(),
        "files_path": files_path,
    }
    return conn.execute(query("raw/crawls", "insert_crawl"), params).fetchone()["id"]


def close_crawl(
    conn: psycopg.Connection, crawl_id: int, status: str, close_reason: str | None, stats: dict[str, Any]
) -> None:
    params = {
        "id": crawl_id,
        "status": status,
        "close_reason": close_reason,
        "stats": orjson.dumps(stats, default=str, option=orjson.OPT_NON_STR_KEYS).decode(),
    }
    conn.execute(query("raw/crawls", "close_crawl"), params)


def reopen_crawl(conn: psycopg.Connection, crawl_id: int, publisher_id: int) -> dict[str, Any]:
    """Mark a crawl of the publisher as running again (it resumes); return the stats it had."""
    row = conn.execute(query("raw/crawls", "reopen_crawl"), {"id": crawl_id, "publisher_id": publisher_id}).fetchone()
    if row is None:
        raise AtlasError(f"crawl {crawl_id} is not a crawl of this publisher: it cannot be resumed")
    return row["stats"]


def crawl_counts(conn: psycopg.Connection, crawl_id: int) -> CrawlCounts:
    return CrawlCounts(**conn.execute(query("raw/crawls", "select_crawl_counts"), {"id": crawl_id}).fetchone())


def accept_crawl(
    conn: psycopg.Connection,
    crawl_id: int,
    acceptance: Acceptance,
    high_water_mark: datetime | None,
    missing: dict[str, Any] | None = None,
) -> None:
    params = {
        "id": crawl_id,
        "error_rate": acceptance.error_rate,
        "acceptance": orjson.dumps(acceptance.as_json()).decode(),
        "high_water_mark": high_water_mark,
        "missing": orjson.dumps(missing).decode() if missing and missing.get("requests") else None,
    }
    conn.execute(query("raw/crawls", "accept_crawl"), params)
