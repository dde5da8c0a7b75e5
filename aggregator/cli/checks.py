"""Arguments checked before anything reaches the database or starts a crawl: each mistake is one line that says
what is expected (and, where it can, what was probably meant), raised as an :class:`AtlasError`.

The country codes are data (``data/countries.csv``, ISO 3166-1 alpha-2 with short names, from the tz database's
``iso3166.tab``); the codes ISO 3166 leaves to users (AA, QM to QZ, XA to XZ, ZZ) are accepted too: the sandbox's
XA to XC, Kosovo's XK and ZZ (any country) are among them.
"""

from __future__ import annotations

import csv
import difflib
import functools
import os
import re
from pathlib import Path

import psycopg

from aggregator import settings
from aggregator.errors import AtlasError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COUNTRIES = Path(__file__).resolve().parent / "data" / "countries.csv"
#: A publisher's key, as the ``publisher`` table's CHECK constraint says.
PUBLISHER_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
OCDS_VERSIONS = ("1.0", "1.1")
_USER_ASSIGNED = re.compile(r"^(AA|Q[M-Z]|X[A-Z]|ZZ)$")
_SPIDER_NAME = re.compile(r"^    name\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@functools.cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code to short name."""
    with COUNTRIES.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def check_country(value: str) -> str:
    """The code, upper-cased; a name or an unknown code suggests the codes it may mean."""
    code = value.strip().upper()
    if code in countries() or _USER_ASSIGNED.match(code):
        return code
    hint = _country_hint(value.strip())
    raise AtlasError(f"--country {value!r} is not an ISO 3166-1 alpha-2 code (two letters, e.g. MX){hint}")


def _country_hint(value: str) -> str:
    names = {name.lower(): code for code, name in countries().items()}
    wanted = value.lower()
    found = [code for name, code in names.items() if wanted and (name.startswith(wanted) or wanted in _words(name))]
    found += [names[name] for name in difflib.get_close_matches(wanted, names, n=3, cutoff=0.75)]
    found = list(dict.fromkeys(found))[:3]
    if not found:
        return ""
    return "; did you mean " + " or ".join(f"{code} ({countries()[code]})" for code in found) + "?"


def _words(name: str) -> list[str]:
    return re.findall(r"\w+", name)


def check_publisher_name(value: str) -> str:
    allowed = "lower-case letters, digits, '_', '.' and '-'"
    return settings.check_name(PUBLISHER_NAME, value, f"--publisher {value!r} is not a publisher key", allowed)


def check_ocds_version(value: str | None) -> str | None:
    if value is not None and value not in OCDS_VERSIONS:
        raise AtlasError(f"--ocds-version {value!r} is not an OCDS version: use {' or '.join(OCDS_VERSIONS)}")
    return value


def check_database_url(url: str | None) -> None:
    """A ``DATABASE_URL`` that libpq cannot read (said without its password)."""
    if not url:
        return
    if not re.match(r"^postgres(ql)?://", url) and "=" not in url:
        raise AtlasError("DATABASE_URL is not a PostgreSQL URL: expected postgresql://user@host:port/database")
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        reason = str(error).splitlines()[0].replace(url, "DATABASE_URL")
        raise AtlasError(
            f"DATABASE_URL is not a valid PostgreSQL URL ({_without_secrets(reason, url)}): "
            "expected postgresql://user@host:port/database"
        ) from None
    port = str(parts.get("port") or "")
    if port and not all(p.isdigit() for p in port.split(",")):
        raise AtlasError(f"DATABASE_URL's port {port!r} is not a number: expected postgresql://user@host:port/database")


def _without_secrets(text: str, url: str) -> str:
    password = re.search(r"://[^:/@]*:([^@]*)@", url)
    return text.replace(password.group(1), "***") if password and password.group(1) else text


def spider_names() -> set[str] | None:
    """The spiders' names, read from their files (Scrapy is not imported here); None when a module of
    ``OCDS_ATLAS_SPIDER_MODULES`` is not a folder of this checkout, whose spiders only Scrapy can list."""
    modules = ["spiders", *os.environ.get("OCDS_ATLAS_SPIDER_MODULES", "").split()]
    names: set[str] = set()
    for module in modules:
        folder = PROJECT_ROOT / module.replace(".", "/")
        if not folder.is_dir():
            return None
        for path in folder.glob("*.py"):
            names.update(_SPIDER_NAME.findall(path.read_text(encoding="utf-8")))
    return names


def check_spider(name: str) -> str:
    settings.check_spider_name(name)
    names = spider_names()
    if names is None or name in names:
        return name
    close = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
    close += [n for n in sorted(names) if name and name in n and n not in close][: 3 - len(close)]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise AtlasError(f"unknown spider {name!r}{hint} (`ocds-atlas publishers` lists them)")
