"""RFC 3339 timestamps as chrono's ``DateTime::parse_from_rfc3339`` reads them, and whole days between two."""

from __future__ import annotations

import re

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+\-\u2212])(\d{2}):(\d{2}))",
    re.ASCII,
)
_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (year 0 included, as chrono allows)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_rfc3339(text: str) -> int | None:
    """Nanoseconds since the epoch (UTC), or None where chrono fails. Fractions past nine digits are ignored; a
    leap second (``:60``) counts as one second after ``:59``."""
    match = _RFC3339.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    fraction = int(((match[7] or "")[:9]).ljust(9, "0"))
    offset = 0
    if match[9]:
        offset_hours, offset_minutes = int(match[10]), int(match[11])
        if offset_hours > 23 or offset_minutes > 59:
            return None
        offset = (offset_hours * 3600 + offset_minutes * 60) * (1 if match[9] == "+" else -1)
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    return seconds * _NS + fraction


def whole_days(start: int, end: int) -> int:
    """chrono's ``TimeDelta::num_days``: whole days, truncated toward zero."""
    days = abs(end - start) // _DAY_NS
    return days if end >= start else -days
