"""A crawl hands its files to loader processes and goes on fetching; nothing is lost when a loader or the crawl dies.

Each test holds a lock on ``release`` while the crawl runs, so that the loaders are caught in the middle of a file's
transaction (their COPY waits for it) when something is killed: a loader killed so leaves its file to the crawl, which
stores it when fetching ends; a crawl killed so (``ocds-atlas crawl`` with SIGKILL) takes its loaders with it, and
``--resume`` stores the files it had registered and fetches the rest: every release exactly once. Ctrl-C (SIGINT to
the whole process group) does not stop the loaders: they store what they were given. The spider below is found when
``OCDS_ATLAS_SPIDER_MODULES=tests.crawl.test_loaders``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from aggregator.cli.main import app
from crawler.spiders import PagedSpider
from tests.crawling import ROOT
from tests.httpserver import LocalServer, Reply, Request
from tests.procfs import alive, children_of

runner = CliRunner()
PAGES = 12
PER_PAGE = 50
#: The page whose answer waits until the test lets it go: the pages before it are stored and handed over.
HELD = 5


class LoadersPagedSpider(PagedSpider):
    """
    Publisher
      A test publisher: a paged API of 12 pages
    """

    name = "test_loaders_paged"
    country = "XZ"
    publisher_name = "Test publisher"
    data_type = "release_package"
    ocds_version = "1.1"
    delay = 0
    custom_settings = {"AUTOTHROTTLE_ENABLED": False}  # noqa: RUF012
    start_url = "{sandbox}/pages?page=1"


def page(server: LocalServer, number: int) -> Reply:
    releases = [
        {"ocid": f"ocds-test01-{number}-{i}", "id": "1", "date": f"2021-01-{number:02d}T00:00:00Z"}
        for i in range(PER_PAGE)
    ]
    value: dict = {"version": "1.1", "releases": releases}
    if number < PAGES:
        value["links"] = {"next": f"{server.url}/pages?page={number + 1}"}
    return Reply.json(value)


@pytest.fixture
def publisher(atlas_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalServer, threading.Event]]:
    """The paged API, its page ``HELD`` held until the event is set."""
    monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "tests.crawl.test_loaders")
    monkeypatch.setenv("OCDS_ATLAS_HEARTBEAT_SECONDS", "0.2")
    held = threading.Event()

    with LocalServer() as server:

        def answer(request: Request) -> Reply:
            number = int(request.query["page"][0])
            if number == HELD:
                held.wait(60)
            return page(server, number)

        server.route("/pages", answer)
        monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", server.url)
        try:
            yield server, held
        finally:
            held.set()


def start_crawl(*args: str, session: bool = False) -> subprocess.Popen:
    """``ocds-atlas crawl`` of the paged API; with ``session``, in a process group of its own (as in a terminal)."""
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "crawl", "test_loaders_paged"]
    command += ["--no-compile", *args]
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    return subprocess.Popen(command, cwd=ROOT, env=os.environ, start_new_session=session, **pipes)


def loaders_of(crawl: int) -> list[int]:
    """The loader processes of a crawl process: the children of its fork server (not its resource tracker)."""
    servers = [pid for pid in children_of(crawl) if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [pid for server in servers for pid in children_of(server)]


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def scalar(conn: psycopg.Connection, sql: str) -> int:
    return conn.execute(sql).fetchone()["v"]


def handed_over_and_caught(conn: psycopg.Connection) -> bool:
    """The pages before the held one are registered, and a loader waits for the lock on ``release``."""
    registered = scalar(conn, "SELECT count(*) AS v FROM crawl_file")
    waiting = scalar(conn, "SELECT count(*) AS v FROM pg_locks WHERE NOT granted AND relation = 'release'::regclass")
    return registered == HELD - 1 and waiting > 0


def pages_asked(server: LocalServer) -> list[int]:
    return sorted(int(request.query["page"][0]) for request in server.requests)


def assert_every_release_once(conn: psycopg.Connection) -> None:
    assert scalar(conn, "SELECT count(*) AS v FROM release") == PAGES * PER_PAGE
    assert scalar(conn, "SELECT count(DISTINCT ocid) AS v FROM release") == PAGES * PER_PAGE
    assert scalar(conn, "SELECT count(*) AS v FROM crawl_file WHERE loaded_at IS NULL") == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_loader_killed_in_a_files_transaction_loses_nothing(publisher, conn, database_url):
    server, held = publisher
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE release IN SHARE ROW EXCLUSIVE MODE")
        child = start_crawl()
        try:
            wait_for(lambda: handed_over_and_caught(conn))
            (scrapy,) = children_of(child.pid)
            loaders = loaders_of(scrapy)
            assert loaders
            for pid in loaders:
                os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not any(alive(pid) for pid in loaders))
        except BaseException:
            child.kill()
            raise
    held.set()  # the crawl goes on, without loaders: it stores everything when fetching ends
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 0, stderr
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("finished", "finished")
    assert row["stats"]["ocds_atlas/releases"] == PAGES * PER_PAGE
    assert pages_asked(server) == list(range(1, PAGES + 1))
    assert_every_release_once(conn)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_crawl_killed_with_files_not_loaded_stores_them_when_it_resumes(publisher, conn, database_url):
    server, held = publisher
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE release IN SHARE ROW EXCLUSIVE MODE")
        child = start_crawl()
        try:
            wait_for(lambda: handed_over_and_caught(conn))
            (scrapy,) = children_of(child.pid)
            processes = [scrapy, *loaders_of(scrapy)]
            child.send_signal(signal.SIGKILL)  # `ocds-atlas crawl` killed: its crawl and its loaders must not go on
            child.communicate()
            wait_for(lambda: not any(alive(pid) for pid in processes), 10)
        finally:
            child.kill()
    held.set()
    time.sleep(1)  # four heartbeats of 0.2 s
    assert runner.invoke(app, ["status"]).exit_code == 0
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert row["status"] == "interrupted"
    assert scalar(conn, "SELECT count(*) AS v FROM release") == 0  # every loader was caught in its transaction
    assert scalar(conn, "SELECT count(*) AS v FROM crawl_file WHERE loaded_at IS NULL") == HELD - 1

    registered = [row["id"] for row in conn.execute("SELECT id FROM crawl_file")]

    server.requests.clear()
    result = runner.invoke(app, ["crawl", "test_loaders_paged", "--no-compile", "--resume"])
    assert result.exit_code == 0, result.output
    assert set(range(HELD, PAGES + 1)) <= set(pages_asked(server))
    # The files the killed crawl had registered are loaded (a page fetched again, as a crawl killed so may fetch its
    # first pages again, is its file's content: not stored twice).
    loaded = conn.execute(
        "SELECT count(*) AS v FROM crawl_file WHERE id = ANY(%s) AND loaded_at IS NOT NULL", (registered,)
    )
    assert loaded.fetchone()["v"] == HELD - 1
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("finished", "finished")
    assert scalar(conn, "SELECT count(*) AS v FROM crawl") == 1
    assert_every_release_once(conn)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_stops_the_crawl_and_its_loaders_finish_every_file_handed_over(publisher, conn, database_url):
    # Ctrl-C in a terminal reaches the whole process group: the CLI, its crawl, the fork server and the loaders. The
    # crawl stops fetching and closes; a loader in a file's transaction must not die there, but store the file and
    # say so (the crawl's counts come from what the loaders say), then store what is left and end when closed.
    _, held = publisher
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE release IN SHARE ROW EXCLUSIVE MODE")
        child = start_crawl(session=True)
        try:
            wait_for(lambda: handed_over_and_caught(conn))
            (scrapy,) = children_of(child.pid)
            loaders = loaders_of(scrapy)
            assert loaders
            os.killpg(child.pid, signal.SIGINT)
            time.sleep(1)
            assert all(alive(pid) for pid in loaders)  # caught in their transactions still
        except BaseException:
            child.kill()
            raise
    held.set()  # the page under way is answered; the crawl closes and its loaders store what they were given
    stderr = child.communicate(timeout=120)[1].decode()
    assert child.returncode == 130, stderr
    assert "--resume" in stderr
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("incomplete", "shutdown")
    stored = scalar(conn, "SELECT count(*) AS v FROM release")
    assert stored >= (HELD - 1) * PER_PAGE
    assert row["stats"]["ocds_atlas/releases"] == stored
    assert scalar(conn, "SELECT count(*) AS v FROM crawl_file WHERE loaded_at IS NULL") == 0


def test_a_loader_killed_before_it_says_a_file_is_stored_leaves_the_crawls_counts_whole(publisher, conn, monkeypatch):
    # The only loader (OCDS_ATLAS_LOADERS=1) dies after committing its first file and before telling the crawl: the
    # file is stored, and the crawl must still count it (what a stored file holds is read back from its row).
    server, held = publisher
    held.set()
    monkeypatch.setenv("OCDS_ATLAS_LOADERS", "1")
    monkeypatch.setenv("OCDS_ATLAS_CRASH_AT", "loader.reply")
    child = start_crawl()
    stderr = child.communicate(timeout=120)[1].decode()
    assert child.returncode == 0, stderr
    row = conn.execute("SELECT * FROM crawl").fetchone()
    assert (row["status"], row["close_reason"]) == ("finished", "finished")
    assert pages_asked(server) == list(range(1, PAGES + 1))
    assert_every_release_once(conn)
    assert row["stats"]["ocds_atlas/releases"] == PAGES * PER_PAGE
