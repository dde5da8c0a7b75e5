"""Where ocds-atlas keeps things, read from the environment at call time (never at import time)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from aggregator.errors import AtlasError

#: The standard's website, which serves the release archives (``1__1__5.zip`` …) that hold the schemas.
DEFAULT_STANDARD_URL = "https://standard.open-contracting.org/schema/"
#: The org-id.guide register, all its lists in one JSON file.
DEFAULT_ORGID_URL = "https://org-id.guide/download.json"


def cores() -> int:
    """The cores this process may run on (its CPU affinity: ``taskset``, a container's cpuset), the default number
    of worker processes."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def home() -> Path:
    """The directory for the embedded database, the files store, caches and default outputs."""
    return Path(os.environ.get("OCDS_ATLAS_HOME", "var")).resolve()


#: A spider's name, which names its publisher, its log, its job directory and its files: lower-case letters, digits
#: and "_" (matched whole: ``$`` would let a final newline through).
SPIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")


def check_name(pattern: re.Pattern[str], value: str, what: str, allowed: str) -> str:
    """``value`` if ``pattern`` matches all of it; else an error saying ``what`` it is not and which characters are
    ``allowed``, before the value reaches a path (``../../x``) or the database."""
    if not pattern.fullmatch(value):
        raise AtlasError(f"{what}: {allowed}, starting with a letter or a digit (e.g. mexico_cdmx)")
    return value


def check_spider_name(name: str) -> str:
    """The name, if it is a spider's; else an error."""
    return check_name(SPIDER_NAME, name, f"{name!r} is not a spider name", "lower-case letters, digits and '_'")


def spider_path(folder: str, spider: str, suffix: str = "") -> Path:
    """``$OCDS_ATLAS_HOME/<folder>/<spider><suffix>``, only for a spider's name: never outside the home."""
    return home() / folder / f"{check_spider_name(spider)}{suffix}"


def database_url() -> str | None:
    """The PostgreSQL connection string given by the user, or None for the embedded server."""
    return os.environ.get("DATABASE_URL") or None


def standard_url() -> str:
    """A URL or a local directory holding the standard's release archives (``1__1__5.zip``, ``1__0__3.zip``)."""
    return os.environ.get("OCDS_ATLAS_STANDARD_URL") or DEFAULT_STANDARD_URL


def files_store() -> Path:
    """Where crawls write every response body before anything parses it."""
    return home() / "crawls"


def cache_dir() -> Path:
    return home() / "cache"


def offline() -> bool:
    """``OCDS_ATLAS_OFFLINE=1``: fetch nothing (not even a DNS look-up); only what is cached is used."""
    return os.environ.get("OCDS_ATLAS_OFFLINE", "") not in ("", "0", "false", "no")


def orgid_url() -> str:
    """The org-id.guide register: a local directory of its list files, a local JSON file, or a URL (cached)."""
    return os.environ.get("OCDS_ATLAS_ORGID_URL") or DEFAULT_ORGID_URL


def rates_dir() -> Path | None:
    """A directory of extra exchange-rate and PPP tables (IMF, World Bank); None: only the packaged rates."""
    value = os.environ.get("OCDS_ATLAS_RATES_DIR")
    return Path(value) if value else None


#: How many of a publisher's latest successful crawls keep their files, by default (``ocds-atlas prune``).
DEFAULT_KEEP_CRAWLS = 2


def keep_crawls() -> int:
    """``OCDS_ATLAS_KEEP_CRAWLS``: how many of a publisher's latest successful crawls ``ocds-atlas prune`` keeps the
    files of (at least 1)."""
    value = os.environ.get("OCDS_ATLAS_KEEP_CRAWLS") or str(DEFAULT_KEEP_CRAWLS)
    if not value.isdigit() or int(value) < 1:
        from aggregator.errors import AtlasError

        raise AtlasError(f"OCDS_ATLAS_KEEP_CRAWLS must be a whole number of at least 1, not {value!r}")
    return int(value)


def red_flag_settings_dir() -> Path | None:
    """``OCDS_ATLAS_RED_FLAG_SETTINGS``: a directory of red flag settings files (``<publisher>.ini``) that come
    before the repository's (``aggregator/compare/redflags/data/``); None: only the repository's."""
    value = os.environ.get("OCDS_ATLAS_RED_FLAG_SETTINGS")
    return Path(value) if value else None
