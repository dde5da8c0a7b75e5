"""What the report compares: countries, with their levels of government kept apart (pure).

A country whose publishers with data are all of one level (national, regional or city) is compared as one unit,
with the indicator values computed over the whole country. A country whose publishers are of several levels is
never merged into one value: each of its publishers is a unit of its own, named with its level, and compared with
the publisher's own values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from aggregator.publish.countries import country_name
from aggregator.publish.report.years import Coverage, YearCover, group_cover

LEVELS = ("national", "regional", "city")


@dataclass(frozen=True)
class Publisher:
    name: str
    title: str
    country: str
    level: str | None
    region: str | None
    coverage: Coverage


@dataclass(frozen=True)
class Unit:
    key: str  # "XA", or "XB/sandbox_xb_city" for a publisher of a country with several levels
    country: str
    level: str  # national, regional, city, or "level not stated"
    publishers: tuple[Publisher, ...]
    source: tuple[str, str]  # where its indicator values are: ("country", code) or ("publisher", name)
    label: str  # "Borealia (sandbox) · city · City of Northhaven (sandbox)"

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    def cover(self, year: int) -> YearCover:
        return group_cover((p.coverage for p in self.publishers), year)

    @property
    def coverage(self) -> Coverage:
        starts = [p.coverage.start for p in self.publishers if p.coverage.start]
        ends = [p.coverage.end for p in self.publishers if p.coverage.end]
        return Coverage(min(starts, default=None), max(ends, default=None))


def publisher_of(row: Mapping[str, Any]) -> Publisher:
    return Publisher(
        row["name"],
        row["title"],
        row["country"],
        row["level"],
        row["region"],
        Coverage(_day(row.get("coverage_start")), _day(row.get("coverage_end"))),
    )


def _day(value: Any) -> date | None:
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value)[:10])


def level_of(publisher: Publisher) -> str:
    return publisher.level or "level not stated"


def comparison_units(publishers: Iterable[Publisher]) -> list[Unit]:
    """The units, by country name then level; publishers without data (no coverage) are left out."""
    by_country: dict[str, list[Publisher]] = defaultdict(list)
    for publisher in publishers:
        if publisher.coverage.start is not None:
            by_country[publisher.country].append(publisher)
    units = []
    for country, members in by_country.items():
        levels = {level_of(p) for p in members}
        name = country_name(country)
        if len(levels) == 1:
            (level,) = levels
            units.append(Unit(country, country, level, tuple(members), ("country", country), f"{name} · {level}"))
            continue
        for p in members:
            label = f"{name} · {level_of(p)} · {p.title}"
            units.append(Unit(f"{country}/{p.name}", country, level_of(p), (p,), ("publisher", p.name), label))
    return sorted(units, key=_order)


def _order(unit: Unit) -> tuple[str, int, str]:
    rank = LEVELS.index(unit.level) if unit.level in LEVELS else len(LEVELS)
    return (unit.country_name, rank, unit.label)
