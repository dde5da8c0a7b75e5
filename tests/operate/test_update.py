"""``ocds-atlas update``: which publishers are due, incremental crawls then compile/normalize/indicators, idempotent
runs, the lock, and scheduling on Scrapyd (a scripted one here; a live one in test_scrapyd.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from aggregator.cli.main import app
from aggregator.db import query
from aggregator.operate.update import History, choose, decide
from aggregator.raw.crawls import PublisherInfo, upsert_publisher
from crawler.spiders import PagedSpider
from tests.httpserver import LocalServer, Reply, Request

runner = CliRunner()
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class UpdateFeedSpider(PagedSpider):
    """A daily publisher: pages of three releases a day, chained by next links (``{sandbox}`` is the test's
    server)."""

    name = "test_update_feed"
    country = "XU"
    publisher_name = "Test publisher updated daily"
    data_type = "release_package"
    ocds_version = "1.1"
    update_frequency = "daily"
    delay = 0
    custom_settings = {"AUTOTHROTTLE_ENABLED": False, "OCDS_ATLAS_RETRY_BASE_DELAY": 0.05, "RETRY_TIMES": 0}  # noqa: RUF012
    start_url = "{sandbox}/feed?page=0"


class UpdateMonthlySpider(UpdateFeedSpider):
    """A second publisher, updated monthly, on the same server."""

    name = "test_update_monthly"
    update_frequency = "monthly"
    start_url = "{sandbox}/monthly?page=0"


# Which publishers are due (pure)


def history(
    frequency: str | None = None,
    success: timedelta | None = None,
    closed: timedelta | None = None,
    status: str | None = None,
    started: timedelta | None = None,
) -> History:
    """A publisher's history, in time before NOW; its last closed crawl is its last accepted one unless given."""
    closed = closed if closed is not None else success
    return History(
        name="p",
        update_frequency=frequency,
        last_success=NOW - success if success is not None else None,
        last_closed=NOW - closed if closed is not None else None,
        last_status=status,
        last_started=NOW - started if started is not None else None,
    )


DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("past", "due", "reason"),
    [
        (history(), True, "never crawled"),
        (history("daily", 25 * HOUR), True, "last crawl 1 d ago; updated daily"),
        (history("daily", 23 * HOUR), False, "last crawl 23 h ago; next due in 1 h (daily)"),
        (history("continuous", 5 * HOUR / 60), False, "next due in 23 h (continuous)"),
        (history("Monthly", 29 * DAY), False, "next due in 1 d (monthly)"),
        (history("never", 900 * DAY), False, "update frequency: never"),
        (history("never", None, 8 * DAY, "failed", 8 * DAY), True, "never (weekly until a crawl is accepted)"),
        (history(None, 8 * DAY), True, "updated no frequency: weekly"),
        (history(None, 2 * DAY), False, "next due in 5 d (no frequency: weekly)"),
        (history("sometimes", 8 * DAY), True, "updated sometimes: weekly"),
        (history("daily", 3 * DAY, 3 * DAY, "running", 5 * HOUR), False, "a crawl is running since 5 h ago"),
        # a crawl that never closed its row does not block the publisher for ever
        (history("daily", 9 * DAY, 9 * DAY, "running", 3 * DAY), True, "last crawl 9 d ago"),
        # a failing publisher is retried at its pace, not at every run
        (
            history("daily", 3 * DAY, HOUR / 6, "failed", HOUR / 5),
            False,
            "last crawl (not accepted) 10 min ago; next due in 23 h (daily)",
        ),
        (history("daily", 3 * DAY, 25 * HOUR, "failed", 26 * HOUR), True, "last crawl (not accepted) 1 d ago"),
    ],
)
def test_decide(past, due, reason):
    decision = decide(past, NOW)
    assert decision.due is due
    assert reason in decision.reason


def test_choose_leaves_the_sandbox_out_unless_asked_and_forces_named_publishers():
    old = NOW - timedelta(days=10)
    histories = [
        History("real", update_frequency="daily", last_success=old, last_closed=old),
        History("fresh", update_frequency="daily", last_success=NOW, last_closed=NOW),
        History("sandbox_xa", is_sandbox=True, last_success=old, last_closed=old),
    ]
    assert [(d.name, d.due) for d in choose(histories, NOW, None, False)] == [("real", True), ("fresh", False)]
    assert [d.name for d in choose(histories, NOW, None, True) if d.due] == ["real", "sandbox_xa"]
    named = choose(histories, NOW, ["fresh", "sandbox_xb", "fresh"], False)
    assert [(d.name, d.due, d.reason, d.is_sandbox) for d in named] == [
        ("fresh", True, "asked for", False),
        ("sandbox_xb", True, "asked for", True),  # not in the database yet: its name says it is the sandbox's
    ]


# Runs against the database


@pytest.fixture
def feeds(atlas_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """This module's spiders, served by a local server whose ``days`` say what each feed publishes (tests add
    some)."""
    days = {"feed": ["2024-01-01", "2024-02-01"], "monthly": ["2024-01-15"]}
    monkeypatch.setenv("OCDS_ATLAS_SPIDER_MODULES", "tests.operate.test_update")
    with LocalServer() as server:
        for feed in days:
            server.route(f"/{feed}", _pages(server, feed, days[feed]))
        server.days = days  # type: ignore[attr-defined]
        monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", server.url)
        yield server


def _pages(server: LocalServer, feed: str, days: list[str]):
    def page(request: Request) -> Reply:
        index = int(request.query["page"][0])
        if index >= len(days):
            return Reply.json({"version": "1.1", "releases": []})
        releases = [
            {"ocid": f"ocds-test01-{feed}-{days[index]}-{i}", "id": "1", "date": f"{days[index]}T00:00:00Z"}
            for i in range(3)
        ]
        value: dict = {"version": "1.1", "releases": releases}
        if index + 1 < len(days):
            value["links"] = {"next": f"{server.url}/{feed}?page={index + 1}"}
        return Reply.json(value)

    return page


def update(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["update", *args])
    assert result.exit_code == code, result.output
    return result.output


def count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]


TABLE_HASH = "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS h FROM {} t"


def fingerprint(conn: psycopg.Connection) -> dict[str, str]:
    """Every table's rows, hashed: two equal fingerprints mean nothing changed."""
    tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()
    return {
        row["tablename"]: conn.execute(sql.SQL(TABLE_HASH).format(sql.Identifier(row["tablename"]))).fetchone()["h"]
        for row in tables
    }


def backdate(conn: psycopg.Connection, days: int) -> None:
    """Make every crawl older, as if the last update ran ``days`` ago."""
    conn.execute(
        "UPDATE crawl SET started_at = started_at - make_interval(days => %(d)s), "
        "ended_at = ended_at - make_interval(days => %(d)s)",
        {"d": days},
    )


def test_update_crawls_what_is_due_then_compiles_and_a_second_run_changes_nothing(feeds, conn):
    output = update("--publisher", "test_update_feed", "--publisher", "test_update_monthly")
    assert "2 finished" in output
    assert count(conn, "release") == 3 * 3
    assert count(conn, "compiled_release") == 3 * 3 and count(conn, "compile_queue") == 0
    assert count(conn, "process") == 3 * 3
    first = fingerprint(conn)

    output = update()  # just crawled: nothing is due
    assert "not due: 2 publisher(s)" in output and "nothing was due" in output
    assert fingerprint(conn) == first

    feeds.days["feed"] += ["2024-03-01"]
    feeds.days["monthly"] += ["2024-02-15"]
    backdate(conn, 2)  # the daily publisher is due again, the monthly one not yet
    output = update()
    assert "test_update_feed" in output and "last crawl 2 d ago; updated daily" in output
    assert "not due: 1 publisher(s) (test_update_monthly: last crawl 2 d ago; next due in 27 d (monthly))" in output
    crawls = conn.execute(
        "SELECT p.name, c.arguments FROM crawl c JOIN publisher p ON p.id = c.publisher_id ORDER BY c.id"
    ).fetchall()
    assert [c["name"] for c in crawls] == ["test_update_feed", "test_update_monthly", "test_update_feed"]
    assert crawls[-1]["arguments"]["incremental"] is True
    assert crawls[-1]["arguments"]["from_date"] == "2024-02-01T00:00:00.000001+00:00"
    new = conn.execute(
        "SELECT count(*) AS n FROM release r JOIN crawl c ON c.id = r.crawl_id WHERE c.id = (SELECT max(id) FROM crawl)"
    ).fetchone()["n"]
    assert new == 3  # only the new day
    assert count(conn, "compiled_release") == 4 * 3 and count(conn, "process") == 4 * 3
    second = fingerprint(conn)

    output = update()
    assert fingerprint(conn) == second
    assert "nothing was due" in output


def test_a_forced_run_with_nothing_new_changes_no_data(feeds, conn):
    update("--publisher", "test_update_feed")
    before = fingerprint(conn)
    output = update("--publisher", "test_update_feed")  # asked for: crawled again, incrementally
    assert "asked for" in output and "1 finished" in output
    after = fingerprint(conn)
    changed = {table for table in before if before[table] != after[table]}
    # A new crawl row, its files, its notes (releases before the high-water mark, skipped) and the publisher's
    # updated_at, as the crawl declared it again; no data.
    assert changed <= {"crawl", "crawl_file", "note", "publisher"}
    assert "crawl" in changed


def test_a_failing_publisher_does_not_stop_the_others_and_is_retried_later(feeds, conn):
    feeds.route("/monthly", lambda r: Reply(500))  # every request fails: the crawl is not accepted
    # Without the probe, which would stop the crawl before it starts (test_update_probe.py).
    output = update("--publisher", "test_update_monthly", "--publisher", "test_update_feed", "--no-probe", code=1)
    assert "1 failed, 1 finished" in output
    assert "1 crawl(s) failed: test_update_monthly (1 of 1 requests failed" in " ".join(output.split())
    assert count(conn, "compiled_release") == 2 * 3  # the other publisher's crawl was compiled
    output = " ".join(update().split())  # retried at its own pace, not at every run
    assert "test_update_monthly: last crawl (not accepted) " in output and "next due in 29 d (monthly)" in output


def test_a_second_update_at_the_same_time_does_nothing(feeds, conn, database_url):
    with psycopg.connect(database_url, autocommit=True) as other:
        assert other.execute(query("operate/update", "try_lock")).fetchone()[0] is True
        output = update("--publisher", "test_update_feed")
        assert "another `ocds-atlas update` is running: nothing done" in output
        assert count(conn, "crawl") == 0
    output = update("--publisher", "test_update_feed")  # the other session ended: its lock went with it
    assert "1 finished" in output
    held = conn.execute(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 1868784739 AND objid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()["n"]
    assert held == 0  # the run released the lock


def test_update_crawls_a_sandbox_publisher_with_the_sandbox_served(atlas_env, conn):
    output = update("--publisher", "sandbox_xb_city")
    assert "1 finished" in output
    row = conn.execute("SELECT status, arguments FROM crawl").fetchone()
    assert row["status"] == "finished" and row["arguments"]["incremental"] is True
    assert (
        count(conn, "compiled_release") == conn.execute("SELECT count(DISTINCT ocid) AS n FROM release").fetchone()["n"]
    )


# Scheduling on Scrapyd (a scripted Scrapyd; a live one in test_scrapyd.py)


@contextlib.contextmanager
def fake_node(pending: list[dict]) -> Iterator[LocalServer]:
    """Answers schedule.json and listjobs.json as Scrapyd does, with ``pending`` as its pending jobs."""
    with LocalServer() as server:
        jobs = iter(range(1, 100))
        server.route("/schedule.json", lambda r: Reply.json({"status": "ok", "jobid": f"job{next(jobs)}"}))
        server.route(
            "/listjobs.json",
            lambda r: Reply.json({"status": "ok", "pending": pending, "running": [], "finished": []}),
        )
        yield server


@pytest.fixture
def fake_scrapyd() -> Iterator[tuple[LocalServer, list[dict]]]:
    pending: list[dict] = []
    with fake_node(pending) as server:
        yield server, pending


def schedule_requests(server: LocalServer) -> list[list[tuple[str, str]]]:
    return [parse_qsl(r.body.decode()) for r in server.requests if r.path == "/schedule.json"]


@pytest.fixture
def crawled_long_ago(atlas_env: Path, conn: psycopg.Connection) -> None:
    """This module's two publishers, each with one complete crawl that ended 40 days ago (and its high-water mark):
    both due."""
    for name, frequency, mark in (
        ("test_update_feed", "daily", "2024-02-01"),
        ("test_update_monthly", "monthly", "2024-01-15"),
    ):
        info = PublisherInfo(name=name, title=name, country="XU", spider=name, update_frequency=frequency)
        conn.execute(
            "INSERT INTO crawl (publisher_id, kind, status, close_reason, started_at, ended_at, high_water_mark) "
            "VALUES (%s, 'crawl', 'finished', 'finished', now() - interval '40 days', now() - interval '40 days', %s)",
            (upsert_publisher(conn, info), f"{mark}T00:00:00Z"),
        )


def test_via_scrapyd_schedules_incremental_crawls_and_does_not_compile(crawled_long_ago, conn, fake_scrapyd):
    server, pending = fake_scrapyd
    before = fingerprint(conn)
    output = update("--via-scrapyd", server.url + "/")
    assert "2 scheduled" in output and "job1" in output and "not compiled here" in output
    assert [r.method for r in server.requests] == ["GET", "POST", "POST"]
    assert server.requests[0].query == {"project": ["ocds_atlas"]}
    assert schedule_requests(server) == [
        [
            ("project", "ocds_atlas"),
            ("spider", "test_update_feed"),
            ("incremental", "true"),
            ("from_date", "2024-02-01T00:00:00.000001+00:00"),
        ],
        [
            ("project", "ocds_atlas"),
            ("spider", "test_update_monthly"),
            ("incremental", "true"),
            ("from_date", "2024-01-15T00:00:00.000001+00:00"),
        ],
    ]
    assert fingerprint(conn) == before  # nothing crawled or compiled here

    server.requests.clear()
    pending.append({"id": "job1", "spider": "test_update_feed"})  # still waiting on the node
    output = update("--via-scrapyd", server.url, "--project", "atlas2")
    assert "1 queued, 1 scheduled" in output
    assert [dict(r)["spider"] for r in schedule_requests(server)] == ["test_update_monthly"]
    assert dict(schedule_requests(server)[0])["project"] == "atlas2"


def test_via_scrapyd_passes_the_sandbox_address_and_says_what_it_refused(atlas_env, monkeypatch, fake_scrapyd):
    server, _ = fake_scrapyd
    output = update("--via-scrapyd", server.url, "--publisher", "sandbox_xa", code=1)
    assert "set OCDS_ATLAS_SANDBOX_URL" in output and schedule_requests(server) == []
    monkeypatch.setenv("OCDS_ATLAS_SANDBOX_URL", "http://127.0.0.1:9")  # where nodes would reach it: not probed here
    update("--via-scrapyd", server.url, "--publisher", "sandbox_xa", "--no-probe")
    assert schedule_requests(server) == [
        [
            ("project", "ocds_atlas"),
            ("spider", "sandbox_xa"),
            ("setting", "OCDS_ATLAS_SANDBOX_URL=http://127.0.0.1:9"),
            ("incremental", "true"),
        ]
    ]
    server.route("/schedule.json", lambda r: Reply.json({"status": "error", "message": "spider 'x' not found"}))
    output = update("--via-scrapyd", server.url, "--publisher", "sandbox_xa", "--no-probe", code=1)
    assert "sandbox_xa (Scrapyd at" in output
    assert "refused schedule.json: spider 'x' not found" in " ".join(output.split())


def test_via_several_nodes_each_crawl_goes_to_the_least_busy(crawled_long_ago):
    with fake_node([{"id": "j", "spider": "other"}]) as busy, fake_node([]) as idle:
        output = update("--via-scrapyd", busy.url, "--via-scrapyd", idle.url)
        assert "2 scheduled" in output
        # the idle node gets the first crawl; then both have one job, and the first node listed gets the next
        assert [dict(r)["spider"] for r in schedule_requests(idle)] == ["test_update_feed"]
        assert [dict(r)["spider"] for r in schedule_requests(busy)] == ["test_update_monthly"]
    with fake_node([]) as first, fake_node([{"id": "j", "spider": "test_update_feed"}]) as second:
        output = update("--via-scrapyd", first.url, "--via-scrapyd", second.url)
        assert "1 queued, 1 scheduled" in output  # a job on any node counts
        assert [dict(r)["spider"] for r in schedule_requests(first)] == ["test_update_monthly"]
