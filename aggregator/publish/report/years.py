"""Which years a publisher's data cover, whole or in part (pure).

A publisher's data cover the months from its coverage start to its coverage end (the first and the latest release
dates in its data, see ``tables/publisher``). A year is *complete* for a publisher when they cover January to
December of it; otherwise the year is *partial* and said with the months it covers ("Jan to Feb"). A group of
publishers (a country, a level) has a year complete when every one of them whose data reach into that year covers
it whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Coverage:
    start: date | None
    end: date | None


@dataclass(frozen=True)
class YearCover:
    """How a year is covered: not at all (``months`` None), in part, or whole (``complete``)."""

    year: int
    months: tuple[int, int] | None  # first and last month that some data cover, 1 to 12
    complete: bool = False

    @property
    def covered(self) -> bool:
        return self.months is not None

    @property
    def label(self) -> str:
        """Empty for a complete year, "Jan to Feb" for a partial one, "not covered" otherwise."""
        if self.months is None:
            return "not covered"
        if self.complete:
            return ""
        first, last = self.months
        months = MONTHS[first - 1] if first == last else f"{MONTHS[first - 1]} to {MONTHS[last - 1]}"
        return months + (" (not every publisher)" if (first, last) == (1, 12) else "")


def year_cover(coverage: Coverage, year: int) -> YearCover:
    if coverage.start is None or coverage.end is None:
        return YearCover(year, None)
    first = (year, 1) if coverage.start.year < year else (coverage.start.year, coverage.start.month)
    last = (year, 12) if coverage.end.year > year else (coverage.end.year, coverage.end.month)
    if first[0] != year or last[0] != year or first > last:
        return YearCover(year, None)
    return YearCover(year, (first[1], last[1]), (first[1], last[1]) == (1, 12))


def group_cover(coverages: Iterable[Coverage], year: int) -> YearCover:
    """A group's year: complete when every publisher reaching into it covers it whole; else partial, with the
    months that some of them cover."""
    covers = [c for c in (year_cover(coverage, year) for coverage in coverages) if c.months is not None]
    if not covers:
        return YearCover(year, None)
    first = min(c.months[0] for c in covers if c.months)
    last = max(c.months[1] for c in covers if c.months)
    return YearCover(year, (first, last), all(c.complete for c in covers))
