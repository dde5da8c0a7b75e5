"""A crawl knows when it is incomplete: a paged crawl whose page 7 of 28 failed (1 failed request of 7, under 15 %)
is ``incomplete``, not accepted, never a high-water mark, and ``--resume`` fetches the missing page and the pages
after it. A crawl whose ``ocds-atlas crawl`` is killed leaves no process running, is closed as interrupted, and
resumes.

The spider below is found by ``ocds-atlas crawl`` when ``OCDS_ATLAS_SPIDER_MODULES=tests.crawl.test_incomplete``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.operate.crawl_runner import incremental_start
from crawler.spiders import PagedSpider
from tests.crawling import ROOT
from tests.httpserver import LocalServer, Reply, Request
from tests.procfs import alive, children_of

runner = CliRunner()
PAGES = 28
PER_PAGE = 150


class IncompletePagedSpider(PagedSpider):
    """
    Publisher
      A test publisher: a paged API of 28 pages
    """

    name = "test_incomplete_paged"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    custom_settings = {"AUTOTHROTTLE_ENABLED": False, "OCDS_ATLAS_RETRY_BASE_DELAY": 0.05, "RETRY_TIMES": 1}  # noqa: RUF012
    start_url = "{sandbox}/pages?page=1"


def page(server: LocalServer, number: int) -> Reply:
    releases = [
        {"ocid": f"ocds-test01-{number}-{i}", "id": "1", "date": f"2021-01-{1 + number % 28:02d}T00:00:00Z"}
        for i in range(PER_PAGE)
    ]
    value: dict = {"version": "1.1", "releases": releases}
    if number < PAGES:
        value["links"] = {"next": f"{server.url}/pages?page={number + 1}"}
    return Reply.json(value)


@pytest.fixture
def publisher(atlas_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "tests.crawl.test_incomplete")
    monkeypatch.setenv("OCDS_ATLAS_HEARTBEAT_SECONDS", "0.2")
    with LocalServer() as server:
        monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", server.url)
        yield server


def crawl(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["crawl", "test_incomplete_paged", "--no-compile", *args])
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def pages_asked(server: LocalServer) -> list[int]:
    return [int(request.query["page"][0]) for request in server.requests]


def test_a_paged_crawl_that_lost_a_page_is_incomplete_and_resume_fetches_it(publisher, conn):
    broken = True
    publisher.route(
        "/pages",
        lambda r: (
            Reply.json({"error": "down"}, 500)
            if broken and r.query["page"] == ["7"]
            else page(publisher, int(r.query["page"][0]))
        ),
    )
    output = crawl(code=1)
    assert "is not accepted: 1 essential request (next pages, date windows) failed or were not made" in output
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("incomplete", "finished")
    assert row["error_rate"] < 0.15  # 1 of 7: the old rule accepted it
    assert row["high_water_mark"] is None
    assert row["missing"]["requests"] == 1 and row["missing"]["essential"] == 1
    assert row["missing"]["listed"] == [{"url": f"{publisher.url}/pages?page=7", "method": "GET", "essential": True}]
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == 6 * PER_PAGE
    assert incremental_start(conn, "test_incomplete_paged") is None  # the next incremental crawl starts afresh
    status = runner.invoke(app, ["status"])
    assert "incomplete" in status.output

    broken = False
    publisher.requests.clear()
    output = crawl("--resume")
    assert sorted(pages_asked(publisher)) == list(range(7, PAGES + 1))  # the missing page, then the rest of the chain
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("finished", "finished")
    assert conn.execute("SELECT count(*) AS n FROM crawl").fetchone()["n"] == 1
    assert row["acceptance"]["failed"] == 0  # page 7 was fetched after all
    assert row["missing"] is None and row["high_water_mark"] is not None
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == PAGES * PER_PAGE


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_crawl_leaves_nothing_running_and_resumes(publisher, conn):
    reached, release = threading.Event(), threading.Event()

    def answer(request: Request) -> Reply:
        number = int(request.query["page"][0])
        if number == 4:
            reached.set()
            release.wait(30)
        return page(publisher, number)

    publisher.route("/pages", answer)
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "crawl", "test_incomplete_paged"]
    command.append("--no-compile")
    child = subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert reached.wait(60)
        scrapy = children_of(child.pid)
        assert scrapy and all(alive(pid) for pid in scrapy)
        child.send_signal(signal.SIGKILL)  # `ocds-atlas crawl` killed: its crawl must not go on
        child.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in scrapy) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in scrapy)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
    time.sleep(1)  # four heartbeats of 0.2 s
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert row["status"] == "interrupted" and row["high_water_mark"] is None
    first = conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"]
    assert first < PAGES * PER_PAGE

    publisher.requests.clear()
    crawl("--resume")
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("finished", "finished")
    assert 4 in pages_asked(publisher) and PAGES in pages_asked(publisher)
    assert conn.execute("SELECT count(*) AS n FROM release").fetchone()["n"] == PAGES * PER_PAGE
    assert conn.execute("SELECT count(DISTINCT ocid) AS n FROM release").fetchone()["n"] == PAGES * PER_PAGE
