"""Dates as published, to UTC: ISO 8601 with or without zone, date-only, long fractions, two-digit years.

A date before 1990 or more than ten years after ``today`` is a placeholder (``0001-01-01``, ``9999-12-31``): it
becomes None with a problem, as does text that is no date (``Pendiente de Emisión``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aggregator.normalize.values import Problem

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_YEARS = 10
_TWO_DIGIT_YEAR = re.compile(r"^(\d{2})-(\d{2})-(\d{2})([T ].*)?$")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse(value: Any, today: date) -> tuple[datetime | None, Problem | None]:
    """The published date as an aware UTC datetime, or None; with the problem met, if any."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, Problem("date_invalid", "warning", "a date that is not text was left out", repr(value))
    text = value.strip()
    problem = None
    match = _TWO_DIGIT_YEAR.match(text)
    if match:
        year = 2000 + int(match.group(1))
        if year > today.year + FUTURE_YEARS:
            year -= 100
        text = f"{year}-{match.group(2)}-{match.group(3)}{match.group(4) or ''}"
        problem = Problem("date_two_digit_year", "info", "a date with a two-digit year was read as 19xx or 20xx", value)
    parsed = _iso(text)
    if parsed is None:
        return None, Problem("date_invalid", "warning", "a date that is not ISO 8601 was left out", value)
    if parsed < EARLIEST or parsed > datetime.combine(today, datetime.min.time(), UTC) + _years(FUTURE_YEARS):
        return None, Problem("date_placeholder", "warning", "a placeholder date (before 1990 or far ahead)", value)
    return parsed, problem


def _years(count: int) -> timedelta:
    return timedelta(days=round(365.25 * count))


def _iso(text: str) -> datetime | None:
    text = _LONG_FRACTION.sub(r"\1", text.replace("z", "Z"))
    try:
        parsed = datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        return None
    except OverflowError:  # year 1 with an offset east of UTC: a placeholder
        return datetime.min.replace(tzinfo=UTC)
