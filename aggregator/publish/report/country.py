"""A country's page: its publishers (level, coverage dates, freshness), its indicators and red flags by year (each
level apart, partial years marked), its publishers side by side on one stated year, field coverage, checks and
notes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import psycopg

from aggregator.db import query
from aggregator.publish.countries import country_name
from aggregator.publish.report import compare
from aggregator.publish.report.charts import Bar, bar_chart
from aggregator.publish.report.flags import FlagCounts
from aggregator.publish.report.units import Unit, comparison_units, level_of, publisher_of
from aggregator.publish.report.values import Cell, Definition, cell, format_value, no_data, unit_of
from aggregator.publish.report.years import year_cover

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


def country_context(
    conn: psycopg.Connection,
    code: str,
    publishers: list[Row],
    values: compare.Values,
    definitions: Mapping[str, Definition],
    flags: FlagCounts,
    health: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    mine = [row for row in publishers if row["country"] == code]
    units = comparison_units(publisher_of(row) for row in mine)
    years = compare.years_with_values(values, units)
    return {
        "country": code,
        "country_name": country_name(code),
        "units": units,
        "publisher_rows": [_publisher(row, health, now) for row in mine],
        "by_year": _by_year(units, values, definitions, years),
        "by_publisher": _by_publisher(mine, values, definitions),
        "flag_tables": _flag_tables(units, flags),
        "coverage": _coverage(conn, code),
        "crawls": conn.execute(query("publish/report", "select_publisher_health"), {"country": code}).fetchall(),
        "notes": conn.execute(query("publish/report", "select_notes_by_kind"), {"country": code}).fetchall(),
        "checks": conn.execute(query("publish/report", "select_quality_checks"), {"country": code}).fetchall(),
    }


def _publisher(row: Row, health: Mapping[str, str], now: datetime) -> dict[str, Any]:
    publisher = publisher_of(row)
    start, end = publisher.coverage.start, publisher.coverage.end
    years = []
    if start and end:
        for year in range(start.year, end.year + 1):
            cover = year_cover(publisher.coverage, year)
            years.append({"year": year, "partial": cover.label if not cover.complete else ""})
    newest = row["newest_release_at"] or (datetime.combine(end, datetime.min.time(), now.tzinfo) if end else None)
    return {
        "row": row,
        "level": level_of(publisher) + (f" ({row['region']})" if row["region"] else ""),
        "years": years,
        "status": health.get(row["name"]) or _status(row),
        "newest": newest.date() if newest else None,
        "age": (now - newest).days if newest else None,
    }


def _status(row: Row) -> str:
    """Without the health module's verdict (it needs the update frequency's rules): what the crawls say."""
    if row["last_crawl_at"] is None:
        return "never crawled" if row["compiled_releases"] == 0 else "loaded from files"
    return "failing" if row["failing_since"] else "crawled"


def _by_year(
    units: list[Unit], values: compare.Values, definitions: Mapping[str, Definition], years: list[int]
) -> list[dict[str, Any]]:
    """Per indicator: each unit's value every year, partial years marked with their months."""
    result = []
    for definition in definitions.values():
        rows = []
        for unit in units:
            for year in years:
                row = values.get((*unit.source, definition.id, year))
                if row is not None:
                    cover = unit.cover(year)
                    rows.append((unit, year, "" if cover.complete else cover.label, row, cell(row, definition)))
        if not rows:
            continue
        bars = [Bar(f"{year}{_apart(u, units)}", c, partial) for u, year, partial, _, c in rows]
        chart = bar_chart(f"{definition.title} by year", bars, unit_of(definition))
        result.append({"definition": definition, "rows": rows, "chart": chart})
    return result


def _apart(unit: Unit, units: list[Unit]) -> str:
    """How a unit is told from the others of its country: its level, and its publisher when a level has several."""
    if len(units) == 1:
        return ""
    same_level = sum(u.level == unit.level for u in units) > 1
    return f" · {unit.level}" + (f": {unit.publishers[0].title}" if same_level else "")


def _by_publisher(mine: list[Row], values: compare.Values, definitions: Mapping[str, Definition]) -> dict[str, Any]:
    """The publishers side by side on one year: the one complete for the most of them, the latest of those."""
    publishers = [publisher_of(row) for row in mine if row["coverage_start"]]
    years = sorted(
        {year for (kind, key, _, year) in values if kind == "publisher" and key in {p.name for p in publishers}}
    )
    if not years:
        return {"year": None, "publishers": [], "rows": []}
    year = max(years, key=lambda y: (sum(year_cover(p.coverage, y).complete for p in publishers), y))
    columns = [(p, year_cover(p.coverage, year)) for p in publishers]
    rows = []
    for definition in definitions.values():
        cells: list[Cell] = []
        for publisher, _ in columns:
            row = values.get(("publisher", publisher.name, definition.id, year))
            cells.append(cell(row, definition) if row else no_data(year))
        if any(c.value is not None or c.suppressed for c in cells):
            rows.append((definition, cells))
    return {"year": year, "publishers": columns, "rows": rows}


def _flag_tables(units: list[Unit], flags: FlagCounts) -> list[dict[str, Any]]:
    """Per unit: each red flag's rate every year, with n."""
    tables = []
    for unit in units:
        names = [p.name for p in unit.publishers]
        years = sorted({y for (p, y) in flags.processes if p in names})
        if not years or not flags.flags:
            continue
        rows = []
        for flag in flags.flags:
            cells = []
            for year in years:
                flagged, n = flags.rate(names, year, flag)
                text = format_value(flagged / n, "share") if n else "no processes"
                cells.append({"text": text, "flagged": flagged, "n": n})
            rows.append((flag, cells))
        covers = [(year, unit.cover(year)) for year in years]
        tables.append({"unit": unit, "years": covers, "rows": rows})
    return tables


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
        chart = bar_chart(f"{_PLURAL[table]}: fields present", [Bar(label, c) for label, _, c in cells], "share")
        result.append({"name": _PLURAL[table], "total": total, "chart": chart, "fields": cells})
    return result


def _share_cell(count: int, total: int) -> Cell:
    share = count / total
    return Cell(share, f"{100 * share:.0f} %", f"{count} of {total}", "", False, "", None)


def day(value: date | datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"
