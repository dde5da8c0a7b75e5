"""The store pipeline writes fetched files in its thread, not the spider in Scrapy's reactor; and it holds a bounded
amount of unwritten bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred

from crawler import pipelines
from crawler.items import StoredFile
from crawler.pipelines import StorePipeline
from crawler.spiders import PagedSpider


class WriteLaterSpider(PagedSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_write_later"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    start_url = "http://127.0.0.1:1/pages?page=1"


def response(url: str, body: bytes, **meta: Any) -> TextResponse:
    return TextResponse(url, body=body, encoding="utf-8", request=Request(url, meta=meta))


@pytest.fixture
def spider(atlas_env: Path) -> WriteLaterSpider:
    return WriteLaterSpider()


def stored(spider: WriteLaterSpider, page: TextResponse) -> StoredFile:
    return next(item for item in spider.parse(page) if isinstance(item, StoredFile))


def test_without_the_pipeline_the_spider_writes_each_file_at_once(spider):
    body = b'{"releases": []}'
    item = stored(spider, response("http://127.0.0.1:1/pages?page=1", body))
    assert item.body is None
    assert Path(item.path).read_bytes() == body


def test_under_the_pipeline_the_file_carries_its_body_and_is_written_whole_later(spider):
    spider.files.later = True
    body = b'{"releases": []}'
    item = stored(spider, response("http://127.0.0.1:1/pages?page=1", body))
    assert item.body == body
    assert "body" not in repr(item)
    path = Path(item.path)
    assert not path.exists()
    assert path.parent == spider.files.directory
    assert pipelines.write(item) == path
    assert path.read_bytes() == body
    assert not list(path.parent.glob("*.partial"))


def test_a_streamed_body_is_in_the_files_store_already(spider, tmp_path):
    spider.files.later = True
    streamed = tmp_path / "streamed.json"
    streamed.write_bytes(b'{"releases": []}')
    item = stored(spider, response("http://127.0.0.1:1/big", b"", ocds_atlas_path=str(streamed)))
    assert (item.path, item.body) == (str(streamed), None)


class Intake:
    """Registers files: each must be written whole when it is."""

    def __init__(self) -> None:
        self.registered: list[Path] = []

    def hand_over(self, files: list[tuple[Path, str, int]]) -> list[int]:
        for path, _, _ in files:
            assert path.read_bytes().startswith(b"{")
            self.registered.append(path)
        return list(range(len(files)))


def test_the_pipeline_writes_then_registers_in_its_thread_and_holds_a_bounded_amount(
    spider, monkeypatch: pytest.MonkeyPatch
):
    """Each file is written by the pipeline's thread (here run by the test), before it is registered; once more than
    UNWRITTEN_BYTES wait to be written, each new file waits until the thread has written enough to be within it."""
    monkeypatch.setattr(pipelines, "UNWRITTEN_BYTES", 300)
    pipeline = StorePipeline(get_crawler(WriteLaterSpider, {"OCDS_ATLAS_LOADERS": 1}))
    pipeline.intake = intake = Intake()  # type: ignore[assignment]
    spider.files.later = True
    jobs: list[tuple[Deferred, Any, tuple[Any, ...]]] = []

    def in_thread(function: Any, *args: Any) -> Deferred:
        jobs.append((done := Deferred(), function, args))
        return done

    def run_thread() -> None:
        done, function, args = jobs.pop(0)
        done.callback(function(*args))

    monkeypatch.setattr(pipeline, "in_thread", in_thread)
    items = [stored(spider, response(f"http://127.0.0.1:1/pages?page={n}", b"{" + b" " * 98 + b"}")) for n in range(4)]
    first = pipeline.process_item(items[0], spider)
    assert first is items[0]  # 100 bytes unwritten: it goes on
    assert not Path(items[0].path).exists()  # not written in the reactor
    assert pipeline.process_item(items[1], spider) is items[1]  # 200
    assert pipeline.process_item(items[2], spider) is items[2]  # 300: not more than the limit
    waiting = pipeline.process_item(items[3], spider)  # 400 bytes unwritten: more, so this one waits
    assert isinstance(waiting, Deferred)
    got: list[Any] = []
    waiting.addCallback(got.append)
    assert not got
    run_thread()  # the first file, handed over alone: 300 bytes left to write, within the limit again
    assert intake.registered == [Path(items[0].path)]
    assert got == [items[3]] and pipeline.unwritten == 300
    run_thread()  # the three that came meanwhile
    assert intake.registered == [Path(item.path) for item in items]
    assert pipeline.unwritten == 0 and not jobs
