"""Reading published values whatever their shape: a field that should be an object may be a list, a string or null."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True)
class Problem:
    """A handled problem of one compiled release, stored as a note (aggregated per publisher and code)."""

    code: str
    level: str  # "info" | "warning"
    message: str  # what kind of problem, without the value (the note lists the values)
    value: str | None = None  # the offending value, counted in the note's data
    data: dict[str, Any] = field(default_factory=dict)


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def dicts(value: Any) -> Iterator[dict[str, Any]]:
    """The objects of an array (anything else in it, or a value that is no array, is skipped)."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def text(value: Any) -> str | None:
    """A scalar as text (numbers too, as some publishers give ids as numbers); None for empty or structured values."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    result = str(value).strip()
    return result or None


def raw(value: Any) -> str | None:
    """The published value as JSON text, to keep beside its normalized form (None when absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
