"""Cardinal's settings file: an INI file with its sections, keys and defaults (``ocdscardinal init`` writes one).

An indicator runs only if its section is present (``[R028]`` alone enables R028); keys left out take Cardinal's
defaults, which the indicators resolve (``DEFAULTS`` lists them). A dotted section
(``[R003.procurement_method_details]``) is a table inside its parent, so it enables the parent too. Unknown
sections and keys are errors, as Cardinal's ``deny_unknown_fields`` makes them. Values are read as Cardinal's
``config`` crate reads an INI file: strings, with whole-line comments (``;`` or ``#``), comments after whitespace,
and one pair of surrounding quotes removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CODES = ("R003", "R018", "R024", "R025", "R028", "R030", "R035", "R036", "R038", "R048", "R058")

# Cardinal 0.0.8's defaults, as each indicator resolves a key left out (None: derived from the data, as a fence).
DEFAULTS: dict[str, dict[str, object]] = {
    "R003": {"threshold": 15, "procurement_methods": "", "procurement_method_details": {}},
    "R018": {"procurement_methods": "open|selective"},
    "R024": {"threshold": None},
    "R025": {"percentile": 75, "threshold": None},
    "R035": {"threshold": 1},
    "R038": {"threshold": None, "minimum_submitted_bids": 2, "minimum_contracting_processes": 2},
    "R048": {"digits": 2, "threshold": None, "minimum_contracting_processes": 20},
    "R058": {"threshold": None},
}


class SettingsError(ValueError):
    """A settings file Cardinal would refuse."""


@dataclass(frozen=True)
class Defaults:
    currency: str | None = None
    item_classification_scheme: str | None = None
    bid_status: str | None = None
    award_status: str | None = None
    party_roles: bool | None = None


@dataclass(frozen=True)
class Redactions:
    amount: str | None = None
    organization_id: str | None = None


@dataclass(frozen=True)
class Corrections:
    award_status_by_contract_status: bool | None = None


@dataclass(frozen=True)
class Modifications:
    move_auctions: bool | None = None
    prefix_buyer_or_procuring_entity_id: str | None = None
    prefix_tenderer_or_supplier_id: str | None = None
    split_procurement_method_details: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything Cardinal's settings file can say. ``indicators`` maps each enabled code to its section's keys."""

    currency: str | None = None
    no_price_comparison_procurement_methods: str | None = None
    price_comparison_procurement_methods: str | None = None
    info_currency_mismatches: bool | None = None
    exclude_procurement_method_details: str | None = None
    defaults: Defaults = Defaults()
    redactions: Redactions = Redactions()
    corrections: Corrections = Corrections()
    modifications: Modifications = Modifications()
    codelists: dict[str, dict[str, str]] = field(default_factory=dict)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def all_indicators(cls, **kwargs: Any) -> Settings:
        """Every indicator enabled with its defaults, as the file ``ocdscardinal init`` writes."""
        return cls(indicators={code: {} for code in CODES}, **kwargs)

    def indicator(self, code: str, key: str) -> Any:
        """The key's value in the indicator's section, else Cardinal's default."""
        value = self.indicators.get(code, {}).get(key)
        return DEFAULTS.get(code, {}).get(key) if value is None else value


# Conversions, as the config crate turns a string into each Rust type.

_TRUE, _FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no"}
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


def _bool(value: str) -> bool:
    if value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise SettingsError(f"not a boolean: {value!r}")


def _int(value: str) -> int:
    if value.lower() in _TRUE | _FALSE:
        return int(_bool(value))
    if re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    raise SettingsError(f"not an integer: {value!r}")


def _count(value: str) -> int:
    number = _int(value)
    if number < 0:
        raise SettingsError(f"not a non-negative integer: {value!r}")
    return number


def _float(value: str) -> float:
    if value.lower() in _TRUE | _FALSE:
        return float(_bool(value))
    if _FLOAT.fullmatch(value):
        return float(value)
    raise SettingsError(f"not a number: {value!r}")


def parse_float(value: str) -> float | None:
    """Rust's ``str::parse::<f64>``: None where Rust fails (whitespace, underscores)."""
    return float(value) if _FLOAT.fullmatch(value) else None


Convert = Callable[[str], Any]
_SECTIONS: dict[str, dict[str, Convert]] = {
    "": {
        "currency": str,
        "no_price_comparison_procurement_methods": str,
        "price_comparison_procurement_methods": str,
    },
    "output": {"info_currency_mismatches": _bool},
    "defaults": {
        "currency": str,
        "item_classification_scheme": str,
        "bid_status": str,
        "award_status": str,
        "party_roles": _bool,
    },
    "redactions": {"amount": str, "organization_id": str},
    "corrections": {"award_status_by_contract_status": _bool},
    "modifications": {
        "move_auctions": _bool,
        "prefix_buyer_or_procuring_entity_id": str,
        "prefix_tenderer_or_supplier_id": str,
        "split_procurement_method_details": str,
    },
    "exclusions": {"procurement_method_details": str},
    "codelists": {},
    "R003": {"threshold": _int, "procurement_methods": str},
    "R018": {"procurement_methods": str},
    "R024": {"threshold": _float},
    "R025": {"percentile": _count, "threshold": _float},
    "R028": {},
    "R030": {},
    "R035": {"threshold": _count},
    "R036": {},
    "R038": {"threshold": _float, "minimum_submitted_bids": _count, "minimum_contracting_processes": _count},
    "R048": {"digits": _count, "threshold": _count, "minimum_contracting_processes": _count},
    "R058": {"threshold": _float},
}
# Tables whose keys are free: a value of a codelist mapped to a code, a procurementMethodDetails to a threshold.
_TABLES: dict[str, Convert] = {
    "codelists.bid_status": str,
    "codelists.award_status": str,
    "R003.procurement_method_details": _int,
}


def read_ini(text: str) -> dict[str, dict[str, str]]:
    """Sections (``""`` for keys above the first) and their keys as strings, in order."""
    sections: dict[str, dict[str, str]] = {"": {}}
    current = sections[""]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise SettingsError(f"line {number}: unclosed section header")
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        match = re.match(r"([^=:]*)[=:](.*)", line)
        if not match:
            raise SettingsError(f"line {number}: expected key = value")
        current[match[1].strip()] = _value(match[2])
    return sections


def _value(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return re.split(r"\s[;#]", text, maxsplit=1)[0].rstrip()


def parse_settings(text: str) -> Settings:
    """Settings from the text of an INI file, as ``ocdscardinal --settings FILE`` reads it."""
    values: dict[str, dict[str, Any]] = {}
    for name, keys in read_ini(text).items():
        if name in _TABLES:
            parent, child = name.split(".")
            table = {key: _convert(_TABLES[name], value, name, key) for key, value in keys.items()}
            values.setdefault(parent, {})[child] = table
        elif name in _SECTIONS:
            schema = _SECTIONS[name]
            for key, value in keys.items():
                if key not in schema:
                    raise SettingsError(f"unknown key {key!r} in section [{name}]")
                values.setdefault(name, {})[key] = _convert(schema[key], value, name, key)
            values.setdefault(name, {})
        else:
            raise SettingsError(f"unknown section [{name}]")
    return _settings(values)


def _convert(convert: Convert, value: str, section: str, key: str) -> Any:
    try:
        return convert(value)
    except SettingsError as error:
        raise SettingsError(f"[{section}] {key}: {error}") from None


def _settings(values: dict[str, dict[str, Any]]) -> Settings:
    top = values.get("", {})
    return Settings(
        currency=top.get("currency"),
        no_price_comparison_procurement_methods=top.get("no_price_comparison_procurement_methods"),
        price_comparison_procurement_methods=top.get("price_comparison_procurement_methods"),
        info_currency_mismatches=values.get("output", {}).get("info_currency_mismatches"),
        exclude_procurement_method_details=values.get("exclusions", {}).get("procurement_method_details"),
        defaults=Defaults(**values.get("defaults", {})),
        redactions=Redactions(**values.get("redactions", {})),
        corrections=Corrections(**values.get("corrections", {})),
        modifications=Modifications(**values.get("modifications", {})),
        codelists=values.get("codelists", {}),
        indicators={code: values[code] for code in CODES if code in values},
    )


def read_settings(path: str | Path) -> Settings:
    return parse_settings(Path(path).read_text(encoding="utf-8"))
