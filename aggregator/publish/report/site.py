"""``ocds-atlas report DIR``: a static HTML site that works offline.

``index.html`` puts the countries side by side on each indicator; ``country-<code>.html`` shows a country's
indicators by year, its field coverage, its publishers' health and its notes; ``methodology.html`` comes from the
indicator catalogue. No script, font or stylesheet is fetched: the CSS is inline and the charts are inline SVG.
Every text from the data goes through Jinja's autoescaping.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import psycopg

from aggregator.compare.red_flags import counts as red_flag_counts
from aggregator.db import query
from aggregator.publish.report.charts import Bar, bar_chart
from aggregator.publish.report.values import Cell, Definition, catalogue, cell, definition_of, latest, no_data, unit_of

Row = Mapping[str, Any]

COVERAGE = {
    "process": (
        ("buyer", "buyer identified"),
        ("procedure_type", "procedure type"),
        ("number_of_tenderers", "number of tenderers"),
        ("tender_period", "tender period"),
        ("tender_value", "tender value"),
        ("tender_value_usd", "tender value in USD"),
        ("main_procurement_category", "category"),
        ("release_date", "release date"),
    ),
    "award": (
        ("supplier", "supplier identified"),
        ("award_date", "award date"),
        ("award_value", "award value"),
        ("award_value_usd", "award value in USD"),
    ),
    "contract": (
        ("date_signed", "date signed"),
        ("contract_value", "contract value"),
        ("contract_value_usd", "contract value in USD"),
    ),
}
_PLURAL = {"process": "processes", "award": "awards", "contract": "contracts"}


def write_site(conn: psycopg.Connection, directory: Path) -> Path:
    """Write the site into ``directory``; return the path of its home page."""
    directory.mkdir(parents=True, exist_ok=True)
    definitions = catalogue()
    has_indicators = bool(conn.execute(query("publish/report", "select_indicator_table")).fetchone()["present"])
    values = _values(conn, "country", None) if has_indicators else []
    publishers = {r["country"]: r["publishers"] for r in conn.execute(query("publish/report", "select_countries"))}
    countries = sorted(set(publishers) | {r["country"] for r in values})
    env = _environment()
    common = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "countries": [(code, page_of(code)) for code in countries],
        "has_indicators": has_indicators,
    }
    flags = red_flag_counts(conn, None)
    flagged = {"red_flags": red_flag_rows(flags), "red_flag_countries": sorted({r["country"] for r in flags})}
    home = directory / "index.html"
    _write(env, "index.html", home, common, indicators=_side_by_side(values, countries, definitions), **flagged)
    for code in countries:
        context = _country(conn, code, definitions, has_indicators, publishers.get(code, 0))
        context["red_flags"] = red_flag_rows([r for r in flags if r["country"] == code])
        _write(env, "country.html", directory / page_of(code), common, **context)
    methodology = [(d, unit_of(d)) for d in _ordered(definitions, {r["indicator"] for r in values})]
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
    return jinja2.Environment(
        loader=jinja2.PackageLoader("aggregator.publish.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _write(env: jinja2.Environment, template: str, path: Path, common: dict[str, Any], **context: Any) -> None:
    path.write_text(env.get_template(template).render(**common, **context), encoding="utf-8")


def _values(conn: psycopg.Connection, level: str, country: str | None) -> list[Row]:
    return conn.execute(
        query("publish/report", "select_indicator_values"), {"level": level, "country": country}
    ).fetchall()


def _ordered(definitions: Mapping[str, Definition], present: Iterable[str]) -> list[Definition]:
    """The catalogue's indicators in its order, then any others that have values."""
    extra = sorted(set(present) - set(definitions))
    return [*definitions.values(), *(definition_of(key, definitions) for key in extra)]


def _side_by_side(values: list[Row], countries: list[str], definitions: Mapping[str, Definition]) -> list[dict]:
    """Per indicator with values: each country's latest year's value, and a chart of them."""
    by_indicator: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in values:
        by_indicator[row["indicator"]][row["country"]].append(row)
    indicators = []
    for definition in _ordered(definitions, by_indicator):
        rows = by_indicator.get(definition.id)
        if not rows:
            continue
        cells = {c: cell(latest(rows[c]), definition) if c in rows else no_data() for c in countries}
        bars = [Bar(f"{c} {cells[c].year or ''}".strip(), cells[c]) for c in countries]
        chart = bar_chart(definition.title, bars, unit_of(definition), label_width=80)
        indicators.append({"definition": definition, "cells": cells, "chart": chart})
    return indicators


def _country(
    conn: psycopg.Connection, code: str, definitions: Mapping[str, Definition], has_indicators: bool, publishers: int
) -> dict[str, Any]:
    rows = _values(conn, "country", code) if has_indicators else []
    publisher_rows = _values(conn, "publisher", code) if has_indicators else []
    return {
        "country": code,
        "publisher_count": publishers,
        "by_year": _by_year(rows, definitions),
        "by_publisher": _by_publisher(publisher_rows, definitions),
        "coverage": _coverage(conn, code),
        "publishers": conn.execute(query("publish/report", "select_publisher_health"), {"country": code}).fetchall(),
        "notes": conn.execute(query("publish/report", "select_notes_by_kind"), {"country": code}).fetchall(),
        "checks": conn.execute(query("publish/report", "select_quality_checks"), {"country": code}).fetchall()
        if has_indicators
        else [],
    }


def _by_year(rows: list[Row], definitions: Mapping[str, Definition]) -> list[dict]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["indicator"]].append(row)
    result = []
    for definition in _ordered(definitions, grouped):
        if definition.id not in grouped:
            continue
        years = [(r, cell(r, definition)) for r in grouped[definition.id]]
        bars = [Bar(_year(c.year), c) for _, c in years]
        chart = bar_chart(f"{definition.title} by year", bars, unit_of(definition))
        result.append({"definition": definition, "years": years, "chart": chart})
    return result


def _by_publisher(rows: list[Row], definitions: Mapping[str, Definition]) -> dict[str, Any]:
    """A table of publishers by indicators, each publisher's latest year's value."""
    grouped: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        grouped[row["indicator"]][row["publisher"] or ""].append(row)
    names = sorted({row["publisher"] or "" for row in rows})
    table = []
    for definition in _ordered(definitions, grouped):
        if definition.id in grouped:
            found = grouped[definition.id]
            cells = [cell(latest(found[n]), definition) if n in found else no_data() for n in names]
            table.append((definition, cells))
    return {"publishers": names, "rows": table}


def _coverage(conn: psycopg.Connection, code: str) -> list[dict[str, Any]]:
    """Per table (process, award, contract): the share of rows with each field, and a chart."""
    result = []
    for table, fields in COVERAGE.items():
        counts = conn.execute(query("publish/report", f"select_{table}_coverage"), {"country": code}).fetchone()
        total = counts["total"]
        if not total:
            result.append({"name": _PLURAL[table], "total": 0, "chart": None, "fields": []})
            continue
        cells = [(label, counts[key], _share_cell(counts[key], total)) for key, label in fields]
        bars = [Bar(label, c) for label, _, c in cells]
        chart = bar_chart(f"{_PLURAL[table]}: fields present", bars, "share", label_width=170, area=200)
        result.append({"name": _PLURAL[table], "total": total, "chart": chart, "fields": cells})
    return result


def _share_cell(count: int, total: int) -> Cell:
    share = count / total
    text = f"{100 * share:.0f} %"
    return Cell(share, text, f"{count} of {total}", "", False, "", None)


def _year(year: int | None) -> str:
    return "all years" if year is None else str(year)
