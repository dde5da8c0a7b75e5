"""Parsing OCDS dates. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date-time as an aware UTC datetime, or None when it cannot be read.

    Date-only values and values without an offset are taken as UTC; more than six fractional digits are
    truncated to microseconds (as PostgreSQL would round them).
    """
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class DateRange:
    """Release dates from ``lower`` (included) to ``upper`` (excluded); None leaves a side open."""

    lower: datetime | None = None
    upper: datetime | None = None

    def admits(self, release: dict[str, Any]) -> bool:
        """Whether a release is in the range. A release without a usable date is kept: it cannot be placed."""
        value = parse_date(release.get("date"))
        if value is None:
            return True
        return (self.lower is None or value >= self.lower) and (self.upper is None or value < self.upper)
