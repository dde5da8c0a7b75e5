"""A spider's ``rate_limit``: requests started far enough apart that no window of the publisher's holds more than it
allows, and a 429 without ``Retry-After`` retried after the window."""

from __future__ import annotations

import time

import pytest

from crawler.middlewares import rate_limit_window
from crawler.spiders import SimpleSpider
from crawler.spiders.declarations import politeness_settings
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request


class RateLimitedExampleSpider(SimpleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_rate_limited_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    concurrency = 2  # the limit holds whatever the concurrency
    delay = 0
    rate_limit = (2, 1.0)


@pytest.mark.parametrize("limit", [(0, 120), (12,), (12, 0), (12, "120"), (True, 120), [12, 120]])
def test_rate_limit_is_checked(limit):
    with pytest.raises(TypeError, match="rate_limit"):
        type("BadSpider", (RateLimitedExampleSpider,), {"rate_limit": limit})


def test_rate_limit_sets_a_delay_without_jitter_unless_the_spider_asks_for_a_longer_one():
    twelve = type("TwelveSpider", (RateLimitedExampleSpider,), {"rate_limit": (12, 120)})
    assert politeness_settings(twelve)["DOWNLOAD_DELAY"] == 10
    assert politeness_settings(twelve)["RANDOMIZE_DOWNLOAD_DELAY"] is False
    slower = type("SlowerSpider", (RateLimitedExampleSpider,), {"rate_limit": (12, 120), "delay": 15.0})
    assert politeness_settings(slower)["DOWNLOAD_DELAY"] == 15
    unlimited = type("UnlimitedSpider", (RateLimitedExampleSpider,), {"rate_limit": None})
    assert "RANDOMIZE_DOWNLOAD_DELAY" not in politeness_settings(unlimited)
    assert rate_limit_window(twelve) == 120.0
    assert rate_limit_window(unlimited) is None


def test_a_crawl_never_exceeds_its_rate_limit_and_waits_the_window_after_a_429(atlas_env, conn):
    started: list[tuple[str, float]] = []
    refused = iter([True])

    def handler(request: Request) -> Reply:
        started.append((request.path, time.monotonic()))
        if request.path == "/p0" and next(refused, False):
            return Reply(429, {"Content-Type": "text/plain"}, b"12 request limit in 2 minute exceeded")
        number = request.path[2:]
        return Reply.json({"version": "1.1", "releases": [{"ocid": f"ocds-test01-{number}", "id": "1"}]})

    with LocalServer() as server:
        for number in range(5):
            server.route(f"/p{number}", handler)
        urls = [f"{server.url}/p{number}" for number in range(5)]
        stats = run_spider("tests.crawl.test_rate_limit:RateLimitedExampleSpider", {"start_urls": urls})
    assert stats["finish_reason"] == "finished"
    times = [moment for _, moment in started]
    assert len(times) == 6
    # (2, 1.0): no three requests start within less than a second.
    assert all(later - earlier >= 0.99 for earlier, later in zip(times, times[2:], strict=False)), times
    retried = [moment for path, moment in started if path == "/p0"]
    assert retried[1] - retried[0] >= 0.99
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 5
