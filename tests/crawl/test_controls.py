"""Crawl controls: retries with backoff, politeness, credentials, allowed domains, maximum size, acceptance,
incremental crawls and resuming. Each crawl runs against a local server, in a child process, into PostgreSQL.

The spiders below are also found by ``ocds-atlas crawl`` when ``OCDS_ATLAS_SPIDER_MODULES=tests.crawl.test_controls``;
their URLs use ``{sandbox}``, which the tests point at their local server.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.dates import DateRange
from aggregator.db import query
from aggregator.raw.acceptance import CrawlCounts, assess, high_water_mark
from crawler.middlewares import allowed, backoff_delay, retry_after
from crawler.spiders import PagedSpider, SimpleSpider
from crawler.spiders.declarations import MIN_DELAY
from tests.crawling import ROOT, run_spider
from tests.httpserver import LocalServer, Reply, Request

runner = CliRunner()

#: Hardly any politeness delay, and short retry waits: what the tests that do not measure politeness crawl with.
FAST = {
    "DOWNLOAD_DELAY": MIN_DELAY,
    "AUTOTHROTTLE_ENABLED": False,
    "OCDS_ATLAS_RETRY_BASE_DELAY": 0.05,
    "OCDS_ATLAS_RETRY_MAX_DELAY": 0.2,
}
TEST_SPIDERS = {"OCDS_ATLAS_SPIDER_MODULES": "tests.crawl.test_controls"}


class ControlsPagedSpider(PagedSpider):
    """
    Publisher
      A test publisher: a paged API without a date filter
    """

    name = "test_controls_paged"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    # Short waits, for `ocds-atlas crawl`, which takes no settings.
    custom_settings = {"AUTOTHROTTLE_ENABLED": False, "OCDS_ATLAS_RETRY_BASE_DELAY": 0.05, "RETRY_TIMES": 1}  # noqa: RUF012
    start_url = "{sandbox}/1"


class ControlsFilteredSpider(ControlsPagedSpider):
    """
    Publisher
      A test publisher: a paged API with a date filter (``since``)
    """

    name = "test_controls_filtered"
    from_date_param = "since"


class ControlsListSpider(SimpleSpider):
    """
    Publisher
      A test publisher: a list of URLs
    """

    name = "test_controls_list"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    start_urls = ("overridden by the test",)


class ControlsCredentialsSpider(ControlsListSpider):
    """
    Publisher
      A test publisher that wants a token
    """

    name = "test_controls_credentials"
    credentials = ("ATLAS_TEST_TOKEN",)
    delay = 0
    start_urls = ("{sandbox}/private",)

    def request(self, url: str, **kwargs: object):
        headers = {"Authorization": f"Bearer {self.credential('ATLAS_TEST_TOKEN')}"}
        return super().request(url, headers=headers, **kwargs)


def package(key: object, next_url: str | None = None, count: int = 3, day: str = "2020-01-01") -> dict:
    releases = [{"ocid": f"ocds-test01-{key}-{i}", "id": "1", "date": f"{day}T00:00:00Z"} for i in range(count)]
    value: dict = {"version": "1.1", "releases": releases}
    if next_url:
        value["links"] = {"next": next_url}
    return value


def scalar(conn, sql: str, *params: object):
    return conn.execute(sql, params).fetchone()["v"]


def notes(conn) -> dict[str, int]:
    rows = conn.execute("SELECT code, sum(count) AS n FROM note GROUP BY code").fetchall()
    return {row["code"]: row["n"] for row in rows}


def timed(log: list[tuple[str, float]], handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """``handler``, noting when each request arrives."""

    def wrapped(request: Request) -> Reply:
        log.append((request.path, time.monotonic()))
        return handler(request)

    return wrapped


def failing(times: int, reply: Reply, failure: Callable[[], Reply]) -> Callable[[Request], Reply]:
    """A route that answers ``failure()`` the first ``times`` requests, then ``reply``."""
    count = iter(range(times))
    return lambda request: failure() if next(count, None) is not None else reply


# Retries


def test_a_429_with_retry_after_is_waited_for(atlas_env, conn):
    log: list[tuple[str, float]] = []
    with LocalServer() as server:
        server.route("/1", timed(log, lambda r: Reply.json(package(1, server.url + "/2"))))
        throttled = Reply.json({"error": "slow down"}, 429, **{"Retry-After": "1"})
        server.route("/2", timed(log, failing(1, Reply.json(package(2, server.url + "/3")), lambda: throttled)))
        server.route("/3", timed(log, lambda r: Reply.json(package(3))))
        stats = run_spider("tests.crawl.test_controls:ControlsPagedSpider", {"start_url": server.url + "/1"}, FAST)
    assert [path for path, _ in log] == ["/1", "/2", "/2", "/3"]
    waited = log[2][1] - log[1][1]
    assert 1.0 <= waited < 2.5, waited
    assert stats["retry/count"] == 1
    assert stats["ocds_atlas/retry_wait_seconds"] == 1.0
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 9
    assert scalar(conn, "SELECT status AS v FROM crawl") == "finished"


def test_a_long_retry_after_is_capped(atlas_env, conn):
    log: list[tuple[str, float]] = []
    with LocalServer() as server:
        throttled = Reply.json({"error": "come back in an hour"}, 503, **{"Retry-After": "3600"})
        server.route("/1", timed(log, failing(1, Reply.json(package(1)), lambda: throttled)))
        settings = {**FAST, "OCDS_ATLAS_RETRY_AFTER_MAX": 0.5}
        stats = run_spider("tests.crawl.test_controls:ControlsPagedSpider", {"start_url": server.url + "/1"}, settings)
    assert 0.5 <= log[1][1] - log[0][1] < 2
    assert stats["ocds_atlas/retry_wait_seconds"] == 0.5
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 3


def test_other_requests_go_on_while_a_retry_waits(atlas_env, conn):
    log: list[tuple[str, float]] = []

    def throttled() -> Reply:
        moment = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
        return Reply.json({"error": "slow down"}, 429, **{"Retry-After": moment})

    with LocalServer() as server:
        server.route("/slow", timed(log, failing(1, Reply.json(package("slow")), throttled)))
        for n in range(6):
            server.route(f"/{n}", timed(log, lambda r, n=n: (time.sleep(0.1), Reply.json(package(n)))[1]))
        urls = [server.url + "/slow", *(f"{server.url}/{n}" for n in range(6))]
        run_spider("tests.crawl.test_controls:ControlsListSpider", {"start_urls": urls}, FAST)
    slow = [moment for path, moment in log if path == "/slow"]
    others = [moment for path, moment in log if path != "/slow"]
    assert len(slow) == 2 and len(others) == 6
    # The Retry-After date was 2 s ahead, in whole seconds: a wait of 1 to 2 s.
    assert slow[1] - slow[0] >= 0.9
    # Meanwhile every other request was served: the wait does not block the crawl.
    assert max(others) < slow[1]
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 7 * 3


def test_5xx_backs_off_then_succeeds(atlas_env, conn):
    log: list[tuple[str, float]] = []
    with LocalServer() as server:
        server.route("/1", timed(log, lambda r: Reply.json(package(1, server.url + "/2"))))
        error = Reply.json({"error": "unavailable"}, 503)
        server.route("/2", timed(log, failing(2, Reply.json(package(2)), lambda: error)))
        settings = {**FAST, "OCDS_ATLAS_RETRY_BASE_DELAY": 0.3, "OCDS_ATLAS_RETRY_MAX_DELAY": 5, "RETRY_TIMES": 3}
        stats = run_spider("tests.crawl.test_controls:ControlsPagedSpider", {"start_url": server.url + "/1"}, settings)
    times = [moment for path, moment in log if path == "/2"]
    assert len(times) == 3
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    assert 0.3 <= first_wait < 0.6 + 0.5, first_wait
    assert 0.6 <= second_wait < 1.2 + 0.5, second_wait
    assert stats["retry/count"] == 2
    assert stats["ocds_atlas/retry_wait_seconds"] == pytest.approx(0.9)
    assert "request_failed" not in notes(conn)
    assert scalar(conn, "SELECT status AS v FROM crawl") == "finished"


def test_exhausted_retries_are_notes_and_too_many_fail_the_crawl(atlas_env, conn):
    with LocalServer() as server:
        server.route("/ok", lambda r: Reply.json(package("ok")))
        server.route("/broken", lambda r: Reply.json({"error": "broken"}, 500))
        urls = [server.url + "/ok", *(f"{server.url}/broken?n={n}" for n in range(3))]
        stats = run_spider(
            "tests.crawl.test_controls:ControlsListSpider", {"start_urls": urls}, {**FAST, "RETRY_TIMES": 2}
        )
    assert server.hits["/broken"] == 3 * 3  # each URL: the request and two retries
    assert stats["retry/max_reached"] == 3
    assert notes(conn)["request_failed"] == 3
    crawl = conn.execute("SELECT * FROM crawl").fetchone()
    assert (crawl["status"], crawl["close_reason"]) == ("failed", "finished")
    assert crawl["error_rate"] == pytest.approx(0.75)
    assert crawl["acceptance"]["accepted"] is False
    assert crawl["acceptance"]["reasons"] == ["3 of 4 requests failed (75%, more than 15%)"]
    assert (crawl["acceptance"]["requests"], crawl["acceptance"]["failed"]) == (4, 3)
    assert crawl["high_water_mark"] is None


def test_a_crawl_that_is_not_accepted_exits_1_and_status_says_why(test_spiders, conn):
    test_spiders.route("/1", lambda r: Reply.json(package(1, test_spiders.url + "/2")))
    test_spiders.route("/2", lambda r: Reply.json({"error": "broken"}, 502))
    output = " ".join(crawl("test_controls_paged", "--no-compile", code=1).split())
    assert "incomplete (finished), 3 releases, 0 records, 50% of requests failed" in output
    # The failed page was a next page: the pages after it are unknown (tests/crawl/test_incomplete.py).
    essential = "1 essential request (next pages, date windows) failed or were not made"
    assert f"error: crawl 1 of test_controls_paged is not accepted: {essential}" in output
    row = conn.execute(query("cli/status", "select_crawls"), {"limit": 1}).fetchone()
    assert (row["status"], row["failed_requests"]) == ("incomplete", "50.0 %")
    assert row["not_accepted_because"].endswith("; 1 of 2 requests failed (50%, more than 15%)")
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "50.0 %" in status.output and "not" in status.output


def test_retry_after_and_backoff_values():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after(b"120", now) == 120
    assert retry_after(b"Wed, 01 May 2024 12:00:30 GMT", now) == 30
    assert retry_after(b"Wed, 01 May 2024 11:00:00 GMT", now) == 0
    assert retry_after(b"soon", now) is None
    assert retry_after(None, now) is None
    assert [backoff_delay(n, 1.0, 5.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


# Acceptance


@pytest.mark.parametrize(
    ("reason", "counts", "incremental", "reasons"),
    [
        ("finished", CrawlCounts(100, 15, 10, 0), False, []),
        ("sample", CrawlCounts(2, 0, 0, 5), False, []),
        ("finished", CrawlCounts(100, 16, 10, 0), False, ["16 of 100 requests failed (16%, more than 15%)"]),
        ("finished", CrawlCounts(3, 0, 0, 0), False, ["it stored no release and no record"]),
        ("finished", CrawlCounts(3, 0, 0, 0), True, []),
        ("shutdown", CrawlCounts(3, 0, 9, 0), False, ["it did not finish: closed because of 'shutdown'"]),
    ],
)
def test_acceptance(reason, counts, incremental, reasons):
    acceptance = assess(reason, counts, incremental=incremental)
    assert acceptance.reasons == reasons
    assert acceptance.accepted is not reasons


def test_only_complete_accepted_crawls_set_a_high_water_mark():
    last = datetime(2021, 3, 1, tzinfo=UTC)
    accepted = assess("finished", CrawlCounts(1, 0, 1, 0, last))
    assert high_water_mark(accepted, "finished", {}) == last
    assert high_water_mark(accepted, "finished", {"from_date": "2021-01-01", "incremental": True}) == last
    assert high_water_mark(accepted, "finished", {"from_date": "2021-01-01"}) is None
    assert high_water_mark(accepted, "finished", {"sample": 10}) is None
    assert high_water_mark(assess("finished", CrawlCounts(10, 9, 1, 0, last)), "finished", {}) is None


# Politeness


def test_politeness_settings_come_from_the_spider():
    settings = Settings({"DOWNLOAD_DELAY": 9, "CONCURRENT_REQUESTS_PER_DOMAIN": 9})
    polite = type("PoliteSpider", (ControlsListSpider,), {"name": "test_polite", "concurrency": 3, "delay": 1.5})
    polite.update_settings(settings)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 3
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.5
    # Explicit custom_settings and the command line come after.
    settings = Settings()
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    ControlsPagedSpider.update_settings(settings)
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is False
    with pytest.raises(TypeError, match="concurrency"):
        type("Bad", (ControlsListSpider,), {"name": "test_bad", "concurrency": 0})
    with pytest.raises(TypeError, match="delay"):
        type("Bad", (ControlsListSpider,), {"name": "test_bad", "delay": -1})


def test_a_crawl_runs_with_its_spiders_politeness_and_the_project_defaults(atlas_env, conn):
    log: list[tuple[str, float]] = []
    with LocalServer() as server:
        for n in range(5):
            server.route(f"/{n}", timed(log, lambda r, n=n: Reply.json(package(n))))
        attributes = {"start_urls": [f"{server.url}/{n}" for n in range(5)], "concurrency": 1, "delay": 0.3}
        stats = run_spider("tests.crawl.test_controls:ControlsListSpider", attributes)
    assert stats["ocds_atlas/politeness"] == {"concurrency": 1, "download_delay": 0.3, "autothrottle": True}
    starts = sorted(moment for _, moment in log)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # Scrapy randomises the delay between 0.5 and 1.5 times DOWNLOAD_DELAY (AutoThrottle never goes below it).
    assert min(gaps) >= 0.3 * 0.5 - 0.01, gaps
    stored = conn.execute("SELECT stats FROM crawl").fetchone()["stats"]
    assert stored["ocds_atlas/politeness"]["download_delay"] == 0.3


def test_at_most_concurrency_requests_at_once(atlas_env):
    lock = threading.Lock()
    flight = {"now": 0, "peak": 0}

    def slow(request: Request) -> Reply:
        with lock:
            flight["now"] += 1
            flight["peak"] = max(flight["peak"], flight["now"])
        time.sleep(0.3)
        with lock:
            flight["now"] -= 1
        return Reply.json(package(request.path.strip("/")))

    with LocalServer() as server:
        for n in range(8):
            server.route(f"/{n}", slow)
        attributes = {"start_urls": [f"{server.url}/{n}" for n in range(8)], "concurrency": 2, "delay": 0}
        stats = run_spider("tests.crawl.test_controls:ControlsListSpider", attributes, {"AUTOTHROTTLE_ENABLED": False})
    assert flight["peak"] == 2
    # Without this least delay, Scrapy 2.19 would start all 8 at once.
    assert stats["ocds_atlas/politeness"]["download_delay"] == MIN_DELAY


# Credentials


@pytest.fixture
def test_spiders(atlas_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """``ocds-atlas crawl`` sees this module's spiders, whose ``{sandbox}`` is a local server."""
    monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "tests.crawl.test_controls")
    with LocalServer() as server:
        monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", server.url)
        yield server


def crawl(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["crawl", *args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_credential_is_one_clear_error_before_any_request(test_spiders, conn, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("ATLAS_TEST_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ATLAS_TEST_TOKEN", value)
    test_spiders.route("/private", lambda r: Reply.json(package("private")))
    output = " ".join(crawl("test_controls_credentials", "--no-compile", code=1).split())  # one line, wrapped
    assert output.startswith("error: the crawl of test_controls_credentials failed: ")
    assert "test_controls_credentials needs the credential(s) ATLAS_TEST_TOKEN: set the environment" in output
    assert output.count("error:") == 1 and "Traceback" not in output
    assert test_spiders.requests == []
    assert scalar(conn, "SELECT count(*) AS v FROM crawl") == 0


def test_a_credential_reaches_the_publisher_and_is_never_stored(test_spiders, conn, monkeypatch, atlas_env):
    secret = "s3cr3t-token-4c1d"
    monkeypatch.setenv("ATLAS_TEST_TOKEN", secret)
    test_spiders.route("/private", lambda r: Reply.json(package("private")))
    crawl("test_controls_credentials", "--no-compile")
    assert test_spiders.requests[0].headers["Authorization"] == f"Bearer {secret}"
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 3
    for table in ("crawl", "crawl_file", "note", "publisher"):
        assert scalar(conn, f"SELECT count(*) AS v FROM {table} t WHERE t::text LIKE %s", f"%{secret}%") == 0
    logs = "".join(p.read_text() for p in (atlas_env / "logs").glob("*.log"))
    assert "Authorization" not in logs and secret not in logs


# Allowed domains and the maximum size


def test_offsite_next_links_and_redirects_are_refused_with_notes(atlas_env, conn):
    with LocalServer() as server:
        offsite = server.url.replace("127.0.0.1", "localhost")
        server.route("/1", lambda r: Reply.json(package(1, server.url + "/moved")))
        server.route("/moved", lambda r: Reply(302, {"Location": offsite + "/2"}))
        server.route("/3", lambda r: Reply.json(package(3, offsite + "/4")))
        run_spider("tests.crawl.test_controls:ControlsPagedSpider", {"start_url": server.url + "/1"}, FAST)
        run_spider("tests.crawl.test_controls:ControlsPagedSpider", {"start_url": server.url + "/3"}, FAST)
    assert server.hits == {"/1": 1, "/moved": 1, "/3": 1}  # nothing reached "localhost"
    codes = notes(conn)
    assert (codes["offsite_redirect_refused"], codes["offsite_request_refused"]) == (1, 1)
    redirect = conn.execute("SELECT data FROM note WHERE code = 'offsite_redirect_refused'").fetchone()["data"]
    assert redirect["redirected_from"] == server.url + "/moved"
    assert redirect["host"] == "localhost"
    assert redirect["allowed_domains"] == ["127.0.0.1"]
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 6


def test_declared_allowed_domains_are_kept(atlas_env, conn):
    with LocalServer() as server:
        server.route("/1", lambda r: Reply.json(package(1)))
        attributes = {"start_url": server.url + "/1", "allowed_domains": ["example.org"]}
        run_spider("tests.crawl.test_controls:ControlsPagedSpider", attributes, FAST)
    assert server.hits == {}
    assert notes(conn) == {"offsite_request_refused": 1}
    assert allowed("data.example.org", ("example.org",)) and not allowed("example.org.evil", ("example.org",))


def test_responses_above_the_maximum_size_are_cut_with_a_note(atlas_env, conn):
    big = package("big", count=400)
    with LocalServer() as server:
        server.route("/small", lambda r: Reply.json(package("small")))
        server.route("/declared", lambda r: Reply.json(big))  # with Content-Length
        body = Reply.json(big).body
        chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]  # type: ignore[index]
        server.route("/streamed", lambda r: Reply(200, {"Content-Type": "application/json"}, iter(chunks)))
        urls = [server.url + path for path in ("/small", "/declared", "/streamed")]
        run_spider(
            "tests.crawl.test_controls:ControlsListSpider", {"start_urls": urls}, {**FAST, "DOWNLOAD_MAXSIZE": 10_000}
        )
    assert len(body) > 10_000
    assert notes(conn)["response_too_large"] == 2
    rows = conn.execute("SELECT url, error FROM crawl_file WHERE error IS NOT NULL ORDER BY url").fetchall()
    assert [row["url"] for row in rows] == [server.url + "/declared", server.url + "/streamed"]
    assert all("larger than DOWNLOAD_MAXSIZE (10000 bytes)" in row["error"] for row in rows)
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 3


# Incremental crawls


def dated_pages(server: LocalServer, days: list[str]) -> None:
    """One page per day, three releases each, chained by next links; a ``since`` parameter filters by day."""

    def page(request: Request) -> Reply:
        since = request.query.get("since", [""])[0]
        shown = [day for day in days if day >= since]
        index = int(request.query.get("page", ["0"])[0])
        if index >= len(shown):
            return Reply.json({"version": "1.1", "releases": []})
        more = f"{server.url}/1?page={index + 1}" + (f"&since={since}" if since else "")
        return Reply.json(package(shown[index], more if index + 1 < len(shown) else None, day=shown[index]))

    server.route("/1", page)


@pytest.mark.parametrize("spider", ["test_controls_paged", "test_controls_filtered"])
def test_an_incremental_crawl_adds_only_new_releases(test_spiders, conn, spider):
    days = ["2021-01-01", "2021-02-01", "2021-03-01"]
    dated_pages(test_spiders, days)
    crawl(spider, "--incremental", "--no-compile")
    first = conn.execute("SELECT * FROM crawl ORDER BY id DESC").fetchone()
    assert first["arguments"]["from_date"] is None  # the first incremental crawl is a full crawl
    assert first["high_water_mark"] == datetime(2021, 3, 1, tzinfo=UTC)

    days += ["2021-04-01", "2021-05-01"]
    test_spiders.requests.clear()
    crawl(spider, "--incremental", "--no-compile")
    second = conn.execute("SELECT * FROM crawl ORDER BY id DESC").fetchone()
    assert second["arguments"] == {
        "sample": None,
        "from_date": "2021-03-01T00:00:00.000001+00:00",
        "until_date": None,
        "incremental": True,
    }
    new = conn.execute("SELECT DISTINCT date_text FROM release WHERE crawl_id = %s", (second["id"],)).fetchall()
    assert sorted(row["date_text"][:10] for row in new) == ["2021-04-01", "2021-05-01"]
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 5 * 3
    assert scalar(conn, "SELECT count(DISTINCT ocid) AS v FROM release") == 5 * 3
    assert second["status"] == "finished"
    assert second["high_water_mark"] == datetime(2021, 5, 1, tzinfo=UTC)
    if spider == "test_controls_filtered":  # the publisher's filter has the day; the rest is applied at load
        assert test_spiders.requests[0].query["since"] == ["2021-03-01"]
        assert notes(conn)["release_outside_date_range"] == 3
    else:
        assert "since" not in test_spiders.requests[0].query
        assert notes(conn)["release_outside_date_range"] == 3 * 3

    crawl(spider, "--incremental", "--no-compile")  # nothing new: accepted, nothing added
    third = conn.execute("SELECT * FROM crawl ORDER BY id DESC").fetchone()
    assert third["status"] == "finished"
    assert scalar(conn, "SELECT count(*) AS v FROM release WHERE crawl_id = %s", third["id"]) == 0


def test_date_bounds_without_a_publisher_filter_apply_at_load():
    spider = ControlsPagedSpider(from_date="2021-02-01", until_date="2021-02-28")
    assert spider.date_range() == DateRange(datetime(2021, 2, 1, tzinfo=UTC), datetime(2021, 3, 1, tzinfo=UTC))
    assert ControlsFilteredSpider(from_date="2021-02-01").date_range() is None
    exact = ControlsFilteredSpider(from_date="2021-02-01T10:00:00+00:00")
    assert exact.from_date.isoformat() == "2021-02-01"
    assert exact.date_range() == DateRange(datetime(2021, 2, 1, 10, tzinfo=UTC), None)
    assert DateRange(datetime(2021, 2, 1, tzinfo=UTC)).admits({"date": "not a date"})


def test_incremental_and_resume_options_are_checked(test_spiders):
    assert "give no --from-date" in crawl("test_controls_paged", "--incremental", "--from-date", "2020-01-01", code=1)
    assert "give no other option" in crawl("test_controls_paged", "--resume", "--sample", "5", code=1)
    assert "no interrupted crawl" in crawl("test_controls_paged", "--resume", code=1)


# Resuming


def test_an_interrupted_crawl_resumes_where_it_stopped(test_spiders, conn, atlas_env):
    reached, release = threading.Event(), threading.Event()

    def page(request: Request) -> Reply:
        index = int(request.query["page"][0])
        if index == 3:
            reached.set()
            release.wait(30)
        more = f"{test_spiders.url}/1?page={index + 1}" if index < 6 else None
        return Reply.json(package(index, more))

    test_spiders.route("/1", lambda r: page(r) if r.query else Reply.json(package(0, test_spiders.url + "/1?page=1")))
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "crawl", "test_controls_paged"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    child = subprocess.Popen(command, cwd=ROOT, start_new_session=True, **pipes)
    try:
        assert reached.wait(60), child.communicate(timeout=5)
        os.killpg(child.pid, signal.SIGINT)  # as Ctrl-C in a terminal: to the CLI and its crawl
        time.sleep(0.5)
        release.set()
        _, stderr = child.communicate(timeout=60)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    assert "ocds-atlas crawl test_controls_paged --resume" in stderr
    interrupted = conn.execute("SELECT * FROM crawl").fetchone()
    assert (interrupted["status"], interrupted["close_reason"]) == ("incomplete", "shutdown")
    assert (atlas_env / "jobs" / "test_controls_paged" / "spider.state").is_file()
    fetched_before = len(test_spiders.requests)

    crawl("test_controls_paged", "--resume", "--no-compile")
    pages = [r.query.get("page", ["0"])[0] for r in test_spiders.requests]
    assert sorted(pages) == [str(n) for n in range(7)]  # each page once, over both runs
    assert fetched_before < 7
    resumed = conn.execute("SELECT * FROM crawl").fetchone()
    assert resumed["id"] == interrupted["id"] and scalar(conn, "SELECT count(*) AS v FROM crawl") == 1
    assert (resumed["status"], resumed["close_reason"]) == ("finished", "finished")
    assert resumed["stats"]["ocds_atlas/runs"] == 2
    assert resumed["stats"]["downloader/response_count"] == 7
    assert resumed["stats"]["ocds_atlas/releases"] == 7 * 3
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 7 * 3
    assert scalar(conn, "SELECT count(DISTINCT ocid) AS v FROM release") == 7 * 3
    assert not (atlas_env / "jobs" / "test_controls_paged").exists()
