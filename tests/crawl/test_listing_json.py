"""``PublisherSpider.listing_json``: a listing that is not the JSON a spider knows gives an error note, not a
traceback, and the spiders that read JSON listings use it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from scrapy.http import TextResponse

from crawler.items import CrawlNote
from crawler.spiders.base import PublisherSpider
from spiders.costa_rica_poder_judicial_releases import CostaRicaPoderJudicialReleasesSpider
from spiders.france_decp import FranceDecpSpider
from spiders.ghana_ghaneps import GhanaGhanepsSpider
from spiders.italy_anac import ItalyAnacSpider
from spiders.kenya_ppip import KenyaPpipSpider
from spiders.moldova_mtender import MoldovaMtenderSpider

MAINTENANCE = b"<html><body>Down for maintenance</body></html>"


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OCDS_ATLAS_HOME", str(tmp_path))


def response(body: bytes | Any, url: str = "https://publisher.example/list") -> TextResponse:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return TextResponse(url, body=raw, encoding="utf-8")


def run(items: Iterator[Any]) -> tuple[list[Any], Any]:
    """What a ``yield from`` generator yields, and what it returns."""
    yielded = []
    while True:
        try:
            yielded.append(next(items))
        except StopIteration as stop:
            return yielded, stop.value


def listing(body: bytes | Any, *path: str | int, **kwargs: Any) -> tuple[list[Any], Any]:
    spider = FranceDecpSpider()
    return run(spider.listing_json(response(body), *path, code="list_unreadable", what="the list", **kwargs))


def test_the_value_at_the_path_is_given_without_a_note() -> None:
    assert listing({"data": {"items": [1, 2]}}, "data", "items") == ([], [1, 2])
    assert listing([{"url": "a"}], 0, "url", kind=str) == ([], "a")
    assert listing({"data": []}) == ([], {"data": []})


@pytest.mark.parametrize(
    ("body", "path", "problem"),
    [
        (MAINTENANCE, ("data",), "JSONDecodeError: unexpected character"),
        (b'{"data": [1, 2', ("data",), "JSONDecodeError"),
        ({"other": []}, ("data",), "KeyError: 'data'"),
        ([], (0,), "IndexError"),
        ({"data": "none today"}, ("data", "items"), "TypeError"),
        ({"data": None}, ("data",), "data is null"),
        ({"data": {"items": "1"}}, ("data", "items"), "data/items is a string"),
        ("text", (), "the document is a string"),
    ],
)
def test_an_unreadable_listing_gives_an_error_note_and_none(body: Any, path: tuple[Any, ...], problem: str) -> None:
    yielded, value = listing(body, *path)

    assert value is None
    [note] = yielded
    assert isinstance(note, CrawlNote)
    assert (note.level, note.code, note.data) == ("error", "list_unreadable", {"url": "https://publisher.example/list"})
    assert note.message.startswith(f"the list is not readable ({problem}")
    assert note.message.endswith("): what it lists is unknown")


def test_the_kind_of_value_is_checked() -> None:
    yielded, value = listing({"data": {"id": 1}}, "data", kind=list)

    assert value is None
    assert "data is an object" in yielded[0].message


@pytest.mark.parametrize(
    ("spider_class", "code", "wrong_shape"),
    [
        (GhanaGhanepsSpider, "package_list_unreadable", {"packagesPerMonth": "none"}),
        (KenyaPpipSpider, "index_page_unreadable", {"data": {"id": 1}}),
        (ItalyAnacSpider, "catalogue_unreadable", {"result": {"count": 3}}),
        (FranceDecpSpider, "dataset_unreadable", {"resources": None}),
        (CostaRicaPoderJudicialReleasesSpider, "dataset_unreadable", {"result": {"resources": {}}}),
        (MoldovaMtenderSpider, "list_unreadable", [{"ocid": "ocds-b3wdp1-MD-1"}]),
    ],
)
def test_spiders_note_a_listing_they_cannot_read_and_request_nothing(
    spider_class: type[PublisherSpider], code: str, wrong_shape: Any
) -> None:
    for body in (MAINTENANCE, wrong_shape):
        spider = spider_class()

        yielded = list(spider.parse_listing(response(body)))

        assert [(type(item), item.level, item.code) for item in yielded] == [(CrawlNote, "error", code)]
