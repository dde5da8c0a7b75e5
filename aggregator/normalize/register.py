"""The org-id.guide register of identifier schemes, read once per process from ``OCDS_ATLAS_ORGID_URL``.

The location is a directory holding the register's list files (``lists/<country>/<code>.json``, as the register's
repository has them), a JSON file of the register's download (``{"lists": [...]}``), or a URL of that download,
fetched through :func:`aggregator.fetch.cached_fetch`. Schemes that the register lacks but that real or sandbox
publishers use as proper codes are declared in ``data/extra_schemes.csv``.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from aggregator import settings
from aggregator.errors import AtlasError
from aggregator.fetch import cached_fetch

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Register prefixes that name no country (international, multilateral, example, "other").
NOT_COUNTRIES = frozenset({"XI", "XM", "XE", "XR", "ZZ", "XX"})


@dataclass(frozen=True)
class Scheme:
    code: str
    country: str | None  # the country its identifiers imply, if any
    deprecated: bool = False
    registered: bool = True  # False: declared in data/extra_schemes.csv, not in the register
    rule: str | None = None  # clean-up rule of another scheme to apply (extra schemes), see identifiers.RULES


@dataclass(frozen=True)
class Register:
    schemes: dict[str, Scheme]  # by upper-case code
    renamed: dict[str, str] = field(default_factory=dict)  # former code -> current code

    def resolve(self, code: str) -> tuple[Scheme | None, str | None]:
        """The scheme that ``code`` names (case-insensitively), following renames; and the former code if renamed."""
        key = code.strip().upper().replace("_", "-")
        if key in self.renamed:
            return self.schemes.get(self.renamed[key]), key
        return self.schemes.get(key), None


def scheme_from_list(entry: dict[str, Any]) -> Scheme | None:
    code = entry.get("code")
    if not isinstance(code, str) or not code:
        return None
    coverage = [c for c in entry.get("coverage") or [] if isinstance(c, str)]
    prefix = code.split("-")[0].split("_")[0].upper()
    country = coverage[0] if len(coverage) == 1 else (prefix if len(prefix) == 2 else None)
    if country in NOT_COUNTRIES:
        country = None
    return Scheme(code.upper(), country, bool(entry.get("deprecated")))


def build_register(entries: list[dict[str, Any]], extra: list[dict[str, str]]) -> Register:
    """A register from its list entries and the extra schemes (pure)."""
    schemes: dict[str, Scheme] = {}
    renamed: dict[str, str] = {}
    for entry in entries:
        scheme = scheme_from_list(entry)
        if scheme is None:
            continue
        schemes[scheme.code.replace("_", "-")] = scheme
        for former in entry.get("formerPrefixes") or []:
            if isinstance(former, str) and former.strip():
                renamed[former.strip().upper().replace("_", "-")] = scheme.code.replace("_", "-")
    for row in extra:
        code = row["code"].upper()
        schemes.setdefault(code, Scheme(code, row["country"] or None, registered=False, rule=row["rule"] or None))
    # A deprecated code that another list names as its former prefix is resolved to that list.
    renamed = {former: current for former, current in renamed.items() if former != current}
    return Register(schemes, renamed)


def read_entries(location: str) -> list[dict[str, Any]]:
    """The register's list entries from a directory, a JSON file or a URL."""
    if "://" in location:
        return _from_download(cached_fetch(location, name="org-id-register.json"))
    path = Path(location)
    if path.is_dir():
        files = sorted(path.rglob("*.json"))
        entries = [orjson.loads(file.read_bytes()) for file in files if file.name != "list-schema.json"]
        return [entry for entry in entries if isinstance(entry, dict) and "code" in entry]
    if path.is_file():
        return _from_download(path)
    raise AtlasError(f"the org-id register {location} does not exist (OCDS_ATLAS_ORGID_URL)")


def _from_download(path: Path) -> list[dict[str, Any]]:
    value = orjson.loads(path.read_bytes())
    lists = value.get("lists") if isinstance(value, dict) else value
    if not isinstance(lists, list):
        raise AtlasError(f"{path} is not the org-id register's download (no 'lists')")
    return [entry for entry in lists if isinstance(entry, dict)]


def read_csv(name: str) -> list[dict[str, str]]:
    """A data file of this package: rows as dicts; lines starting with # are comments."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(line for line in file if not line.startswith("#")))


@functools.cache
def load_register(location: str | None = None) -> Register:
    """The register at ``location`` (default: the setting), read once per process."""
    return build_register(read_entries(location or settings.orgid_url()), read_csv("extra_schemes.csv"))
