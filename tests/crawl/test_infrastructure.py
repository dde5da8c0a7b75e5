"""The test server and the spider runner that crawler tests are built on."""

from crawler.spiders import PagedSpider
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply


class PagedExampleSpider(PagedSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_paged_example"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    start_url = "overridden by the test"


def package(n: int, next_url: str | None) -> dict:
    releases = [{"ocid": f"ocds-test01-{n}-{i}", "id": "1", "date": "2020-01-01T00:00:00Z"} for i in range(3)]
    value = {"version": "1.1", "releases": releases}
    if next_url:
        value["links"] = {"next": next_url}
    return value


def test_a_test_spider_crawls_the_local_server(atlas_env, conn):
    with LocalServer() as server:
        server.route("/1", lambda r: Reply.json(package(1, server.url + "/2")))
        server.route("/2", lambda r: Reply.json(package(2, None)))
        stats = run_spider("tests.crawl.test_infrastructure:PagedExampleSpider", {"start_url": server.url + "/1"})
    assert stats["finish_reason"] == "finished"
    assert server.hits == {"/1": 1, "/2": 1}
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 6
