"""A publisher's health: whether its crawls succeed, and whether it still publishes as often as it says.

Each crawl's outcome updates the publisher's health columns when the crawl closes (:func:`record_health`); the
status is computed from them at the time it is read (:func:`status`), as staleness depends on that time. When the
publisher goes stale is computed when read too, from its newest release and its update frequency as declared now.

- ``never crawled``: no crawl of the publisher has closed.
- ``failing``: its latest crawl was not accepted; ``failing_since`` is when the first crawl of that run of failed
  crawls closed.
- ``stale``: its crawls succeed, but its newest release is older than its update frequency allows
  (``stale_since`` = newest release date + :func:`allowance`).
- ``active``: otherwise.

:func:`is_due` says whether a publisher should be crawled again, from its update frequency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from aggregator.db import query

STATUSES = ("active", "failing", "stale", "never crawled")

_DAY = timedelta(days=1)
#: How long after its newest release a publisher may go without a new one, by update frequency: its period, with
#: room for weekends, holidays and late uploads.
ALLOWANCES = {
    "continuous": 7 * _DAY,
    "real time": 7 * _DAY,
    "hourly": 7 * _DAY,
    "daily": 7 * _DAY,
    "weekly": 21 * _DAY,
    "fortnightly": 35 * _DAY,
    "monthly": 62 * _DAY,
    "quarterly": 184 * _DAY,
    "every six months": 366 * _DAY,
    "annually": 731 * _DAY,
}
#: How often a publisher is worth crawling, by update frequency (a publisher that says ``never`` is not crawled
#: again once a crawl succeeded; one whose frequency is unknown or irregular, weekly).
INTERVALS = {
    "continuous": _DAY,
    "real time": _DAY,
    "hourly": _DAY,
    "daily": _DAY,
    "weekly": 7 * _DAY,
    "fortnightly": 14 * _DAY,
    "monthly": 30 * _DAY,
    "quarterly": 91 * _DAY,
    "every six months": 182 * _DAY,
    "annually": 365 * _DAY,
}
DEFAULT_INTERVAL = 7 * _DAY
_SYNONYMS = {
    "realtime": "real time",
    "real_time": "real time",
    "every 3 months": "quarterly",
    "every_six_months": "every six months",
    "every 6 months": "every six months",
    "half yearly": "every six months",
    "half-yearly": "every six months",
    "yearly": "annually",
    "biweekly": "fortnightly",
}


@dataclass(frozen=True)
class CrawlOutcome:
    """A closed crawl: when it closed, and whether it was accepted."""

    ended_at: datetime
    accepted: bool


@dataclass(frozen=True)
class Health:
    last_crawl_at: datetime | None = None
    last_success_at: datetime | None = None
    failing_since: datetime | None = None
    newest_release_at: datetime | None = None
    #: Derived from ``newest_release_at`` and the update frequency (:func:`stale_since`); never stored.
    stale_since: datetime | None = None


def frequency(update_frequency: str | None) -> str | None:
    """An update frequency in the words of ``ALLOWANCES`` (``MONTHLY``, ``every 6 months``… are understood)."""
    if not update_frequency:
        return None
    words = update_frequency.strip().lower()
    return _SYNONYMS.get(words, words.replace("_", " "))


def allowance(update_frequency: str | None) -> timedelta | None:
    """How long a publisher may go without a new release; None when its frequency sets no limit (``never``,
    ``irregular``, unknown)."""
    return ALLOWANCES.get(frequency(update_frequency) or "")


def crawl_interval(update_frequency: str | None) -> timedelta | None:
    """How often a publisher is worth crawling; None for one that no longer publishes (``never``)."""
    words = frequency(update_frequency)
    if words == "never":
        return None
    return INTERVALS.get(words or "", DEFAULT_INTERVAL)


def newest_release(previous: datetime | None, crawl_newest: datetime | None, ended_at: datetime) -> datetime | None:
    """The publisher's newest release date after a crawl that stored releases up to ``crawl_newest``. A date after
    the crawl (a placeholder, a planned date) says nothing about when the publisher last published: it counts as
    the crawl's own time."""
    if crawl_newest is not None:
        crawl_newest = min(crawl_newest, ended_at)
    dates = [d for d in (previous, crawl_newest) if d is not None]
    return max(dates) if dates else None


def health_from_history(
    crawls: Sequence[CrawlOutcome], newest_release_at: datetime | None, update_frequency: str | None
) -> Health:
    """The health facts from a publisher's closed crawls (in any order) and its newest release date."""
    if not crawls:
        return Health(newest_release_at=newest_release_at)
    ordered = sorted(crawls, key=lambda c: c.ended_at)
    successes = [c for c in ordered if c.accepted]
    failing = []
    for crawl in reversed(ordered):
        if crawl.accepted:
            break
        failing.append(crawl)
    return Health(
        last_crawl_at=ordered[-1].ended_at,
        last_success_at=successes[-1].ended_at if successes else None,
        failing_since=failing[-1].ended_at if failing else None,
        newest_release_at=newest_release_at,
        stale_since=stale_since(newest_release_at, update_frequency),
    )


def stale_since(newest_release_at: datetime | None, update_frequency: str | None) -> datetime | None:
    """When a publisher goes stale: its newest release date plus what its frequency allows; None when the frequency
    sets no limit (never, irregular, unknown) or no release is dated."""
    period = allowance(update_frequency)
    return newest_release_at + period if newest_release_at and period else None


def status(health: Health, now: datetime) -> str:
    """One of ``STATUSES``, at ``now``."""
    if health.last_crawl_at is None:
        return "never crawled"
    if health.failing_since is not None:
        return "failing"
    if health.stale_since is not None and now >= health.stale_since:
        return "stale"
    return "active"


def is_due(health: Health, update_frequency: str | None, now: datetime) -> bool:
    """Whether a publisher should be crawled at ``now``: never crawled; or its last crawl (accepted or not: a
    failing publisher is retried at the same pace, not hammered) is older than :func:`crawl_interval`. A publisher
    that says it no longer publishes is not due once a crawl succeeded (until then, it is retried weekly)."""
    if health.last_crawl_at is None:
        return True
    interval = crawl_interval(update_frequency)
    if interval is None:
        if health.last_success_at is not None:
            return False
        interval = DEFAULT_INTERVAL
    return now - health.last_crawl_at >= interval


# IO: the crawl history in, the facts out.


def record_health(conn: psycopg.Connection, publisher_id: int, crawl_newest: datetime | None) -> Health:
    """After a crawl of the publisher closed (storing releases up to ``crawl_newest``): recompute its health from
    its crawls and store it."""
    publisher = conn.execute(query("operate/health", "select_publisher_health"), {"id": publisher_id}).fetchone()
    rows = conn.execute(query("operate/health", "select_crawl_history"), {"publisher_id": publisher_id}).fetchall()
    crawls = [CrawlOutcome(row["ended_at"], row["accepted"]) for row in rows]
    ended_at = crawls[-1].ended_at if crawls else datetime.now(UTC)
    newest = newest_release(publisher["newest_release_at"], crawl_newest, ended_at)
    health = health_from_history(crawls, newest, publisher["update_frequency"])
    conn.execute(query("operate/health", "update_publisher_health"), {"id": publisher_id, **asdict(health)})
    return health


def health_of(row: dict[str, Any]) -> Health:
    """The health facts of a row of ``select_health``, with when it goes stale by its update frequency."""
    facts = {key: row.get(key) for key in Health.__dataclass_fields__ if key != "stale_since"}
    return Health(**facts, stale_since=stale_since(row.get("newest_release_at"), row.get("update_frequency")))


def publishers_health(conn: psycopg.Connection, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every publisher with its health facts, its ``status`` and whether it ``due`` at ``now`` (default: now)."""
    now = now or datetime.now(UTC)
    rows = conn.execute(query("operate/health", "select_health")).fetchall()
    for row in rows:
        health = health_of(row)
        row["stale_since"] = health.stale_since
        row["status"] = status(health, now)
        row["due"] = is_due(health, row["update_frequency"], now)
    return rows
