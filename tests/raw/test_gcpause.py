"""The cyclic collector paused around parsed JSON (aggregator.raw.gcpause), and where the crawl pauses it."""

import gc

import pytest
from scrapy.http import Request, TextResponse

from aggregator.raw import gcpause


@pytest.fixture(autouse=True)
def collector_restored():
    running = gc.isenabled()
    yield
    gc.enable() if running else gc.disable()


def test_the_collector_is_paused_in_the_block_and_resumed_after_it_even_when_it_raises():
    gc.enable()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a nested block leaves the outer one paused
    assert gc.isenabled()
    with pytest.raises(ValueError), gcpause.paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with gcpause.paused():
        pass
    assert not gc.isenabled()


def test_a_paged_spider_reads_the_next_link_with_the_collector_paused_and_resumes_it(monkeypatch):
    from tests.crawl.test_controls import ControlsPagedSpider

    seen = []
    real = gcpause.paused

    def watched():
        seen.append(gc.isenabled())
        return real()

    monkeypatch.setattr(gcpause, "paused", watched)
    gc.enable()
    spider = ControlsPagedSpider()
    url = "http://127.0.0.1/1"
    body = b'{"releases": [], "links": {"next": "http://127.0.0.1/2"}}'
    response = TextResponse(url, body=body, encoding="utf-8", request=Request(url))
    requests = list(spider.follow(response))
    assert [r.url for r in requests] == ["http://127.0.0.1/2"]
    assert seen == [True] and gc.isenabled()
