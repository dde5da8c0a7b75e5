"""What a spider declares, checked when its class is defined, and its arguments parsed: the rules behind
:class:`crawler.spiders.base.PublisherSpider`, kept apart from its behaviour."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from aggregator.settings import SPIDER_NAME

#: A spider class or instance: ``crawler.spiders.base.PublisherSpider``, which imports this module.
Spider = Any

DATA_TYPES = (
    "release_package",
    "record_package",
    "release",
    "record",
    "release_package_list",
    "record_package_list",
    "release_list",
    "record_list",
    "compiled_release",
)
OCDS_VERSIONS = ("1.0", "1.1")
LEVELS = ("national", "regional", "city")
#: The request meta key that marks OCDS named by a listing (see ``PublisherSpider.listings``).
OCDS_DATA = "ocds_data"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SINCE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
#: What a spider that declares ``browser_user_agent`` sends: some publishers refuse other clients.
BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def check_declarations(cls: type[Spider], base: type[Spider]) -> None:
    """Refuse a spider class that lacks a declaration or declares one wrongly."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    for attribute in ("name", "country", "publisher_name", "data_type", "ocds_version"):
        if not isinstance(getattr(cls, attribute, None), str) or not getattr(cls, attribute):
            raise TypeError(f"{where} must declare {attribute} (a non-empty string)")
    if not SPIDER_NAME.fullmatch(cls.name):
        raise TypeError(f"{where}.name must be lower-case letters, digits and '_', not {cls.name!r}")
    if not _COUNTRY.match(cls.country):
        raise TypeError(f"{where}.country must be an ISO 3166-1 alpha-2 code, not {cls.country!r}")
    if cls.data_type not in DATA_TYPES:
        raise TypeError(f"{where}.data_type must be one of {', '.join(DATA_TYPES)}, not {cls.data_type!r}")
    if cls.ocds_version not in OCDS_VERSIONS:
        raise TypeError(f"{where}.ocds_version must be one of {', '.join(OCDS_VERSIONS)}")
    if cls.level not in LEVELS:
        raise TypeError(f"{where}.level must be one of {', '.join(LEVELS)}")
    if cls.name.startswith("sandbox_") != cls.is_sandbox:
        raise TypeError(f"{where}: sandbox spiders, and only they, are named sandbox_* and set is_sandbox")
    if not isinstance(cls.concurrency, int) or isinstance(cls.concurrency, bool) or cls.concurrency < 1:
        raise TypeError(f"{where}.concurrency must be a whole number of at least 1")
    if not isinstance(cls.delay, int | float) or isinstance(cls.delay, bool) or cls.delay < 0:
        raise TypeError(f"{where}.delay must be a number of seconds, at least 0")
    check_rate_limit(cls, where)
    if isinstance(cls.credentials, str) or not all(isinstance(c, str) and c for c in cls.credentials):
        raise TypeError(f"{where}.credentials must be a tuple of environment variable names")
    check_availability(cls, where)
    if isinstance(cls.facts_from, str) or not all(isinstance(f, str) and f for f in cls.facts_from):
        raise TypeError(f"{where}.facts_from must be a tuple of sources (reference spiders, documentation URLs)")
    if cls.listings and cls.parse_listing is base.parse_listing:
        raise TypeError(f"{where} declares listings, so it must define parse_listing")


def check_rate_limit(cls: type[Spider], where: str) -> None:
    """``rate_limit`` is None or ``(requests, seconds)``: a whole number of at least 1 and a positive number."""
    limit = cls.rate_limit
    if limit is None:
        return
    if not isinstance(limit, tuple) or len(limit) != 2 or any(isinstance(v, bool) for v in limit):
        raise TypeError(f"{where}.rate_limit must be (requests, seconds), e.g. (12, 120)")
    requests, seconds = limit
    if not isinstance(requests, int) or requests < 1 or not isinstance(seconds, int | float) or seconds <= 0:
        raise TypeError(f"{where}.rate_limit must be (requests, seconds): at least 1 request in a positive time")


def check_availability(cls: type[Spider], where: str) -> None:
    """An unavailable spider says since when and why; an available one says neither."""
    if not isinstance(cls.available, bool):
        raise TypeError(f"{where}.available must be True or False")
    if cls.available:
        if cls.unavailable_since or cls.unavailable_reason:
            raise TypeError(f"{where} is available: it declares no unavailable_since or unavailable_reason")
        return
    if not isinstance(cls.unavailable_since, str) or not _SINCE.match(cls.unavailable_since):
        raise TypeError(f"{where}.unavailable_since must be a date (YYYY-MM-DD) or a month (YYYY-MM)")
    if not isinstance(cls.unavailable_reason, str) or not cls.unavailable_reason.strip():
        raise TypeError(f"{where}.unavailable_reason must say what happened to the publication, and where it is said")
    if "\n" in cls.unavailable_reason:
        raise TypeError(f"{where}.unavailable_reason must be one line")


#: The smallest delay between requests. Scrapy 2.19 (asyncio reactor) starts each queued request in a task that
#: counts as transferring only once it runs: with no delay, a slot whose queue holds several requests starts them
#: all at once, whatever CONCURRENT_REQUESTS_PER_DOMAIN says. Any delay makes it start one at a time.
MIN_DELAY = 0.01


def politeness_settings(cls: type[Spider]) -> dict[str, Any]:
    """Scrapy settings from a spider's ``concurrency`` and ``delay``. The sandbox is served on this machine by
    ocds-atlas itself: no AutoThrottle and no more delay than needed there, which would only slow the demo and the
    tests."""
    settings: dict[str, Any] = {"CONCURRENT_REQUESTS_PER_DOMAIN": cls.concurrency}
    if cls.browser_user_agent:
        settings["USER_AGENT"] = BROWSER_USER_AGENT
    if cls.is_sandbox:
        return {**settings, "DOWNLOAD_DELAY": MIN_DELAY, "AUTOTHROTTLE_ENABLED": False}
    if cls.rate_limit:
        # Scrapy's slot starts a host's requests at least DOWNLOAD_DELAY apart (AutoThrottle never goes below it);
        # without the random jitter, which would start some sooner.
        requests, seconds = cls.rate_limit
        delay = max(cls.delay, seconds / requests, MIN_DELAY)
        return {**settings, "DOWNLOAD_DELAY": delay, "RANDOMIZE_DOWNLOAD_DELAY": False}
    return {**settings, "DOWNLOAD_DELAY": max(cls.delay, MIN_DELAY)}


class MissingCredentialError(ValueError):
    """A credential a spider declares is not in the environment: the crawl does not start."""


def check_credentials(spider: Spider) -> None:
    missing = [name for name in spider.credentials if not os.environ.get(name)]
    if missing:
        names = ", ".join(missing)
        raise MissingCredentialError(f"{spider.name} needs the credential(s) {names}: set the environment variable(s)")


def positive_int_argument(name: str, value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1")
    return number


def datetime_argument(name: str, value: str | None) -> datetime | None:
    """A date-time argument (``YYYY-MM-DDTHH:MM:SS…``, UTC when it has no offset), or None for a plain date."""
    if not value or len(value) <= 10:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, or an ISO 8601 date-time, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_argument(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


def choice_argument(name: str, value: str | None, choices: Iterable[str]) -> str | None:
    """A spider argument that names one of a publisher's systems, portals…: None when not given."""
    if value is None or value == "":
        return None
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value
