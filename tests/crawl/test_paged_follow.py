"""PagedSpider.follow on single responses: the next link, joined to the page's URL, and the notes on bad links."""

import gc

import pytest
from scrapy.http import Request, TextResponse

from crawler.frontier import ESSENTIAL
from crawler.spiders import paged
from crawler.spiders.declarations import OCDS_DATA
from tests.crawl.test_controls import ControlsPagedSpider

PAGE = "http://127.0.0.1:8000/api/releases?page=1"


def follow(body: bytes, url: str = PAGE, spider: ControlsPagedSpider | None = None, **meta):
    spider = spider or ControlsPagedSpider()
    response = TextResponse(url, body=body, encoding="utf-8", request=Request(url, meta=meta))
    return list(spider.follow(response))


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("http://127.0.0.1:8000/api/releases?page=2", "http://127.0.0.1:8000/api/releases?page=2"),
        ("/api/releases?page=2", "http://127.0.0.1:8000/api/releases?page=2"),
        ("releases?page=2", "http://127.0.0.1:8000/api/releases?page=2"),
        ("?page=2", "http://127.0.0.1:8000/api/releases?page=2"),
    ],
)
def test_the_next_link_is_joined_to_the_pages_url(link, expected):
    body = b'{"links": {"next": "%s"}, "releases": []}' % link.encode()
    (request,) = follow(body, **{OCDS_DATA: True})
    assert request.url == expected
    assert request.meta[ESSENTIAL] and request.meta[OCDS_DATA]


def test_an_html_base_in_the_body_does_not_move_the_link():
    body = b'{"releases": [{"description": "<base href=\'http://x.example/\'>"}], "links": {"next": "?page=2"}}'
    (request,) = follow(body)
    assert request.url == "http://127.0.0.1:8000/api/releases?page=2"


def test_the_last_page_has_no_next_link():
    assert follow(b'{"links": {}, "releases": []}') == []
    assert follow(b'{"releases": []}') == []


def test_a_link_back_to_a_page_fetched_is_noted_with_the_link_as_given():
    spider = ControlsPagedSpider()
    follow(b'{"links": {"next": "?page=2"}}', spider=spider)
    follow(b'{"links": {"next": "?page=3"}}', url="http://127.0.0.1:8000/api/releases?page=2", spider=spider)
    (note,) = follow(b'{"links": {"next": "?page=1"}}', url="http://127.0.0.1:8000/api/releases?page=3", spider=spider)
    assert (note.level, note.code, note.data["link"]) == ("warning", "looping_next_link", "?page=1")


@pytest.mark.parametrize("link", [b'""', b"3", b'["a"]'])
def test_a_next_link_that_is_not_a_url_is_noted(link):
    (note,) = follow(b'{"links": {"next": %s}}' % link)
    assert (note.level, note.code) == ("warning", "invalid_next_link")


def test_a_page_that_is_not_json_is_noted():
    (note,) = follow(b"<html>maintenance</html>")
    assert (note.level, note.code, note.data["url"]) == ("error", "next_link_unreadable", PAGE)


def test_a_page_is_read_with_the_collector_paused_and_it_runs_again_after(monkeypatch):
    running, real, seen = gc.isenabled(), paged.resolve_pointer, []

    def resolve(document, pointer):
        seen.append(gc.isenabled())
        return real(document, pointer)

    monkeypatch.setattr(paged, "resolve_pointer", resolve)
    gc.enable()
    try:
        (request,) = follow(b'{"releases": [], "links": {"next": "?page=2"}}')
        assert seen == [False] and gc.isenabled()
    finally:
        gc.enable() if running else gc.disable()
    assert request.url == "http://127.0.0.1:8000/api/releases?page=2"
