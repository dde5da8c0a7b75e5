"""``ocds-atlas report DIR``: a static HTML site that works offline.

``index.html`` compares the countries (their levels of government apart) on one stated year, the latest complete
for every unit shown; ``year-<year>.html`` does so for each year, partial years marked with their months;
``trends.html`` gives every indicator over the years; ``country-<code>.html`` a country's publishers (coverage
dates, freshness), indicators and red flags by year, field coverage, checks and notes; ``downloads.html`` the
export's files with sizes and checksums; ``methodology.html`` comes from the indicator catalogue. No script, font
or stylesheet is fetched: the CSS is inline, bar charts are HTML and line charts inline SVG. Every text from the
data goes through Jinja's autoescaping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import psycopg

from aggregator.compare.red_flags import counts as red_flag_counts
from aggregator.db import query
from aggregator.publish.countries import country_name
from aggregator.publish.report import compare
from aggregator.publish.report.country import country_context
from aggregator.publish.report.flags import read_flag_counts
from aggregator.publish.report.links import grouped, read_links
from aggregator.publish.report.units import comparison_units, publisher_of
from aggregator.publish.report.values import catalogue, unit_of

Row = Mapping[str, Any]


def write_site(
    conn: psycopg.Connection,
    directory: Path,
    downloads: Path | None = None,
    downloads_url: str | None = None,
    health: Mapping[str, str] | None = None,
) -> Path:
    """Write the site into ``directory``; return the path of its home page. ``downloads``: an export directory to
    link (its files published under ``downloads_url``, else linked where they are); ``health``: each publisher's
    status (active, stale, failing, never crawled) by name."""
    directory.mkdir(parents=True, exist_ok=True)
    definitions = catalogue()
    now = datetime.now(UTC)
    publishers = conn.execute(query("publish/report", "select_publishers")).fetchall()
    units = comparison_units(publisher_of(row) for row in publishers)
    rows = [*_values(conn, "country"), *_values(conn, "publisher")]
    values = compare.index_values(rows)
    flags = read_flag_counts(conn)
    years = compare.years_with_values(values, units)
    stated = compare.stated_year(units, years)
    codes = sorted({row["country"] for row in publishers}, key=country_name)
    env = _environment()
    common = {
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "countries": [(code, country_name(code), page_of(code)) for code in codes],
        "years": compare.year_links(units, years, stated),
        "stated": stated,
        "has_downloads": downloads is not None,
    }
    cardinal = red_flag_counts(conn, None)  # every code's rate over all years, with Cardinal's n
    home = directory / "index.html"
    page = compare.year_page(stated, True, units, values, definitions, flags) if stated is not None else None
    _write(env, "compare.html", home, common, cmp=page, current="home", units=units)
    for year in years:
        other = compare.year_page(year, False, units, values, definitions, flags)
        _write(env, "compare.html", directory / f"year-{year}.html", common, cmp=other, current=year, units=units)
    trends = compare.trends(units, values, definitions)
    _write(env, "trends.html", directory / "trends.html", common, trends=trends, units=units)
    links = grouped(read_links(downloads, directory, downloads_url)) if downloads else []
    _write(env, "downloads.html", directory / "downloads.html", common, links=links, downloads_url=downloads_url)
    for code in codes:
        context = country_context(conn, code, publishers, values, definitions, flags, health or {}, now)
        context["red_flags"] = red_flag_rows([r for r in cardinal if r["country"] == code])
        _write(env, "country.html", directory / page_of(code), common, **context)
    methodology = [(d, unit_of(d)) for d in definitions.values()]
    _write(env, "methodology.html", directory / "methodology.html", common, definitions=methodology)
    return home


LEVELS = {"process": "processes", "buyer": "buyers", "procuringEntity": "procuring entities", "tenderer": "tenderers"}


def red_flag_rows(rows: list[Row]) -> list[dict[str, Any]]:
    """Per code and level (in the catalogue's order), each country's rate as text with its flagged count and n."""
    flags: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        label = LEVELS.get(row["level"], row["level"])
        flag = flags.setdefault((row["code"], row["level"]), {**row, "level_label": label, "cells": {}})
        rate = row["rate"]
        text = "" if rate is None else f"{100 * rate:.1f} % ({row['flagged']})"
        flag["cells"][row["country"]] = {"text": text, "n": row["n"]}
    return list(flags.values())


def page_of(country: str) -> str:
    return f"country-{re.sub(r'[^a-z0-9]+', '_', country.strip().lower()) or 'unknown'}.html"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("aggregator.publish.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["page_of"] = page_of
    return env


def _write(env: jinja2.Environment, template: str, path: Path, common: dict[str, Any], **context: Any) -> None:
    path.write_text(env.get_template(template).render(**common, **context), encoding="utf-8")


def _values(conn: psycopg.Connection, level: str) -> list[Row]:
    return conn.execute(
        query("publish/report", "select_indicator_values"), {"level": level, "country": None}
    ).fetchall()
