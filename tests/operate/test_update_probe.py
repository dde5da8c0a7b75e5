"""``ocds-atlas update`` skips publications that are gone unless named, and probes each due publisher's endpoint
before crawling it: one that does not answer as expected is not crawled, its health says since when, and it is
probed again at the pace of its update frequency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from aggregator.operate.update import History, choose, gone_publications
from aggregator.raw.crawls import PublisherInfo, upsert_publisher
from tests.httpserver import Reply
from tests.operate import test_update as updating
from tests.operate.test_update import UpdateFeedSpider, backdate, count, update

feeds = updating.feeds  # the fixture: this module's tests use its spiders and server

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


class UpdateGoneSpider(UpdateFeedSpider):
    """A publication that is gone."""

    name = "test_update_gone"
    start_url = "{sandbox}/gone?page=0"
    available = False
    unavailable_since = "2024-03"
    unavailable_reason = "the publisher took its API down (said on its site)"


def test_choose_skips_a_gone_publication_unless_named():
    old = NOW - 10 * DAY
    histories = [
        History("alive", update_frequency="daily", last_success=old, last_closed=old),
        History("gone", update_frequency="daily", last_success=old, last_closed=old),
    ]
    gone = gone_publications(
        [
            {"name": "alive", "available": True},
            {"name": "gone", "available": False, "unavailable_since": "2024-03", "unavailable_reason": "down"},
        ]
    )
    assert gone == {"gone": "unavailable since 2024-03: down"}
    decisions = {d.name: d for d in choose(histories, NOW, None, False, gone)}
    assert decisions["alive"].due and not decisions["alive"].gone
    assert not decisions["gone"].due and decisions["gone"].gone
    assert decisions["gone"].reason == "unavailable since 2024-03: down"
    [named] = choose(histories, NOW, ["gone"], False, gone)
    assert named.due and named.reason == "asked for"


def test_a_failed_probe_paces_the_publisher_as_a_failed_crawl_would():
    old = NOW - 10 * DAY
    probed = NOW - timedelta(hours=2)
    history = History(
        "p",
        update_frequency="daily",
        last_success=old,
        last_closed=old,
        endpoint_checked_at=probed,
        endpoint_failing_since=NOW - 3 * DAY,
    )
    [decision] = choose([history], NOW, None, False)
    assert not decision.due
    assert decision.reason == "endpoint failing since 2024-04-28; probed 2 h ago; next in 22 h"
    [decision] = choose([history], NOW + DAY, None, False)
    assert decision.due


@pytest.fixture
def with_gone(feeds, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "tests.operate.test_update tests.operate.test_update_probe")
    return feeds


def test_update_skips_a_gone_publication_says_why_and_keeps_its_data(with_gone, conn: psycopg.Connection):
    info = PublisherInfo(name="test_update_gone", title="gone", country="XU", spider="test_update_gone")
    conn.execute(
        "INSERT INTO crawl (publisher_id, kind, status, close_reason, started_at, ended_at) "
        "VALUES (%s, 'crawl', 'finished', 'finished', now() - interval '40 days', now() - interval '40 days')",
        (upsert_publisher(conn, info),),
    )
    output = " ".join(update().split())
    assert (
        "skipped test_update_gone: unavailable since 2024-03: the publisher took its API down (said on its site) "
        "(name it to crawl it anyway)" in output
    )
    assert count(conn, "crawl") == 1 and count(conn, "publisher") == 1  # its history stays; nothing crawled
    assert with_gone.hits["/gone"] == 0


def test_update_probes_first_and_does_not_crawl_a_failing_endpoint(feeds, conn: psycopg.Connection):
    assert "1 finished" in update("--publisher", "test_update_feed")
    crawls = count(conn, "crawl")
    feeds.route("/feed", lambda r: Reply(404, {"Content-Type": "text/html"}, b"<html>gone</html>"))
    backdate(conn, 2)
    output = " ".join(update(code=1).split())
    assert "endpoint failing" in output and "HTTP 404" in output
    assert count(conn, "crawl") == crawls  # not crawled
    assert feeds.hits["/feed"] == 3 + 1  # the first crawl's three pages, then the probe's one request
    row = conn.execute("SELECT * FROM publisher WHERE name = 'test_update_feed'").fetchone()
    assert row["endpoint_failing_since"] is not None and "HTTP 404" in row["endpoint_problem"]

    output = " ".join(update().split())  # probed again at its own pace, not at every run
    assert "test_update_feed: endpoint failing since" in output and "next in 23 h" in output
    assert feeds.hits["/feed"] == 4
