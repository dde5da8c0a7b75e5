"""The real publishers' spiders as their declarations say: ``ocds-atlas publishers`` and the README's table.

The declarations come from ``scrapy listpublishers``, run in a child process: ``aggregator`` never imports Scrapy.
When the database is reachable, each row can carry its publisher's health (:mod:`aggregator.operate.health`), and a
spider that stores several publishers (the OCP Data Registry's, one per publication) gets a row for each; the
README's table never shows health, which changes with every crawl.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from aggregator import db, settings
from aggregator.errors import AtlasError
from aggregator.raw.text import csv_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
BEGIN = "<!-- publishers:begin (generated from the spiders by `ocds-atlas publishers --format markdown`) -->"
END = "<!-- publishers:end -->"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
#: The columns of the table and CSV formats.
COLUMNS = (
    "name",
    "country",
    "level",
    "publisher_name",
    "kind",
    "data_type",
    "ocds_version",
    "update_frequency",
    "licence",
    "credentials",
    "available",
    "unavailable_since",
    "unavailable_reason",
    "facts_from",
)
#: The table's columns without health: fewer, to fit a terminal (``--format json`` or ``csv`` give them all).
TABLE_COLUMNS = ("name", "country", "level", "kind", "data_type", "update_frequency", "available", "unavailable_since")
#: The country of a spider whose publishers are in any country (each crawl says which): ISO 3166's "unknown".
ANY_COUNTRY = "ZZ"
#: The columns health adds (table, CSV), and keys (JSON, with ``via``).
HEALTH_COLUMNS = (
    "via",
    "status",
    "last_crawl_at",
    "last_success_at",
    "failing_since",
    "stale_since",
    "endpoint_failing_since",
    "endpoint_problem",
    "due",
)
#: The table's columns with health: fewer, to fit a terminal.
TABLE_HEALTH_COLUMNS = (
    "name",
    "country",
    "update_frequency",
    "available",
    "unavailable_since",
    *(column for column in HEALTH_COLUMNS if column != "endpoint_problem"),
)


def list_publishers(sandbox: bool = False) -> list[dict[str, Any]]:
    """Every spider's declarations (real spiders only, unless ``sandbox``), sorted by name."""
    command = [sys.executable, "-m", "scrapy", "listpublishers", *(["--sandbox"] if sandbox else [])]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AtlasError(f"cannot list the spiders: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def table_cell(value: Any) -> str:
    """A cell of the terminal table: date-times by their day, to fit."""
    text = cell(value)
    return text[:10] if isinstance(value, str) and _DATE_TIME.match(text) else text


def to_csv(publishers: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    return csv_text([columns, *([cell(publisher[column]) for column in columns] for publisher in publishers)])


def health_connection() -> psycopg.Connection:
    """A connection to read health from: ``DATABASE_URL``, or the embedded database of earlier commands (never one
    created just for this). Raises :class:`AtlasError` saying why there is none."""
    if not settings.database_url() and not (settings.home() / "pgdata").exists():
        raise AtlasError("no database: DATABASE_URL is not set and no embedded database exists yet")
    return db.connect(connect_timeout=5)


def read_health(conn: psycopg.Connection, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every stored publisher with its health (read only: a database that is not migrated is an error)."""
    from aggregator.migrate import check_current
    from aggregator.operate.health import publishers_health

    check_current(conn)
    try:
        return publishers_health(conn, now)
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
        raise AtlasError("the database has no publisher health yet: run `ocds-atlas migrate`") from None


def with_health(declared: list[dict[str, Any]], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The spiders' rows with their publishers' health; after a spider's row, a row for each other publisher it
    stores (the registry's publications), with that publisher's stored metadata."""
    by_name = {row["name"]: row for row in stored}
    rows = []
    for spider in declared:
        # A spider of publishers in any country is no publisher itself: only its publishers have a health.
        itself = None if spider["country"] == ANY_COUNTRY else _health_fields(by_name.get(spider["name"]))
        rows.append({**spider, **(itself or dict.fromkeys(HEALTH_COLUMNS))})
        for other in stored:
            if other["spider"] == spider["name"] and other["name"] != spider["name"]:
                rows.append({**spider, **_stored_metadata(other), **_health_fields(other)})
    return rows


def _stored_metadata(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "country", "region", "level", "url", "licence", "update_frequency", "ocid_prefixes")
    return {**{key: row[key] for key in keys}, "publisher_name": row["title"]}


def _health_fields(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"via": None, "status": "never crawled", "due": True} | dict.fromkeys(HEALTH_COLUMNS[2:-1])
    fields = {key: row[key] for key in HEALTH_COLUMNS}
    return {key: v.isoformat(timespec="seconds") if isinstance(v, datetime) else v for key, v in fields.items()}


def availability(publisher: dict[str, Any]) -> str:
    """ "yes", or since when and why the publication is gone."""
    if publisher["available"]:
        return "yes"
    return f"**no**, since {publisher['unavailable_since']}: {publisher['unavailable_reason']}"


def facts_sources(publisher: dict[str, Any]) -> str:
    """Where a spider's facts come from: the reference crawler's spider, documentation as links."""
    sources = [f"[docs]({f})" if f.startswith(("http://", "https://")) else f"`{f}`" for f in publisher["facts_from"]]
    return ", ".join(sources) or "not stated"


def licence_cell(publisher: dict[str, Any]) -> str:
    """The licence as a link, or why there is none: each publication's own, not stated, or not yet checked."""
    if publisher["licence"]:
        return f"[licence]({publisher['licence']})"
    if publisher["country"] == ANY_COUNTRY:
        return "each publication's"
    return "not yet checked" if "licence" in publisher.get("unchecked", ()) else "not stated"


def to_markdown(publishers: list[dict[str, Any]]) -> str:
    """The README's publisher table: one row per real spider."""
    lines = [
        "| spider | country | level | publisher | base | OCDS | data | licence | available | facts from |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in publishers:
        publisher = f"[{p['publisher_name']}]({p['url']})" if p["url"] else p["publisher_name"]
        licence = licence_cell(p)
        shape = p["kind"] + (f" (credentials: {cell(p['credentials'])})" if p["credentials"] else "")
        level = p["level"] + (f" ({p['region']})" if p["region"] else "")
        country = "any" if p["country"] == ANY_COUNTRY else p["country"]
        row = [f"`{p['name']}`", country, level, publisher, shape, p["ocds_version"], p["data_type"], licence]
        row += [availability(p), facts_sources(p)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    countries = len({p["country"] for p in publishers} - {ANY_COUNTRY})
    gone = sum(not p["available"] for p in publishers)
    lines.append("")
    lines.append(f"{len(publishers)} spiders ({gone} of publications that are gone), {countries} countries.")
    return "\n".join(lines) + "\n"


def readme_block(readme: str) -> str:
    """The generated part of the README, between its markers."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise AtlasError(f"README.md lacks the markers {BEGIN!r} and {END!r}")
    return readme[start + len(BEGIN) : end].strip("\n") + "\n"


def write_readme(publishers: list[dict[str, Any]], path: Path = README) -> bool:
    """Rewrite the README's block from the spiders; whether it changed."""
    text = path.read_text(encoding="utf-8")
    block = readme_block(text)
    new = to_markdown(publishers)
    if block == new:
        return False
    start, end = text.find(BEGIN) + len(BEGIN), text.find(END)
    path.write_text(text[:start] + "\n" + new + text[end:], encoding="utf-8")
    return True
