"""``IndexSpider`` combined with ``PeriodicSpider`` (one index per window), and ``PeriodicSpider.default_until_date``
(a publisher that stopped publishing)."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.spiders import IndexSpider, PeriodicSpider
from tests.crawl.test_base_spiders import PeriodicExampleSpider, ocids, package, queries
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request


class WindowedIndexExampleSpider(IndexSpider, PeriodicSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_windowed_index_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    dates_at_load = False

    # IndexSpider
    total_pointer = "/meta/count"
    page_size = 2
    param_offset = "offset"
    param_limit = "limit"

    # PeriodicSpider
    url_template = "overridden by the test"
    period = "day"
    default_from_date = "2020-01-01"


def day_pages(request: Request) -> Reply:
    """Each day holds as many releases as its day of the month, two a page."""
    day = request.query["day"][0]
    offset, limit = int(request.query["offset"][0]), int(request.query["limit"][0])
    count = int(day[-2:])
    releases = package(day, count)["releases"][offset : offset + limit]
    return Reply.json({"version": "1.1", "releases": releases, "meta": {"count": count}})


def test_each_window_is_the_first_page_of_its_own_index(atlas_env, conn):
    with LocalServer() as server:
        server.route("/search", day_pages)
        stats = run_spider(
            "tests.crawl.test_windowed_index:WindowedIndexExampleSpider",
            {"url_template": server.url + "/search?day={start}"},
            from_date="2020-01-01",
            until_date="2020-01-03",
        )
    assert stats["finish_reason"] == "finished"
    assert queries(server, "day", "offset") == [
        ("2020-01-01", "0"),
        ("2020-01-02", "0"),
        ("2020-01-03", "0"),
        ("2020-01-03", "2"),
    ]
    assert len(ocids(conn)) == 1 + 2 + 3


def test_an_index_without_start_url_must_be_periodic():
    with pytest.raises(TypeError, match="start_url"):
        type(
            "BadSpider",
            (IndexSpider,),
            {"name": "bad", "country": "XZ", "publisher_name": "Bad", "data_type": "release_package",
             "ocds_version": "1.1", "total_pointer": "/count", "param_page": "page"},
        )  # fmt: skip


def test_a_stopped_publisher_is_crawled_until_its_last_day(atlas_env, conn):
    with LocalServer() as server:
        for year in (2019, 2020):
            server.route(f"/{year}.json", lambda request, year=year: Reply.json(package(str(year), 1)))
        stats = run_spider(
            "tests.crawl.test_base_spiders:PeriodicExampleSpider",
            {"url_template": server.url + "/{year}.json", "period": "year", "default_until_date": "2020-06-30"},
        )
    assert stats["finish_reason"] == "finished"
    assert server.hits == {"/2019.json": 1, "/2020.json": 1}  # not every year up to today
    assert date.today().year > 2020


def test_default_until_date_is_checked():
    with pytest.raises(TypeError, match="default_until_date"):
        type("BadSpider", (PeriodicExampleSpider,), {"default_until_date": "June 2020"})
