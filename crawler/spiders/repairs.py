"""Repairs of publishers' JSON that a spider declares it needs (see ``PublisherSpider.repair_raw_newlines``)."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import orjson
from scrapy.http import Response

from aggregator.raw import gcpause
from crawler.handlers import STREAMED_PATH
from crawler.items import CrawlNote

#: A spider: ``crawler.spiders.base.PublisherSpider``, which imports this module.
Spider = Any

#: A JSON string: its quotes and what is between them, escapes included (a raw newline too, which JSON forbids).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CONTROL = re.compile(rb"[\x00-\x1f]")


def escape_raw_control_characters(body: bytes) -> bytes | None:
    """``body`` with the raw control characters inside its strings escaped (a newline becomes ``\\n``), when it is
    not JSON and that makes it JSON; else None. What is outside strings (whitespace between values) is kept."""
    if _is_json(body):
        return None
    repaired = _STRING.sub(_escape_string, body)
    return repaired if _is_json(repaired) else None


def _is_json(body: bytes) -> bool:
    """Whether ``body`` parses, parsed with the collector paused (see :mod:`aggregator.raw.gcpause`)."""
    try:
        with gcpause.paused():
            orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


def _escape_string(match: re.Match[bytes]) -> bytes:
    text = match.group(0)
    return _CONTROL.sub(_escape_control, text) if _CONTROL.search(text) else text


def _escape_control(match: re.Match[bytes]) -> bytes:
    return {b"\n": b"\\n", b"\r": b"\\r", b"\t": b"\\t"}.get(match.group(0), b"\\u%04x" % match.group(0)[0])


def repaired_response(spider: Spider, response: Response) -> Generator[CrawlNote, None, Response]:
    """The response to store and load: repaired when its raw newlines were all that kept it from being JSON (the
    body as crawled is kept in the files store too, unloaded, and a note says so); else as it is. A body streamed to
    the files store (too large to hold) is left as it is."""
    if response.meta.get(STREAMED_PATH):
        return response
    repaired = escape_raw_control_characters(response.body)
    if repaired is None:
        return response
    original = spider.keep_unloaded(response)
    message = "raw newlines or other control characters inside JSON strings were escaped (the body as crawled is kept)"
    yield spider.note("info", "raw_newlines_repaired", message, url=response.url, original=original)
    return response.replace(body=repaired)
