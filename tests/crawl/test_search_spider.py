"""``SearchSpider`` (search pages naming each item's OCDS) and ``PeriodicSpider.url_variants``, crawling a local
server through the whole pipeline into the database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crawler.spiders import PeriodicSpider, SearchSpider
from crawler.spiders.declarations import politeness_settings
from crawler.spiders.periodic import variants
from spiders.dominican_republic_dgcp_api import DominicanRepublicDgcpApiSpider
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request


class SearchExampleSpider(SearchSpider, PeriodicSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_search_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    ocid_prefixes = ("ocds-test01-",)
    delay = 0

    # PeriodicSpider
    url_template = "overridden by the test: {kind}"
    url_variants = {"kind": ("kind=called", "kind=planned")}  # noqa: RUF012
    period = "year"
    default_from_date = "2020-01-01"

    # SearchSpider
    search_items = ("payload", "content")
    item_url = "overridden by the test"
    total_pointer = "/pages"
    page_param = "page"


def search(request: Request) -> Reply:
    """Two pages of processes called in the year, then a page past the end (content null); one page planned; an
    item without an OCID."""
    kind, year = request.query["kind"][0], request.query["from"][0][:4]
    page = int(request.query.get("page", ["1"])[0])
    pages = {1: [f"{year}-a", f"{year}-b"], 2: [f"{year}-c"]} if kind == "called" else {1: [f"{year}-p"]}
    content = [{"ocid": f"ocds-test01-{key}"} for key in pages[page]] if page in pages else None
    if content and kind == "planned":
        content.append({"id": "no ocid"})
    return Reply.json({"pages": len(pages), "payload": {"content": content}})


def ocds(request: Request) -> Reply:
    code = request.path.rpartition("/")[2]
    release = {"ocid": f"ocds-test01-{code}", "id": "1", "date": f"{code[:4]}-06-01T00:00:00Z"}
    return Reply.json({"version": "1.1", "releases": [release]})


def test_search_spider_fetches_every_item_of_every_page_of_every_variant(atlas_env, conn):
    with LocalServer() as server:
        server.route("/search", search)
        for key in ("a", "b", "c", "p"):
            server.route(f"/ocds/2020-{key}", ocds)
        attributes = {
            "url_template": server.url + "/search?from={start}&to={end}&{kind}",
            "item_url": server.url + "/ocds/{code}",
        }
        stats = run_spider(
            "tests.crawl.test_search_spider:SearchExampleSpider",
            attributes,
            from_date="2020-01-01",
            until_date="2020-12-31",
        )
    assert stats["finish_reason"] == "finished"
    searched = sorted(
        (r.query["kind"][0], r.query.get("page", ["1"])[0]) for r in server.requests if r.path == "/search"
    )
    assert searched == [("called", "1"), ("called", "2"), ("planned", "1")]
    assert [row["ocid"] for row in conn.execute("SELECT ocid FROM release ORDER BY ocid")] == [
        f"ocds-test01-2020-{key}" for key in ("a", "b", "c", "p")
    ]
    # the searches are kept in the files store, not loaded; the item without an OCID is noted
    assert {row["code"] for row in conn.execute("SELECT code FROM note")} >= {"listed_without_url"}


def test_item_urls_fill_the_template_with_the_item_and_its_code():
    spider = SimpleNamespace(item_url="https://x.org/{code}?ocid={ocid}&u={url}", ocid_prefixes=("ocds-abc123-",))
    item = {"ocid": "ocds-abc123-42", "url": "u1"}
    assert SearchSpider.item_urls(spider, item) == ["https://x.org/42?ocid=ocds-abc123-42&u=u1"]  # type: ignore[arg-type]
    assert SearchSpider.item_urls(spider, {"ocid": "other-42", "url": "u1"}) == []  # type: ignore[arg-type]
    assert SearchSpider.item_urls(spider, {"ocid": "ocds-abc123-42", "url": ""}) == []  # type: ignore[arg-type]
    assert SearchSpider.item_urls(spider, "ocds-abc123-42") == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"item_url": None}, "item_url"),
        ({"search_items": "payload"}, "search_items"),
        ({"page_param": None}, "page_param"),
        ({"total_pointer": None, "page_size": 10}, "page_size"),
        ({"url_variants": {"other": ("a",)}}, "url_template has no"),
        ({"url_variants": {"kind": ()}}, "non-empty tuple"),
    ],
)
def test_search_declarations_are_checked(attributes, message):
    with pytest.raises(TypeError, match=message):
        type("BadSpider", (SearchExampleSpider,), {"url_template": "https://x.org/{kind}", **attributes})


def test_variants_are_every_combination_of_the_values():
    assert variants({}) == [{}]
    assert variants({"b": ("1", "2"), "a": ("x",)}) == [{"a": "x", "b": "1"}, {"a": "x", "b": "2"}]


def test_the_dominican_api_is_asked_at_most_once_a_second():
    # Its terms allow 60 requests a minute from one address.
    settings = politeness_settings(DominicanRepublicDgcpApiSpider)
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY"] >= 1.0
