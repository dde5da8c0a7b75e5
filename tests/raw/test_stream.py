"""Bounded memory: bodies streamed to the files store while downloading, large sources parsed incrementally, and
archives read as streams with their guards (unsafe names, expansion ratio, member pattern, truncation)."""

from __future__ import annotations

import gzip
import io
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from aggregator.raw.read import Item, Problem, ReadLimits, Source, iter_sources, read_source
from aggregator.raw.tail import members_after
from crawler.handlers import STREAMED_PATH
from crawler.spiders import PagedSpider, SimpleSpider
from crawler.spiders.paged import pointer_in_stream
from tests.archive_bytes import tar_gz_bytes, zip_bytes
from tests.conftest import PUBLISHERS
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply

TINY = ReadLimits(stream_threshold=1)  # every source is streamed
WHOLE = ReadLimits(stream_threshold=1 << 40)  # no source is streamed


def releases(prefix: str, count: int, padding: int = 0) -> list[dict[str, Any]]:
    return [
        {"ocid": f"ocds-test01-{prefix}-{n}", "id": "1", "date": "2020-01-01T00:00:00Z", "title": "x" * padding}
        for n in range(count)
    ]


def package_bytes(prefix: str, count: int, **members: Any) -> bytes:
    return orjson.dumps(
        {"uri": "http://x/p.json", "version": "1.1", "releases": releases(prefix, count, 50), **members}
    )


def outputs_of(path: Path, limits: ReadLimits, root_path: str | None = None, **kwargs: Any) -> list[Item | Problem]:
    found: list[Item | Problem] = []
    for source in iter_sources(path, limits=limits, **kwargs):
        if isinstance(source, Problem):
            found.append(source)
        else:
            found.extend(read_source(source, root_path=root_path, limits=limits))
    return found


def items(outputs: list[Item | Problem]) -> list[tuple[str, dict[str, Any], dict[str, Any] | None, int]]:
    return [(o.kind, o.data, o.package, o.ordinal) for o in outputs if isinstance(o, Item)]


def problems(outputs: list[Item | Problem]) -> list[Problem]:
    return [o for o in outputs if isinstance(o, Problem)]


def codes(outputs: list[Item | Problem]) -> list[str]:
    return [p.code for p in problems(outputs)]


# Crawling: bodies above OCDS_ATLAS_STREAM_THRESHOLD go to the files store as they arrive


class StreamedExampleSpider(SimpleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_streamed_example"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"

    def parse(self, response: Any) -> Iterator[Any]:
        # What the spider was handed, kept as a note for the test to read.
        streamed = response.meta.get(STREAMED_PATH)
        yield self.note("info", "test_response", "seen", streamed=streamed, body=len(response.body))
        yield from super().parse(response)


class StreamedPagedSpider(PagedSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_streamed_paged"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    start_url = "overridden by the test"


SETTINGS = {"OCDS_ATLAS_STREAM_THRESHOLD": 4000, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


def seen(conn: Any) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT data FROM note WHERE code = 'test_response' ORDER BY id")
    return [row["data"] for row in rows]


def chunks(body: bytes, size: int = 1000) -> Iterator[bytes]:
    return (body[start : start + size] for start in range(0, len(body), size))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_large_body_is_streamed_to_the_files_store_and_loaded(atlas_env, conn, chunked):
    large = package_bytes("large", 200)
    small = package_bytes("small", 2)
    with LocalServer() as server:
        body = chunks(large) if chunked else large
        server.route("/large.json", lambda r: Reply(200, {"Content-Type": "application/json"}, body))
        server.route("/small.json", lambda r: Reply(200, {"Content-Type": "application/json"}, small))
        urls = [f"{server.url}/large.json", f"{server.url}/small.json"]
        stats = run_spider("tests.raw.test_stream:StreamedExampleSpider", {"start_urls": urls}, SETTINGS)
    assert stats["finish_reason"] == "finished"
    by_body = {bool(note["streamed"]): note for note in seen(conn)}
    assert by_body[True]["body"] == 0  # the spider never held the large body
    assert by_body[False]["body"] == len(small)
    stored = Path(by_body[True]["streamed"])
    assert stored.read_bytes() == large
    assert not list(stored.parent.glob("*.partial"))
    files = {row["path"]: row for row in conn.execute("SELECT path, size, releases FROM crawl_file")}
    assert files[str(stored)]["size"] == len(large)
    assert files[str(stored)]["releases"] == 200
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 202


def test_a_gzip_encoded_body_is_streamed_as_it_came_and_loaded(atlas_env, conn):
    package = {"version": "1.1", "releases": [{**r, "title": secrets.token_hex(40)} for r in releases("gz", 500)]}
    large = gzip.compress(orjson.dumps(package))
    assert len(large) > SETTINGS["OCDS_ATLAS_STREAM_THRESHOLD"]
    with LocalServer() as server:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        server.route("/large.json", lambda r: Reply(200, headers, large))
        attributes = {"start_urls": [server.url + "/large.json"]}
        stats = run_spider("tests.raw.test_stream:StreamedExampleSpider", attributes, SETTINGS)
    assert stats["finish_reason"] == "finished"
    [note] = seen(conn)
    assert Path(note["streamed"]).read_bytes() == large
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 500


def test_download_maxsize_still_applies_to_streamed_bodies(atlas_env, conn):
    large = package_bytes("large", 200)
    with LocalServer() as server:
        server.route("/large.json", lambda r: Reply(200, {}, chunks(large)))
        settings = {**SETTINGS, "DOWNLOAD_MAXSIZE": 10_000, "RETRY_ENABLED": False}
        stats = run_spider(
            "tests.raw.test_stream:StreamedExampleSpider", {"start_urls": [server.url + "/large.json"]}, settings
        )
    assert stats["finish_reason"] == "finished"
    assert seen(conn) == []
    [failed] = conn.execute("SELECT path, error FROM crawl_file").fetchall()
    assert failed["path"] is None and failed["error"]
    store = atlas_env / "crawls" / "test_streamed_example"
    assert [p for p in store.rglob("*") if p.is_file()] == []  # the partial file was deleted


@pytest.mark.parametrize("links_first", [True, False])
def test_the_next_link_of_a_streamed_page_is_found_in_the_file(atlas_env, conn, links_first):
    def page(number: int, next_url: str | None) -> bytes:
        links = {"links": {"next": next_url}} if next_url else {}
        value = {**links, "releases": releases(f"p{number}", 60, 50)} if links_first else {}
        if not links_first:
            value = {"releases": releases(f"p{number}", 60, 50), **links}
        return orjson.dumps({"version": "1.1", **value})

    with LocalServer() as server:
        server.route("/1", lambda r: Reply(200, {}, chunks(page(1, server.url + "/2"))))
        server.route("/2", lambda r: Reply(200, {}, page(2, server.url + "/3")))
        server.route("/3", lambda r: Reply.json({"version": "1.1", "releases": releases("p3", 1)}))
        stats = run_spider("tests.raw.test_stream:StreamedPagedSpider", {"start_url": server.url + "/1"}, SETTINGS)
    assert stats["finish_reason"] == "finished"
    assert server.hits == {"/1": 1, "/2": 1, "/3": 1}
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 121
    package = conn.execute(
        "SELECT p.body FROM release r JOIN package_data p ON p.id = r.package_data_id WHERE r.ocid = 'ocds-test01-p1-0'"
    ).fetchone()["body"]
    assert package["links"] == {"next": server.url + "/2"}


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [("/links/next", "n"), ("/data/1/next", "b"), ("/data/0", {"next": "a"}), ("/missing", None), ("/data/5", None)],
)
def test_pointer_in_stream(pointer, expected):
    document = {"data": [{"next": "a"}, {"next": "b"}], "links": {"next": "n"}}
    assert pointer_in_stream(io.BytesIO(orjson.dumps(document)), pointer) == expected


# Reading: large sources parsed incrementally give what reading them whole gives


def test_streaming_reads_every_real_publisher_file_as_reading_whole_does():
    count = 0
    for source in iter_sources(PUBLISHERS):
        assert isinstance(source, Source)
        whole = list(read_source(source, limits=WHOLE))
        streamed = list(read_source(source, limits=TINY))
        assert items(streamed) == items(whole), source.name
        assert sorted(map(repr, problems(streamed))) == sorted(map(repr, problems(whole))), source.name
        count += 1
    assert count > 700


@pytest.mark.parametrize(
    "document",
    [
        {"uri": "u", "releases": releases("a", 3), "publishedDate": "2024", "extensions": ["e[1]", "}\\"]},
        {"uri": "u", "releases": releases("a", 3), "links": {"next": "x]"}, "n": 1.5, "t": True, "z": None},
        {"records": [{"ocid": "ocds-test01-r", "releases": []}], "version": "1.1", "empty": []},
        {"releases": [], "version": "1.1"},
        {"releases": [releases("a", 1)[0], {"id": "no ocid"}, 5], "version": "1.1"},
        {"ocid": "ocds-test01-record", "releases": releases("a", 2), "compiledRelease": {"ocid": "x"}},
        [{"releases": releases("a", 2)}, {"releases": releases("b", 2)}, []],
        [],
        {"Release": releases("w", 1)[0]},
        releases("bare", 1)[0],
    ],
)
def test_streamed_documents_read_as_whole_documents(tmp_path, document):
    path = tmp_path / "a.json"
    path.write_bytes(json.dumps(document, indent=1).encode())
    assert outputs_of(path, TINY) == outputs_of(path, WHOLE)


def test_metadata_after_the_array_reaches_every_item(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(package_bytes("a", 5, publishedDate="2024-01-01T00:00:00Z", publisher={"name": "P"}))
    found = items(outputs_of(path, TINY))
    assert len(found) == 5
    assert all(package == {"uri": "http://x/p.json", "version": "1.1", "publishedDate": "2024-01-01T00:00:00Z",
                           "publisher": {"name": "P"}} for _, _, package, _ in found)  # fmt: skip
    assert len({id(package) for _, _, package, _ in found}) == 1  # one dict, shared


def test_metadata_after_the_array_larger_than_the_tail_is_read_by_a_second_pass(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(package_bytes("a", 5, extensions=["x" * 100 for _ in range(20_000)], version="1.1"))
    [(_, _, package, _), *_] = items(outputs_of(path, TINY))
    assert len(package["extensions"]) == 20_000


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (b'{"releases": [1, 2], "a": "x\\"]"}', b'{"a": "x\\"]"}'),
        (b'{"a": 1, "releases": [1, [2]] }\n', b"{}"),
        (b'1}, {"ocid": 2}], "b": [{"c": "]"}], "d": 5}', b'{"b": [{"c": "]"}], "d": 5}'),  # the array started before
        (b'{"a": {"big": 1}', None),
        (b'{"releases": [], "records": [1]}', b"{}"),
        (b'x"}, "a": 1}', None),  # a string that started before: can't tell
    ],
)
def test_members_after(tail, expected):
    assert members_after(tail, "releases" if b"records" not in tail else "records") == expected


@pytest.mark.parametrize("root_path", ["data", "data.package", "data.list.item"])
def test_root_path_when_streaming(tmp_path, root_path):
    package = {"uri": "u", "releases": releases("a", 3), "version": "1.1"}
    document = {"data": {"package": package, "list": [releases("b", 1)[0], package]}, "after": 1}
    if root_path == "data":
        document["data"] = package
    path = tmp_path / "a.json"
    path.write_bytes(orjson.dumps(document))
    streamed = outputs_of(path, TINY, root_path)
    assert streamed == outputs_of(path, WHOLE, root_path)
    assert len(items(streamed)) == (4 if root_path.endswith("item") else 3)


def test_root_path_not_found_when_streaming(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(package_bytes("a", 2))
    for root_path in ("data", "data.item", "data.item.x.item"):
        assert codes(outputs_of(path, TINY, root_path)) == ["root_path_not_found"]
        assert codes(outputs_of(path, WHOLE, root_path)) == ["root_path_not_found"]
    path.write_bytes(orjson.dumps({"data": []}))
    assert outputs_of(path, TINY, "data.item") == outputs_of(path, WHOLE, "data.item") == []


def test_json_lines_are_read_line_by_line(tmp_path):
    lines = [orjson.dumps({"Release": r}) for r in releases("l", 4)]
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\n".join([lines[0], b"", lines[1], b"{not json", *lines[2:]]) + b"\n")
    streamed = outputs_of(path, TINY)
    assert streamed == outputs_of(path, WHOLE)
    assert codes(streamed) == ["wrapper_unwrapped", "invalid_json"]
    assert len(items(streamed)) == 4


def test_large_legacy_encoding_is_decoded_incrementally(tmp_path):
    package = {"releases": [{**r, "title": "Adquisición de vehículos"} for r in releases("e", 3)]}
    path = tmp_path / "a.json"
    path.write_bytes(json.dumps(package, ensure_ascii=False).encode("cp1252") + b"\x00")
    streamed, whole = outputs_of(path, TINY), outputs_of(path, WHOLE)
    assert items(streamed) == items(whole)
    assert codes(streamed) == codes(whole) == ["encoding_detected", "nul_removed"]
    assert items(streamed)[0][1]["title"] == "Adquisición de vehículos"


def test_invalid_json_keeps_the_items_read_before(tmp_path):
    path = tmp_path / "a.json"
    whole = package_bytes("cut", 100)
    path.write_bytes(whole[: len(whole) // 2])
    found = outputs_of(path, TINY)
    assert codes(found) == ["invalid_json"]
    assert 30 < len(items(found)) < 50


def test_nul_characters_past_the_first_megabytes_are_counted(tmp_path):
    path = tmp_path / "a.json"
    body = json.dumps({"version": "1.1", "releases": releases("n", 8000, 100)}, indent=1).encode()
    assert len(body) > 1 << 20  # more than the first chunk, which the first look reads
    path.write_bytes(body[:-3] + b"\x00\x00" + body[-3:])
    streamed, whole = outputs_of(path, TINY), outputs_of(path, WHOLE)
    assert items(streamed) == items(whole)
    assert problems(streamed) == problems(whole)
    assert problems(streamed)[0].data == {"count": 2}


def test_a_large_gzip_file_is_streamed(tmp_path):
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(package_bytes("g", 50, publishedDate="2024")))
    streamed = outputs_of(path, TINY)
    assert streamed == outputs_of(path, WHOLE)
    assert len(items(streamed)) == 50


# Archives


def names(path: Path, **kwargs: Any) -> list[str]:
    return [s.name.split("!", 1)[1] for s in iter_sources(path, **kwargs) if isinstance(s, Source)]


@pytest.mark.parametrize("make", [zip_bytes, tar_gz_bytes])
def test_member_pattern(tmp_path, make):
    path = tmp_path / "bulk"
    members = {"releases/2020.json": b"{}", "releases/2021.json": b"{}", "records/2020.json": b"{}", "x.txt": b""}
    path.write_bytes(make(members))
    assert names(path, member_pattern="releases/*.json") == ["releases/2020.json", "releases/2021.json"]
    [note] = [s for s in iter_sources(path, member_pattern="releases/*.json") if isinstance(s, Problem)]
    assert (note.level, note.code, note.data["count"]) == ("info", "member_pattern_skipped", 2)
    assert len(names(path)) == 4


def test_member_pattern_reaches_into_nested_archives(tmp_path):
    path = tmp_path / "bulk.zip"
    path.write_bytes(zip_bytes({"inner.zip": zip_bytes({"a.json": b"{}", "b.csv.json": b"{}"}), "c.json": b"{}"}))
    assert names(path, member_pattern="[ac].json") == ["c.json", "inner.zip!a.json"]


@pytest.mark.parametrize("make", [zip_bytes, tar_gz_bytes])
def test_members_that_climb_out_are_refused(tmp_path, make):
    path = tmp_path / "bulk"
    path.write_bytes(
        make({"../evil.json": b"{}", "/etc/passwd.json": b"{}", "a/../../b.json": b"{}", "ok.json": b"{}"})
    )
    found = list(iter_sources(path))
    assert [s.name for s in found if isinstance(s, Source)] == [f"{path}!ok.json"]
    refused = sorted(p.data["member"] for p in found if isinstance(p, Problem) and p.code == "unsafe_member")
    assert refused == ["../evil.json", "/etc/passwd.json", "a/../../b.json"]


BOMB_LIMITS = ReadLimits(stream_threshold=1 << 20, max_ratio=100, ratio_floor=1 << 20)


def bomb(size: int = 8 << 20) -> bytes:
    return b"[" + b" " * size + b"]"


def test_a_zip_bomb_is_stopped_from_its_headers(tmp_path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bytes({"a.json": b"[]", "b.json": bomb()}))
    found = outputs_of(path, BOMB_LIMITS)
    assert codes(found) == ["archive_too_large"]


@pytest.mark.parametrize("make", [gzip.compress, lambda data: tar_gz_bytes({"a.json": b"[1]", "b.json": data})])
def test_a_bomb_is_stopped_while_streaming(tmp_path, make):
    path = tmp_path / "bomb"
    path.write_bytes(make(bomb()))
    assert path.stat().st_size * 100 < len(bomb())
    found = outputs_of(path, BOMB_LIMITS)
    assert "archive_too_large" in codes(found)
    assert codes(found)[-1] == "archive_too_large"


def test_a_zip_whose_headers_lie_is_not_expanded_past_them(tmp_path):
    path = tmp_path / "liar.zip"
    path.write_bytes(zip_bytes({"a.json": bomb()}))
    data = bytearray(path.read_bytes())
    # Declare 1 KB instead of 8 MB, in the local header and in the central directory.
    real = len(bomb()).to_bytes(4, "little")
    for start in [i for i in range(len(data) - 4) if data[i : i + 4] == real]:
        data[start : start + 4] = (1024).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    # zipfile stops at the declared size, and the CRC check refuses the member.
    [problem] = outputs_of(path, BOMB_LIMITS)
    assert (problem.code, problem.data["error"]) == ("unreadable_file", "Bad CRC-32 for file 'a.json'")


def test_a_truncated_gzip_file_keeps_what_was_read_before(tmp_path):
    lines = b"\n".join(orjson.dumps(r) for r in releases("t", 2000, 20)) + b"\n"
    compressed = gzip.compress(lines)
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    for limits in (WHOLE, TINY):
        found = outputs_of(path, limits)
        assert "truncated_file" in codes(found)
        assert 500 < len(items(found)) < 2000


def test_a_broken_rar_inside_a_zip_is_a_note_and_the_rest_is_read(tmp_path):
    path = tmp_path / "download"
    path.write_bytes(zip_bytes({"a.rar": b"Rar!\x1a\x07\x01\x00" + b"\x00" * 100, "b.json": b"{}"}))
    [problem, source] = list(iter_sources(path))
    assert (problem.code, problem.data["name"]) == ("invalid_archive", f"{path}!a.rar")
    assert source.name == f"{path}!b.json"
