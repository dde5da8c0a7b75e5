"""The base spiders' declarations for publishers that are not one GET per URL: POSTed date windows, index pages that
list items, a POSTed start and a download token step, ASP.NET postbacks, and a refusal's note."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.items import CrawlNote, FailedRequest
from crawler.spiders.declarations import OCDS_DATA
from crawler.spiders.periodic import fill_template, window_url
from crawler.spiders.simple import TOKEN_STEP
from spiders.albania_kpp import AlbaniaKppSpider
from spiders.bulgaria_ppa import BulgariaPpaSpider
from spiders.croatia_eojn import CroatiaEojnSpider
from spiders.malawi_maneps_records import MalawiManepsRecordsSpider
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply
from tests.replay import replay_settings


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(tmp_path))


def answer(url: str, body: Any, meta: dict[str, Any] | None = None, cls: type = TextResponse) -> TextResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return cls(url, body=raw, encoding="utf-8", request=scrapy.Request(url, meta=meta or {}))


def started(spider: scrapy.Spider) -> list[scrapy.Request]:
    async def collect() -> list[scrapy.Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def codes(items: Iterator[Any]) -> tuple[list[str], list[scrapy.Request]]:
    """The note codes and the requests among what a callback yields."""
    yielded = list(items)
    return [i.code for i in yielded if isinstance(i, CrawlNote)], [i for i in yielded if isinstance(i, scrapy.Request)]


# PeriodicSpider: body_template


def test_a_window_fills_after_with_the_day_after_it():
    window = (date(2021, 1, 1), date(2021, 12, 31))
    assert window_url("{start}..{after}", window, "%-m/%-d/%Y") == "1/1/2021..1/1/2022"


def test_a_body_template_is_filled_at_every_depth_and_keeps_other_values():
    template = {"filters": [["date", ">=", "{start}"], ["date", "<", "{after}"]], "size": 10, "year": "{year}"}
    window = (date(2024, 2, 1), date(2024, 2, 29))
    assert fill_template(template, window) == {
        "filters": [["date", ">=", "2024-02-01"], ["date", "<", "2024-03-01"]],
        "size": 10,
        "year": "2024",
    }


@pytest.mark.usefixtures("home")
def test_windows_with_a_body_template_are_posted_each_with_its_body():
    requests = started(AlbaniaKppSpider(from_date="2022-03-01", until_date="2023-12-31"))
    assert [r.method for r in requests] == ["POST", "POST"]
    assert {r.url for r in requests} == {AlbaniaKppSpider.url_template}
    conditions = [orjson.loads(r.body)["extraConditions"] for r in requests]
    assert conditions[0] == [["decision_date", ">=", "3/1/2022"], ["decision_date", "<=", "1/1/2023"]]
    assert conditions[1][0][2] == "1/1/2023"


# IndexSpider: listings


@pytest.mark.usefixtures("home")
def test_an_index_listing_requests_the_other_pages_then_each_items_ocds():
    spider = MalawiManepsRecordsSpider()
    first = answer(spider.start_url, {"total": 2500, "items": [{"ocid": "ocds-x-1"}, {"ocid": "ocds-x-PPDA/2024/3"}]})
    first.request.meta["index_first"] = True
    notes, requests = codes(spider.parse(first))
    assert notes == []
    pages = [orjson.loads(r.body) for r in requests if r.url == spider.start_url]
    assert pages == [{"skip": 1000, "take": 1000}, {"skip": 2000, "take": 1000}]
    items = [r for r in requests if r.meta.get(OCDS_DATA)]
    assert [r.url for r in items] == [
        "https://maneps.mw/rms/api/ocds/record-package/ocds-x-1",
        "https://maneps.mw/rms/api/ocds/record-package/ocds-x-PPDA/2024/3",
    ]


@pytest.mark.usefixtures("home")
def test_an_index_item_without_the_fields_of_item_url_is_noted():
    spider = MalawiManepsRecordsSpider()
    notes, requests = codes(spider.parse(answer(spider.start_url, {"total": 2, "items": [{"id": 1}, "text"]})))
    assert notes == ["index_item_unreadable", "index_item_unreadable"]
    assert requests == []


@pytest.mark.usefixtures("home")
def test_an_index_page_that_is_not_json_is_noted():
    spider = MalawiManepsRecordsSpider()
    notes, _ = codes(spider.parse(answer(spider.start_url, b"<html>maintenance</html>")))
    assert notes == ["index_page_unreadable"]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [({"items_pointer": None}, "items_pointer"), ({"item_url": None}, "item_url, or define item_requests")],
)
def test_index_listing_declarations_are_checked(attributes, message):
    with pytest.raises(TypeError, match=message):
        type("BadSpider", (MalawiManepsRecordsSpider,), attributes)


# SimpleSpider: start_body and the download token step


@pytest.mark.usefixtures("home")
def test_a_start_body_posts_the_start_urls():
    requests = started(BulgariaPpaSpider())
    assert [(r.method, r.url) for r in requests] == [("POST", "https://data.egov.bg/api/listDatasets")]
    assert orjson.loads(requests[0].body)["criteria"]["org_ids"] == [502]


@pytest.mark.usefixtures("home")
def test_a_token_answer_names_the_ocds_to_download():
    spider = BulgariaPpaSpider()
    url = "https://data.egov.bg/dataset/abc/resources/download/json"
    notes, requests = codes(spider.parse(answer(url, {"uri": "a b/c"}, {TOKEN_STEP: True})))
    assert notes == []
    assert [r.url for r in requests] == ["https://data.egov.bg/dataset/resources/download/zip/json/a%20b%2Fc/false"]
    assert requests[0].meta[OCDS_DATA]


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize("body", [b"<html>Forbidden</html>", {"error": "expired"}, {"uri": ""}, {"uri": [1]}])
def test_a_token_answer_without_a_token_is_noted(body):
    spider = BulgariaPpaSpider()
    notes, requests = codes(spider.parse(answer("https://data.egov.bg/t", body, {TOKEN_STEP: True})))
    assert (notes, requests) == (["download_token_unreadable"], [])


def test_a_token_step_declares_both_its_pointer_and_its_url():
    with pytest.raises(TypeError, match="both token_pointer and token_url"):
        type("BadSpider", (BulgariaPpaSpider,), {"token_url": None})


# PostbackSpider

FORM = """<html><body><form method="post" action="./Files.aspx" id="form1">
<input type="hidden" name="__EVENTTARGET" value="" /><input type="hidden" name="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" value="state" /><input type="submit" name="ctl00$btnSearch" value="Search" />
<a id="ctl00_Main_lnk1" href="javascript:__doPostBack('ctl00$Main$lnk1','page')">one</a>
<a id="ctl00_Main_lnk2" href="Files.aspx#">two</a></form></body></html>"""


@pytest.mark.usefixtures("home")
def test_each_postback_link_posts_the_form_with_its_target():
    spider = CroatiaEojnSpider()
    url = "https://eojn.nn.hr/SPIN/application/ipn/Oglasnik/Files.aspx"
    notes, requests = codes(spider.parse(answer(url, FORM.encode(), cls=HtmlResponse)))
    assert notes == []
    forms = [{k: v[0] for k, v in parse_qs(r.body.decode(), keep_blank_values=True).items()} for r in requests]
    assert [(f["__EVENTTARGET"], f["__EVENTARGUMENT"]) for f in forms] == [
        ("ctl00$Main$lnk1", "page"),
        ("ctl00$Main$lnk2", ""),
    ]
    assert all(f["__VIEWSTATE"] == "state" and "ctl00$btnSearch" not in f for f in forms)
    assert all(r.method == "POST" and r.url == url and r.meta[OCDS_DATA] for r in requests)


@pytest.mark.usefixtures("home")
def test_a_page_without_a_form_is_noted():
    spider = CroatiaEojnSpider()
    notes, requests = codes(
        spider.parse(answer(spider.form_url, b"<html><p>Odr\xc5\xbeavanje</p></html>", cls=HtmlResponse))
    )
    assert (notes, requests) == (["postback_links_missing"], [])


# refusal_reason


@pytest.mark.usefixtures("home")
def test_a_refusal_is_noted_with_the_reason_the_spider_gives():
    spider = BulgariaPpaSpider()
    response = answer("https://data.egov.bg/api/listDatasets", b"Forbidden")
    response.status = 403
    failure = type("Failure", (), {"value": HttpError(response, "403")})
    failure.request, failure.type, failure.getErrorMessage = response.request, Exception, lambda: "Ignoring 403"
    yielded = list(spider.failed(failure))
    assert isinstance(yielded[0], CrawlNote) and yielded[0].code == "publisher_refused"
    assert "Bulgarian IP addresses" in yielded[0].message
    assert isinstance(yielded[1], FailedRequest)


def test_a_geo_restricted_crawl_fails_at_once_saying_why(atlas_env, conn):
    with LocalServer() as server:
        server.route(
            "/data.egov.bg/api/listDatasets", lambda request: Reply(403, {"Content-Type": "text/html"}, b"403")
        )
        stats = run_spider("spiders.bulgaria_ppa:BulgariaPpaSpider", settings=replay_settings(server.url), timeout=60)
    assert stats["finish_reason"] == "finished"
    assert server.hits["/data.egov.bg/api/listDatasets"] == 1  # not retried
    crawl = conn.execute("SELECT status FROM crawl").fetchone()
    assert crawl["status"] == "failed"
    note = conn.execute("SELECT message FROM note WHERE code = 'publisher_refused'").fetchone()
    assert "geo-restricted" in note["message"]
