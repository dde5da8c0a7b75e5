"""Country names from ISO 3166-1 alpha-2 codes (``data/countries.csv``: Debian's iso-codes 4.15, common names where
it gives one, and the sandbox's user-assigned codes XA to XC)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _names() -> dict[str, str]:
    text = resources.files("aggregator.publish").joinpath("data/countries.csv").read_text(encoding="utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(text.splitlines())}


def country_name(code: str) -> str:
    """The country's name; the code itself, said to be unknown, when it is none of ISO 3166-1's."""
    code = (code or "").strip().upper()
    return _names().get(code) or f"{code or '??'} (unknown country code)"
