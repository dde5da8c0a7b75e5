"""Publisher health: the pure functions with dates, the columns a crawl's close updates, and `ocds-atlas publishers`
with health."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from aggregator.operate.health import (
    CrawlOutcome,
    Health,
    allowance,
    crawl_interval,
    frequency,
    health_from_history,
    health_of,
    is_due,
    newest_release,
    publishers_health,
    record_health,
    status,
)
from aggregator.raw.crawls import PublisherInfo, close_crawl, open_crawl, upsert_publisher
from tests.crawling import ROOT, run_spider

DAY = timedelta(days=1)
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + days * DAY


def crawls(*accepted: bool) -> list[CrawlOutcome]:
    """One crawl a day from T0, accepted or not."""
    return [CrawlOutcome(at(day), ok) for day, ok in enumerate(accepted)]


# Pure functions


def test_update_frequencies_are_understood_in_either_vocabulary():
    assert frequency("MONTHLY") == frequency("monthly") == "monthly"
    assert frequency("EVERY_SIX_MONTHS") == frequency("every 6 months") == "every six months"
    assert frequency("REAL_TIME") == "real time"
    assert frequency(None) is None and frequency("") is None
    assert allowance("daily") == 7 * DAY and allowance("monthly") == 62 * DAY
    assert allowance("never") is allowance("irregular") is allowance("UNKNOWN") is allowance(None) is None
    assert crawl_interval("daily") == DAY and crawl_interval("ANNUALLY") == 365 * DAY
    assert crawl_interval("never") is None
    assert crawl_interval("irregular") == crawl_interval(None) == 7 * DAY


def test_no_crawl_is_never_crawled():
    health = health_from_history([], None, "daily")
    assert health == Health()
    assert status(health, at(0)) == "never crawled"


def test_failing_since_is_the_first_failure_after_the_last_success():
    health = health_from_history(crawls(False, True, False, False), None, "daily")
    assert (health.last_crawl_at, health.last_success_at, health.failing_since) == (at(3), at(1), at(2))
    assert status(health, at(3)) == "failing"


def test_never_succeeding_fails_since_the_first_crawl():
    health = health_from_history(crawls(False, False), None, "daily")
    assert health.failing_since == at(0) and health.last_success_at is None


def test_a_success_ends_the_failures():
    health = health_from_history(list(reversed(crawls(False, False, True))), None, "daily")  # any order
    assert health.failing_since is None and health.last_success_at == at(2)
    assert status(health, at(2)) == "active"


def test_stale_once_the_newest_release_is_older_than_the_frequency_allows():
    health = health_from_history(crawls(True), at(-10), "monthly")
    assert health.stale_since == at(-10) + 62 * DAY
    assert status(health, at(51)) == "active"
    assert status(health, at(52)) == "stale"
    # A publisher that says it no longer publishes, or does so irregularly, is never stale.
    assert health_from_history(crawls(True), at(-1000), "never").stale_since is None
    assert health_from_history(crawls(True), at(-1000), None).stale_since is None
    # Failing takes precedence over stale.
    assert status(health_from_history(crawls(True, False), at(-1000), "daily"), at(2)) == "failing"


def test_the_newest_release_only_moves_forward_and_never_past_the_crawl():
    assert newest_release(None, None, at(0)) is None
    assert newest_release(at(-5), at(-9), at(0)) == at(-5)
    assert newest_release(at(-5), at(-1), at(0)) == at(-1)
    assert newest_release(None, at(300), at(0)) == at(0)  # a placeholder date in the future


def test_due_by_update_frequency():
    assert is_due(Health(), "daily", at(0))
    daily = health_from_history(crawls(True), None, "daily")
    assert not is_due(daily, "daily", at(0) + 23 * timedelta(hours=1))
    assert is_due(daily, "daily", at(1))
    assert not is_due(daily, "monthly", at(29)) and is_due(daily, "monthly", at(30))
    # A failing publisher is retried at its pace, not at once.
    failing = health_from_history(crawls(False), None, "monthly")
    assert not is_due(failing, "monthly", at(1)) and is_due(failing, "monthly", at(30))
    # "never": not again once a crawl succeeded; weekly until then.
    assert not is_due(daily, "never", at(1000))
    assert is_due(failing, "never", at(7)) and not is_due(failing, "never", at(6))


# The columns a crawl's close updates


def a_publisher(conn, name: str = "health_probe", frequency: str | None = "daily", **fields) -> int:
    info = PublisherInfo(name=name, title="Health probe", country="PY", update_frequency=frequency, **fields)
    return upsert_publisher(conn, info)


def a_crawl(conn, publisher_id: int, status: str) -> int:
    crawl_id = open_crawl(conn, publisher_id, "crawl", {}, None)
    close_crawl(conn, crawl_id, status, "finished", {})
    return crawl_id


def stored(conn, publisher_id: int) -> dict:
    return conn.execute("SELECT * FROM publisher WHERE id = %s", (publisher_id,)).fetchone()


def test_record_health_follows_the_crawls(conn):
    publisher_id = a_publisher(conn)
    a_crawl(conn, publisher_id, "failed")
    health = record_health(conn, publisher_id, None)
    first_failure = stored(conn, publisher_id)["failing_since"]
    assert first_failure is not None and health.failing_since == first_failure
    a_crawl(conn, publisher_id, "failed")
    record_health(conn, publisher_id, None)
    assert stored(conn, publisher_id)["failing_since"] == first_failure
    a_crawl(conn, publisher_id, "finished")
    record_health(conn, publisher_id, datetime(2024, 1, 15, tzinfo=UTC))
    row = stored(conn, publisher_id)
    assert row["failing_since"] is None and row["last_success_at"] == row["last_crawl_at"]
    assert row["newest_release_at"] == datetime(2024, 1, 15, tzinfo=UTC)
    assert health_of(row).stale_since == datetime(2024, 1, 22, tzinfo=UTC)
    # An older crawl's releases do not move the newest release back; loads are not crawls.
    a_crawl(conn, publisher_id, "finished")
    record_health(conn, publisher_id, datetime(2023, 1, 1, tzinfo=UTC))
    assert stored(conn, publisher_id)["newest_release_at"] == datetime(2024, 1, 15, tzinfo=UTC)
    load_id = open_crawl(conn, publisher_id, "load", {}, None)
    close_crawl(conn, load_id, "failed", "finished", {})
    record_health(conn, publisher_id, None)
    assert stored(conn, publisher_id)["failing_since"] is None
    rows = {row["name"]: row for row in publishers_health(conn, datetime(2024, 2, 1, tzinfo=UTC))}
    # Read on 2024-02-01: its newest release is over a week old; it was crawled just before (not due).
    assert rows["health_probe"]["status"] == "stale" and rows["health_probe"]["due"] is False


def test_a_crawl_that_closes_records_its_health(atlas_env, conn, sandbox):
    stats = run_spider("spiders.sandbox_xa:SandboxXaSpider", settings={"OCDS_ATLAS_SANDBOX_URL": sandbox.url}, sample=5)
    assert stats["finish_reason"] == "sample"
    row = conn.execute("SELECT * FROM publisher WHERE name = 'sandbox_xa'").fetchone()
    assert row["last_success_at"] == row["last_crawl_at"] is not None
    assert row["failing_since"] is None and row["newest_release_at"] is not None
    period = allowance(row["update_frequency"])
    assert health_of(row).stale_since == (row["newest_release_at"] + period if period else None)


# ocds-atlas publishers


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from aggregator.cli.main import main; main()", "publishers", *args]
    child = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run(command, cwd=ROOT, env=child, capture_output=True, text=True, timeout=120)


def test_the_publishers_command_shows_health_and_the_registry_publications(atlas_env, conn, database_url):
    registry = PublisherInfo(
        name="data_registry.42", title="DNCP", country="PY", spider="data_registry", via="data_registry"
    )
    registry_id = upsert_publisher(conn, registry)
    a_crawl(conn, registry_id, "failed")
    record_health(conn, registry_id, None)
    result = cli("--format", "json", "--health", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    names = [row["name"] for row in rows]
    assert names.index("data_registry.42") == names.index("data_registry") + 1
    publication = rows[names.index("data_registry.42")]
    assert (publication["country"], publication["publisher_name"], publication["via"]) == (
        "PY",
        "DNCP",
        "data_registry",
    )
    assert publication["status"] == "failing" and publication["failing_since"]
    assert rows[names.index("data_registry")]["status"] is None  # the generic spider is no publisher itself
    others = [row for row in rows if row["name"] not in ("data_registry", "data_registry.42")]
    assert {row["status"] for row in others} == {"never crawled"}
    as_csv = cli("--format", "csv", "--health", DATABASE_URL=database_url)
    assert as_csv.stdout.splitlines()[0].endswith(
        ",via,status,last_crawl_at,last_success_at,failing_since,stale_since,endpoint_failing_since,endpoint_problem,due"
    )
    table = cli(DATABASE_URL=database_url, COLUMNS="300")  # the table shows health by default
    assert "data_registry.42" in table.stdout and "failing" in table.stdout


def test_the_publishers_command_without_a_database(tmp_path):
    home = str(tmp_path / "nowhere")
    table = cli(OCDS_ATLAS_HOME=home)
    assert table.returncode == 0 and "health not shown: no database" in table.stderr
    assert "status" not in table.stdout
    assert cli("--health", OCDS_ATLAS_HOME=home).returncode == 1
    markdown = cli("--format", "markdown", "--health", OCDS_ATLAS_HOME=home)
    assert markdown.returncode == 1 and "README" in markdown.stderr
