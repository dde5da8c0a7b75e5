"""Comparisons for the report: every chart on one stated year, partial years marked, trends over years (pure).

The home page's year is the one complete for the most units (countries, or a country's levels apart), the latest
of those; only the units whose data cover it whole are compared there, and the others are named with the dates
their data cover. Each year also has its own page, where every unit with data in that year is shown and a partial
year is marked with the months it covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aggregator.publish.report.charts import Bar, Point, Series, bar_chart, legend, line_chart
from aggregator.publish.report.flags import FlagCounts
from aggregator.publish.report.units import Unit
from aggregator.publish.report.values import Cell, Definition, cell, format_value, no_data, unit_of
from aggregator.publish.report.years import YearCover

Row = Mapping[str, Any]
#: (source kind, source key, indicator, year) -> indicator_value row; source as Unit.source.
Values = dict[tuple[str, str, str, int], Row]


def index_values(rows: Iterable[Row]) -> Values:
    """Country- and publisher-level rows by where a unit finds them."""
    found: Values = {}
    for row in rows:
        key = row["country"] if row["level"] == "country" else row["publisher"]
        if row["year"] is not None and key:
            found[(row["level"], key, row["indicator"], row["year"])] = row
    return found


def years_with_values(values: Values, units: Iterable[Unit]) -> list[int]:
    sources = {u.source for u in units}
    return sorted({year for (kind, key, _, year) in values if (kind, key) in sources})


def stated_year(units: list[Unit], years: list[int]) -> int | None:
    """The year complete for the most units; the latest of those (None without any year)."""
    if not years:
        return None
    return max(years, key=lambda year: (sum(u.cover(year).complete for u in units), year))


@dataclass
class YearPage:
    year: int
    stated: bool  # the home page: complete units only
    shown: list[tuple[Unit, YearCover]]
    left_out: list[tuple[Unit, str]]  # units not compared that year, and why
    indicators: list[dict[str, Any]] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)

    @property
    def partial(self) -> list[tuple[Unit, YearCover]]:
        return [(u, c) for u, c in self.shown if not c.complete]


def year_page(
    year: int, stated: bool, units: list[Unit], values: Values, definitions: Mapping[str, Definition], flags: FlagCounts
) -> YearPage:
    """One year's comparison: on the home page (``stated``) the units that cover it whole; on a year's own page,
    every unit with data in it, partial ones marked."""
    shown, left_out = [], []
    for unit in units:
        cover = unit.cover(year)
        if cover.complete or (cover.covered and not stated):
            shown.append((unit, cover))
        else:
            left_out.append((unit, _why_not(unit, cover)))
    page = YearPage(year, stated, shown, left_out)
    page.indicators = _indicators(page, values, definitions)
    page.flags = _flags(page, flags)
    return page


def _why_not(unit: Unit, cover: YearCover) -> str:
    start, end = unit.coverage.start, unit.coverage.end
    dates = f"its data cover {start:%b %Y} to {end:%b %Y}" if start and end else "it has no dated data"
    if cover.covered:
        return f"{dates}: {cover.year} only {cover.label}"
    return dates


def _indicators(page: YearPage, values: Values, definitions: Mapping[str, Definition]) -> list[dict[str, Any]]:
    result = []
    for definition in definitions.values():
        cells = [(u, c, _cell(values, u, definition, page.year)) for u, c in page.shown]
        if all(x.value is None and not x.suppressed for _, _, x in cells):
            continue
        bars = [Bar(u.label, x, "" if c.complete else c.label) for u, c, x in cells]
        chart = bar_chart(f"{definition.title}, {page.year}", bars, unit_of(definition))
        result.append({"definition": definition, "cells": cells, "chart": chart})
    return result


def _cell(values: Values, unit: Unit, definition: Definition, year: int) -> Cell:
    row = values.get((*unit.source, definition.id, year))
    return cell(row, definition) if row else no_data(year)


def _flags(page: YearPage, counts: FlagCounts) -> dict[str, Any]:
    """Per flag and unit: processes flagged / processes of that year (n)."""
    rows = []
    for flag in counts.flags:
        cells = []
        for unit, cover in page.shown:
            flagged, n = counts.rate((p.name for p in unit.publishers), page.year, flag)
            share = flagged / n if n else None
            text = "no processes" if share is None else f"{format_value(share, 'share')}"
            cells.append({"unit": unit, "cover": cover, "flagged": flagged, "n": n, "share": share, "text": text})
        bars = [Bar(c["unit"].label, _flag_cell(c), "" if c["cover"].complete else c["cover"].label) for c in cells]
        rows.append({"flag": flag, "cells": cells, "chart": bar_chart(f"{flag}, {page.year}", bars, "share")})
    return {"rows": rows, "present": bool(counts.processes)}


def _flag_cell(c: dict[str, Any]) -> Cell:
    if c["share"] is None:
        return no_data()
    return Cell(c["share"], c["text"], f"{c['flagged']} of n = {c['n']}", "", False, "", None)


def trends(units: list[Unit], values: Values, definitions: Mapping[str, Definition]) -> list[dict[str, Any]]:
    """Per indicator: each unit's values over the years, partial years marked."""
    years = years_with_values(values, units)
    result = []
    for definition in definitions.values():
        series, table = [], []
        for unit in units:
            points = []
            for year in years:
                row = values.get((*unit.source, definition.id, year))
                if row is None:
                    continue
                shown = cell(row, definition)
                cover = unit.cover(year)
                points.append((Point(year, shown.value, "" if cover.complete else cover.label), shown))
            if points:
                series.append(Series(unit.label, tuple(p for p, _ in points)))
                table.append((unit, {p.year: (p, c) for p, c in points}))
        if not series:
            continue
        unit = unit_of(definition)
        result.append(
            {
                "definition": definition,
                "chart": line_chart(f"{definition.title} by year", series, years, unit),
                "legend": legend(series),
                "years": years,
                "table": table,
            }
        )
    return result


def year_links(units: list[Unit], years: list[int], stated: int | None) -> list[dict[str, Any]]:
    """The years one may choose, each with whether it is complete for every unit with data in it."""
    links = []
    for year in years:
        covers = [(u, u.cover(year)) for u in units if u.cover(year).covered]
        partial = [(u, c) for u, c in covers if not c.complete]
        note = "; ".join(f"{u.label}: {c.label}" for u, c in partial)
        links.append({"year": year, "href": f"year-{year}.html", "stated": year == stated, "partial": note})
    return links
