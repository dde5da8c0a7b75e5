"""The base spiders, each crawling a local server through the whole pipeline into the database."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest
from scrapy.http import Response

from crawler.spiders import ArchiveSpider, EgpSpider, IndexSpider, PeriodicSpider, SimpleSpider
from crawler.spiders.periodic import date_windows, window_url
from tests.archive_bytes import tar_gz_bytes, zip_bytes
from tests.crawling import run_spider
from tests.httpserver import LocalServer, Reply, Request
from tests.raw_bodies import decode_raw_bodies


class PeriodicExampleSpider(PeriodicSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_periodic_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0

    # PeriodicSpider
    url_template = "overridden by the test"
    default_from_date = "2019-05-01"


class IndexExampleSpider(IndexSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_index_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0

    # IndexSpider
    start_url = "overridden by the test"
    total_pointer = "/pagination/pages"
    param_page = "page"


class ArchiveExampleSpider(ArchiveSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_archive_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release"
    ocds_version = "1.1"
    delay = 0


class SpreadsheetExampleSpider(SimpleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_spreadsheet_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0


class ListingExampleSpider(SimpleSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_listing_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    listings = True

    # SimpleSpider
    start_urls = ("overridden by the test",)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        page = orjson.loads(response.body)
        for link in page["packages"]:
            yield self.ocds_request(response.urljoin(link))
        if page.get("next"):
            yield self.request(response.urljoin(page["next"]))


class EgpExampleSpider(EgpSpider):
    """
    Publisher
      A test publisher
    """

    name = "test_egp_example"

    # PublisherSpider
    country = "XZ"
    publisher_name = "Test publisher"
    delay = 0

    # EgpSpider
    portal = "overridden by the test"


def package(key: str, count: int = 2, day: str = "2020-01-01") -> dict:
    releases = [{"ocid": f"ocds-test01-{key}-{i}", "id": "1", "date": f"{day}T00:00:00Z"} for i in range(count)]
    return {"version": "1.1", "releases": releases}


def ocids(conn) -> list[str]:
    return [row["ocid"] for row in conn.execute("SELECT ocid FROM release ORDER BY ocid")]


def notes(conn) -> set[str]:
    return {row["code"] for row in conn.execute("SELECT code FROM note")}


def queries(server: LocalServer, *names: str) -> list[tuple[str, ...]]:
    return sorted(tuple(r.query[name][0] for name in names) for r in server.requests)


# PeriodicSpider


@pytest.mark.parametrize(
    ("first", "last", "period", "expected"),
    [
        ("2020-01-15", "2020-03-10", "month", [("01-15", "01-31"), ("02-01", "02-29"), ("03-01", "03-10")]),
        ("2020-12-31", "2021-01-01", "year", [("12-31", "12-31"), ("01-01", "01-01")]),
        (
            "2020-02-27",
            "2020-03-01",
            "day",
            [("02-27", "02-27"), ("02-28", "02-28"), ("02-29", "02-29"), ("03-01",) * 2],
        ),
        ("2020-01-01", "2020-01-25", 10, [("01-01", "01-10"), ("01-11", "01-20"), ("01-21", "01-25")]),
        ("2020-01-02", "2020-01-01", "month", []),
    ],
)
def test_date_windows(first, last, period, expected):
    windows = date_windows(date.fromisoformat(first), date.fromisoformat(last), period)
    assert [(start.strftime("%m-%d"), end.strftime("%m-%d")) for start, end in windows] == expected


def test_date_windows_refuse_an_unknown_period():
    with pytest.raises(ValueError, match="period must be"):
        date_windows(date(2020, 1, 1), date(2020, 2, 1), "week")


def test_window_url_formats_dates_and_keeps_the_sandbox_placeholder():
    template = "{sandbox}/r/{year}/{month:02d}?from={start}&to={end}"
    url = window_url(template, (date(2021, 3, 1), date(2021, 3, 31)), "%d/%m/%Y")
    assert url == "{sandbox}/r/2021/03?from=01/03/2021&to=31/03/2021"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"url_template": ""}, "url_template"),
        ({"default_from_date": "May 2019"}, "default_from_date"),
        ({"period": "week"}, "period"),
        ({"period": 0}, "period"),
    ],
)
def test_periodic_declarations_are_checked(attributes, message):
    with pytest.raises(TypeError, match=message):
        type("BadSpider", (PeriodicExampleSpider,), attributes)


def window_package(request: Request) -> Reply:
    start, end = request.query["from"][0], request.query["to"][0]
    return Reply.json(package(f"{start}_{end}", day=start))


def test_periodic_spider_requests_monthly_windows_between_from_and_until(atlas_env, conn):
    with LocalServer() as server:
        server.route("/releases", window_package)
        template = server.url + "/releases?from={start}&to={end}"
        stats = run_spider(
            "tests.crawl.test_base_spiders:PeriodicExampleSpider",
            {"url_template": template},
            from_date="2020-01-15",
            until_date="2020-03-10",
        )
    assert stats["finish_reason"] == "finished"
    windows = [("2020-01-15", "2020-01-31"), ("2020-02-01", "2020-02-29"), ("2020-03-01", "2020-03-10")]
    assert queries(server, "from", "to") == windows
    assert ocids(conn) == sorted(f"ocds-test01-{a}_{b}-{i}" for a, b in windows for i in range(2))


def yearly_package(year: int) -> dict:
    """Releases in July of the year (the last year's after the crawl's until_date)."""
    return package(str(year), day=f"{year}-07-01")


def test_periodic_spider_requests_yearly_windows_from_the_default_from_date(atlas_env, conn):
    with LocalServer() as server:
        for year in (2019, 2020, 2021):
            server.route(f"/{year}.json", lambda r, year=year: Reply.json(yearly_package(year)))
        stats = run_spider(
            "tests.crawl.test_base_spiders:PeriodicExampleSpider",
            {"url_template": server.url + "/{year}.json", "period": "year", "dates_at_load": True},
            until_date="2021-06-30",
        )
    assert stats["finish_reason"] == "finished"
    assert server.hits == {"/2019.json": 1, "/2020.json": 1, "/2021.json": 1}
    # Whole years are fetched, and the spider asks for until_date to apply to release dates as they are loaded.
    assert ocids(conn) == [f"ocds-test01-{year}-{i}" for year in (2019, 2020) for i in range(2)]
    assert "release_outside_date_range" in notes(conn)


def test_periodic_spider_notes_the_windows_the_publisher_has_no_file_for(atlas_env, conn):
    today = date.today()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    two_months_ago = (last_month - timedelta(days=1)).replace(day=1)
    with LocalServer() as server:
        # Two months ago has a file; last month and this month answer 404 (the server's default).
        server.route(f"/{two_months_ago:%Y-%m}.json", lambda r: Reply.json(package("kept", day=f"{two_months_ago}")))
        stats = run_spider(
            "tests.crawl.test_base_spiders:PeriodicExampleSpider",
            {
                "url_template": server.url + "/{year}-{month:02d}.json",
                "missing_period_statuses": [404],
                "missing_period_hint": "see the other API",
            },
            from_date=two_months_ago.isoformat(),
            until_date=today.isoformat(),
        )
    assert stats["finish_reason"] == "finished"
    assert len(server.requests) == 3
    assert ocids(conn) == ["ocds-test01-kept-0", "ocds-test01-kept-1"]
    rows = conn.execute("SELECT level::text, code, message FROM note WHERE code = 'month_not_published' ORDER BY id")
    assert [(row["level"], row["message"]) for row in rows] == [
        ("warning", f"{last_month:%Y-%m} has no file (404): see the other API"),
        ("info", f"{this_month:%Y-%m} has no file (404): the period is not over yet"),
    ]
    assert "request_failed" not in notes(conn)


# IndexSpider


def paged(pages: int, per_page: int = 2) -> Callable[[Request], Reply]:
    """A page-numbered API: page N holds ``per_page`` releases, and every page says how many pages there are."""

    def handler(request: Request) -> Reply:
        fields = request.query if request.method == "GET" else _body_fields(request)
        page = int(fields["page"][0])
        return Reply.json({**package(f"p{page}", per_page), "pagination": {"pages": pages}})

    return handler


def _body_fields(request: Request) -> dict[str, list[str]]:
    if request.headers.get("Content-Type") == "application/json":
        return {key: [str(value)] for key, value in orjson.loads(request.body).items()}
    return parse_qs(request.body.decode())


def test_index_spider_requests_every_page_the_first_page_counts(atlas_env, conn):
    with LocalServer() as server:
        server.route("/list", paged(3))
        stats = run_spider(
            "tests.crawl.test_base_spiders:IndexExampleSpider", {"start_url": server.url + "/list?type=r"}
        )
    assert stats["finish_reason"] == "finished"
    assert queries(server, "page", "type") == [("1", "r"), ("2", "r"), ("3", "r")]
    assert len(ocids(conn)) == 6
    assert conn.execute("SELECT count(*) AS n FROM crawl_file").fetchone()["n"] == 3


def test_index_spider_pages_by_offset_and_limit_from_an_item_count(atlas_env, conn):
    def handler(request: Request) -> Reply:
        offset, limit = int(request.query["offset"][0]), int(request.query["limit"][0])
        releases = package("all", 5)["releases"][offset : offset + limit]
        return Reply.json({"version": "1.1", "releases": releases, "meta": {"total": 5}})

    attributes = {
        "start_url": None,
        "total_pointer": "/meta/total",
        "param_page": None,
        "param_offset": "offset",
        "param_limit": "limit",
        "page_size": 2,
    }
    with LocalServer() as server:
        server.route("/list", handler)
        attributes["start_url"] = server.url + "/list"
        stats = run_spider("tests.crawl.test_base_spiders:IndexExampleSpider", attributes)
    assert stats["finish_reason"] == "finished"
    assert queries(server, "offset", "limit") == [("0", "2"), ("2", "2"), ("4", "2")]
    assert ocids(conn) == [f"ocds-test01-all-{i}" for i in range(5)]


@pytest.mark.parametrize("body_format", ["form", "json"])
def test_index_spider_posts_a_body_built_from_its_template(atlas_env, conn, body_format):
    with LocalServer() as server:
        server.route("/search", paged(2))
        attributes = {
            "start_url": server.url + "/search",
            "method": "POST",
            "body_format": body_format,
            "body": {"status": "active", "size": 2},
        }
        stats = run_spider("tests.crawl.test_base_spiders:IndexExampleSpider", attributes)
    assert stats["finish_reason"] == "finished"
    assert {r.method for r in server.requests} == {"POST"}
    bodies = sorted((f["page"][0], f["status"][0], f["size"][0]) for f in map(_body_fields, server.requests))
    assert bodies == [("1", "active", "2"), ("2", "active", "2")]
    assert len(ocids(conn)) == 4


def test_index_spider_notes_a_first_page_without_a_count(atlas_env, conn):
    with LocalServer() as server:
        server.route("/list", lambda r: Reply.json(package("only")))
        run_spider("tests.crawl.test_base_spiders:IndexExampleSpider", {"start_url": server.url + "/list"})
    assert server.hits == {"/list": 1}
    assert len(ocids(conn)) == 2
    assert "index_count_missing" in notes(conn)


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"param_page": None}, "one of param_page and param_offset"),
        ({"param_offset": "offset"}, "one of param_page and param_offset"),
        ({"param_page": None, "param_offset": "offset"}, "page_size"),
        ({"method": "PUT"}, "method"),
        ({"body_format": "xml"}, "body_format"),
        ({"total_pointer": ""}, "total_pointer"),
    ],
)
def test_index_declarations_are_checked(attributes, message):
    with pytest.raises(TypeError, match=message):
        type("BadSpider", (IndexExampleSpider,), attributes)


# ArchiveSpider

MEMBERS = {
    "releases/2020.jsonl": b"".join(orjson.dumps(r) + b"\n" for r in package("2020")["releases"]),
    "releases/2021.jsonl": b"".join(orjson.dumps(r) + b"\n" for r in package("2021")["releases"]),
    "summaries/2021.json": orjson.dumps(package("summary")["releases"][0]),
}


ARCHIVES = {"bulk.zip": zip_bytes, "bulk.tar.gz": tar_gz_bytes}


def crawl_archive(name: str, member_pattern: str | None) -> LocalServer:
    body = ARCHIVES[name](MEMBERS)
    with LocalServer() as server:
        server.route(f"/{name}", lambda r: Reply(200, {"Content-Type": "application/octet-stream"}, body))
        attributes = {"start_urls": [f"{server.url}/{name}"], "member_pattern": member_pattern}
        stats = run_spider("tests.crawl.test_base_spiders:ArchiveExampleSpider", attributes)
    assert stats["finish_reason"] == "finished"
    return server


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_archive_spider_loads_every_member_without_a_pattern(atlas_env, conn, name):
    server = crawl_archive(name, None)
    assert server.hits == {f"/{name}": 1}
    assert len(ocids(conn)) == 5
    members = {row["member"] for row in conn.execute("SELECT DISTINCT member FROM release")}
    assert members == set(MEMBERS)


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_archive_spider_loads_only_the_members_its_pattern_matches(atlas_env, conn, name):
    crawl_archive(name, "releases/*.jsonl")
    members = {row["member"] for row in conn.execute("SELECT DISTINCT member FROM release")}
    assert members == {"releases/2020.jsonl", "releases/2021.jsonl"}
    assert len(ocids(conn)) == 4
    assert "member_pattern_skipped" in notes(conn)


# Spreadsheets

CSV = (
    "ocid,id,date,tag,tender/id,tender/value/amount,tender/value/currency\n"
    "ocds-test01-csv-1,1,2020-01-01T00:00:00Z,tender,t1,100.5,USD\n"
    "ocds-test01-csv-2,1,2020-01-02T00:00:00Z,tender,t2,200,USD\n"
)


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "releases"
    for line in CSV.replace("csv", "xlsx").splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def amounts(conn) -> dict[str, object]:
    decode_raw_bodies(conn)
    rows = conn.execute(
        "SELECT r.ocid, d.body -> 'tender' -> 'value' -> 'amount' AS amount FROM release r JOIN raw_json d"
        " ON d.id = r.data_id ORDER BY r.ocid"
    )
    return {row["ocid"]: row["amount"] for row in rows}


def test_a_csv_url_is_converted_and_loaded(atlas_env, conn):
    with LocalServer() as server:
        server.route("/releases.csv", lambda r: Reply(200, {"Content-Type": "text/csv"}, CSV.encode()))
        stats = run_spider(
            "tests.crawl.test_base_spiders:SpreadsheetExampleSpider", {"start_urls": [server.url + "/releases.csv"]}
        )
    assert stats["finish_reason"] == "finished"
    assert amounts(conn) == {"ocds-test01-csv-1": 100.5, "ocds-test01-csv-2": 200}


def test_a_spider_declaring_xlsx_has_its_responses_converted(atlas_env, conn):
    body = xlsx_bytes()
    with LocalServer() as server:
        server.route("/download", lambda r: Reply(200, {"Content-Type": "application/octet-stream"}, body))
        attributes = {"start_urls": [server.url + "/download?format=excel"], "data_format": "xlsx"}
        stats = run_spider("tests.crawl.test_base_spiders:SpreadsheetExampleSpider", attributes)
    assert stats["finish_reason"] == "finished"
    assert amounts(conn) == {"ocds-test01-xlsx-1": 100.5, "ocds-test01-xlsx-2": 200}
    tags = [
        row["tag"]
        for row in conn.execute("SELECT d.body -> 'tag' AS tag FROM release r JOIN raw_json d ON d.id = r.data_id")
    ]
    assert tags == [["tender"], ["tender"]]


# Listings (PublisherSpider.listings) and EgpSpider


def test_listings_are_kept_unloaded_and_the_ocds_they_name_is_loaded(atlas_env, conn):
    pages = {
        "/list?page=1": {"packages": ["/p/a.json", "/p/b.json"], "next": "/list?page=2"},
        "/list?page=2": {"packages": ["/p/c.json"]},
    }
    with LocalServer() as server:
        server.route("/list", lambda r: Reply.json(pages[f"/list?page={r.query['page'][0]}"]))
        server.route("/p/a.json", lambda r: Reply.json(package("a")))
        server.route("/p/b.json", lambda r: Reply.json(package("b")))
        server.route("/p/c.json", lambda r: Reply.json(package("c", count=1)))
        stats = run_spider(
            "tests.crawl.test_base_spiders:ListingExampleSpider", {"start_urls": [server.url + "/list?page=1"]}
        )
    assert stats["finish_reason"] == "finished"
    assert ocids(conn) == [
        f"ocds-test01-{key}-{i}" for key, count in (("a", 2), ("b", 2), ("c", 1)) for i in range(count)
    ]
    loaded = {row["url"].removeprefix(server.url) for row in conn.execute("SELECT url FROM crawl_file")}
    assert loaded == {"/p/a.json", "/p/b.json", "/p/c.json"}
    # The listings are in the files store all the same, as crawled.
    kept = [path.read_bytes() for path in (atlas_env / "crawls").rglob("*") if path.is_file()]
    assert all(orjson.dumps(page) in kept for page in pages.values())


def test_a_callback_that_raises_leaves_an_error_note_and_the_crawl_goes_on(atlas_env, conn):
    # ListingExampleSpider reads its listings without care: an HTML page makes its callback raise.
    pages = {"/list?page=1": b"<html>maintenance</html>", "/list?page=2": orjson.dumps({"packages": ["/p/a.json"]})}
    with LocalServer() as server:
        server.route("/list", lambda r: Reply(200, {}, pages[f"/list?page={r.query['page'][0]}"]))
        server.route("/p/a.json", lambda r: Reply.json(package("a")))
        stats = run_spider(
            "tests.crawl.test_base_spiders:ListingExampleSpider",
            {"start_urls": [server.url + "/list?page=1", server.url + "/list?page=2"]},
        )
    assert stats["finish_reason"] == "finished"
    assert ocids(conn) == ["ocds-test01-a-0", "ocds-test01-a-1"]
    [note] = conn.execute("SELECT level, code, message, data FROM note WHERE code = 'callback_failed'").fetchall()
    assert note["level"] == "error"
    assert note["data"] == {"url": server.url + "/list?page=1"}
    assert note["message"].startswith("the spider failed on this response (JSONDecodeError: ")


def test_a_spider_with_listings_must_parse_them():
    with pytest.raises(TypeError, match="parse_listing"):
        type(
            "BadSpider",
            (SimpleSpider,),
            {
                "name": "bad",
                "country": "XZ",
                "publisher_name": "Bad",
                "data_type": "release_package",
                "ocds_version": "1.1",
                "listings": True,
            },
        )


def record_package(key: str, year: int, month: int) -> dict:
    release = {"ocid": f"ocds-test01-{key}", "id": "1", "date": f"{year}-{month:02d}-10T00:00:00Z", "tag": ["tender"]}
    return {"version": "1.1", "records": [{"ocid": release["ocid"], "releases": [release]}]}


def test_egp_spider_fetches_the_listed_months_that_overlap_the_dates_on_its_portal(atlas_env, conn):
    months = [(2024, 12), (2025, 1), (2025, 2)]
    with LocalServer() as server:
        # The list names another host, and one URL without a month (fetched whatever the dates).
        listed = [f"https://elsewhere.example/ocds/services/recordpackage/getrecordpackage/{y}/{m}" for y, m in months]
        listed.append("https://elsewhere.example/ocds/services/recordpackage/getrecordpackage/latest")
        server.route(
            "/ocds/services/recordpackage/getrecordpackagelist", lambda r: Reply.json({"packagesPerMonth": listed})
        )
        for year, month in months:
            body = record_package(f"{year}-{month}", year, month)
            server.route(
                f"/ocds/services/recordpackage/getrecordpackage/{year}/{month}", lambda r, b=body: Reply.json(b)
            )
        server.route(
            "/ocds/services/recordpackage/getrecordpackage/latest",
            lambda r: Reply.json(record_package("latest", 2025, 1)),
        )
        stats = run_spider(
            "tests.crawl.test_base_spiders:EgpExampleSpider", {"portal": server.url}, from_date="2025-01-01"
        )
    assert stats["finish_reason"] == "finished"
    assert "/ocds/services/recordpackage/getrecordpackage/2024/12" not in server.hits
    assert ocids(conn) == ["ocds-test01-2025-1", "ocds-test01-2025-2", "ocds-test01-latest"]
    assert "package_month_unknown" in notes(conn)


def test_egp_spider_must_declare_its_portal():
    with pytest.raises(TypeError, match="portal"):
        type("BadSpider", (EgpExampleSpider,), {"portal": ""})
